"""Train a small MLP on scikit-learn's handwritten digits with tensorlib.

The digits data set (1,797 8x8 images, 10 classes) ships inside scikit-learn, so nothing is
downloaded. The model is a 64-128-128-10 multilayer perceptron built with
``tensorlib.example_libraries.stax``, trained with ``tl.value_and_grad`` and the ``adam``
optimizer from ``tensorlib.example_libraries.optimizers``; ``tensorlib.random`` draws the
initial weights and shuffles the training set each epoch. The training step (gradient and
optimizer update) is compiled with ``tl.jit``; ``--no-jit`` runs it op by op instead.

Run it::

    python examples/train_digits.py --epochs 20
    TENSORLIB_BACKEND=numpy python examples/train_digits.py --batch-size 32 --lr 3e-3 --no-jit

The backend comes from ``TENSORLIB_BACKEND`` (read by tensorlib at import; default ``numpy``).
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.numpy as tnp
import tensorlib.random as random
from tensorlib.example_libraries import optimizers, stax

NUM_CLASSES = 10


def _bounded(kind, lo, hi=None, *, open_hi=False):
    """An argparse type: ``kind`` within ``[lo, hi]`` (``[lo, hi)`` with ``open_hi``), so a
    nonsense flag stops with argparse's usage message instead of training nothing."""
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if v < lo or (hi is not None and (v >= hi if open_hi else v > hi)):
            rng = f"at least {lo}" if hi is None else f"from {lo} to {hi}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: it must be {rng}")
        return v

    parse.__name__ = kind.__name__
    return parse


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Train a 64-128-128-10 MLP on scikit-learn's digits with tensorlib.",
        epilog="The backend is chosen with the TENSORLIB_BACKEND environment variable "
               "(numpy by default).")
    p.add_argument("--epochs", type=_bounded(int, 1), default=15,
                   help="passes over the training set "
                   "(default: %(default)s)")
    p.add_argument("--batch-size", type=_bounded(int, 1), default=64,
                   help="minibatch size "
                   "(default: %(default)s)")
    p.add_argument("--lr", type=_bounded(float, 0.0), default=3e-3, help="Adam step size "
                   "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="PRNG seed for the initial weights, "
                   "the shuffling and the train/test split (default: %(default)s)")
    p.add_argument("--test-fraction", type=_bounded(float, 0.05, 0.95), default=0.2,
                   help="share of the data held "
                   "out for testing (default: %(default)s)")
    p.add_argument("--no-jit", action="store_true",
                   help="run the training step eagerly, one operation at a time, instead of "
                        "compiling it with tl.jit (same results, slower; handy with pdb)")
    p.add_argument("--blas-threads", type=_bounded(int, 0), default=1,
                   help="threads NumPy's BLAS may use "
                   "(default: %(default)s; these matrices are small, and on a busy machine a "
                   "threaded BLAS spends more time synchronizing than multiplying; 0 leaves "
                   "BLAS's own setting)")
    p.add_argument("--no-progress", action="store_true", help="hide the tqdm progress bar")
    return p.parse_args(argv)


def load_digits_split(test_fraction, seed):
    """``(x_train, y_train, x_test, y_test)`` as tensorlib arrays, split per class."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixel values 0..16 -> [0, 1]
    y = digits.target.astype(np.int32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction,
                                              random_state=seed, stratify=y)
    return tnp.asarray(x_tr), tnp.asarray(y_tr), tnp.asarray(x_te), tnp.asarray(y_te)


def make_model():
    return stax.serial(
        stax.Dense(128), stax.Relu,
        stax.Dense(128), stax.Relu,
        stax.Dense(NUM_CLASSES), stax.LogSoftmax,
    )


def make_loss(apply_fun):
    """Mean cross-entropy; the log-probabilities come back as auxiliary output."""

    def loss(params, x, y):
        log_probs = apply_fun(params, x)
        nll = -tnp.mean(tnp.sum(log_probs * nn.one_hot(y, NUM_CLASSES), axis=-1))
        return nll, log_probs

    return loss


def make_train_step(apply_fun, opt_update, get_params):
    """``step(i, opt_state, x, y) -> (opt_state, loss, number of correct predictions)``."""
    value_and_grad = tl.value_and_grad(make_loss(apply_fun), has_aux=True)

    def train_step(i, opt_state, x, y):
        (loss, log_probs), grads = value_and_grad(get_params(opt_state), x, y)
        correct = tnp.sum(tnp.argmax(log_probs, axis=-1) == y)
        return opt_update(i, grads, opt_state), loss, correct

    return train_step


def make_predict(apply_fun):
    def predict(params, x):
        return tnp.argmax(apply_fun(params, x), axis=-1)

    return predict


def train(args):
    """Train as ``args`` says; return a dict of metrics."""
    x_train, y_train, x_test, y_test = load_digits_split(args.test_fraction, args.seed)
    n_train = x_train.shape[0]
    init_fun, apply_fun = make_model()
    opt_init, opt_update, get_params = optimizers.adam(args.lr)
    train_step = make_train_step(apply_fun, opt_update, get_params)
    predict = make_predict(apply_fun)
    if not args.no_jit:
        # One compilation per batch shape (the last, smaller batch of an epoch adds one).
        train_step, predict = tl.jit(train_step), tl.jit(predict)

    def accuracy(params, x, y):
        return float(tnp.mean(predict(params, x) == y))

    init_key, shuffle_key = random.split(random.PRNGKey(args.seed))
    _, params = init_fun(init_key, (-1, x_train.shape[1]))
    opt_state = opt_init(params)

    batches_per_epoch = -(-n_train // args.batch_size)
    from tqdm.auto import tqdm

    bar = tqdm(total=args.epochs * batches_per_epoch, unit="step", disable=args.no_progress,
               desc="train", dynamic_ncols=True)
    step, epoch_times, test_acc, loss_sum = 0, [], float("nan"), float("nan")
    for epoch in range(args.epochs):
        start = time.perf_counter()
        shuffle_key, perm_key = random.split(shuffle_key)
        perm = random.permutation(perm_key, n_train)
        loss_sum, correct = 0.0, 0
        for b in range(batches_per_epoch):
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            opt_state, loss, n_correct = train_step(step, opt_state, xb, yb)
            step += 1
            loss_sum += float(loss) * xb.shape[0]
            correct += int(n_correct)
            bar.update(1)
            shown = f"{test_acc:.3f}" if test_acc == test_acc else "-"  # none before epoch 1
            bar.set_postfix(epoch=epoch + 1, loss=f"{float(loss):.4f}", test_acc=shown,
                            refresh=False)
        test_acc = accuracy(get_params(opt_state), x_test, y_test)
        epoch_times.append(time.perf_counter() - start)
        bar.set_postfix(epoch=epoch + 1, loss=f"{loss_sum / n_train:.4f}",
                        train_acc=f"{correct / n_train:.3f}", test_acc=f"{test_acc:.3f}")
    bar.close()
    return {
        "test_accuracy": test_acc,
        "train_accuracy": accuracy(get_params(opt_state), x_train, y_train),
        "train_loss": loss_sum / n_train,
        # The first epoch includes compilation under jit; report it apart from the rest.
        "seconds_first_epoch": epoch_times[0] if epoch_times else 0.0,
        "seconds_per_epoch": float(np.mean(epoch_times[1:] or epoch_times or [0.0])),
        "epochs": args.epochs,
        "jit": not args.no_jit,
        "params": get_params(opt_state),
    }


def blas_thread_limit(n):
    """Context manager capping BLAS threads at ``n`` (a no-op for 0 or without threadpoolctl)."""
    if n <= 0:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def main(argv=None):
    """Command-line entry point; returns the metrics dict of :func:`train`."""
    args = parse_args(argv)
    mode = "eager (--no-jit)" if args.no_jit else "training step compiled with tl.jit"
    print(f"tensorlib {tl.__version__}, backend {tl.default_backend()!r}, {mode}")
    print(f"MLP 64-128-128-10, adam(lr={args.lr}), batch size {args.batch_size}, "
          f"{args.epochs} epochs, seed {args.seed}")
    t0 = time.perf_counter()
    with blas_thread_limit(args.blas_threads):
        metrics = train(args)
    total = time.perf_counter() - t0
    print(f"final train accuracy: {metrics['train_accuracy']:.4f}")
    print(f"final test accuracy:  {metrics['test_accuracy']:.4f}")
    print(f"time per epoch: {metrics['seconds_per_epoch']:.3f} s "
          f"(first epoch {metrics['seconds_first_epoch']:.2f} s"
          f"{', including compilation' if metrics['jit'] else ''}; "
          f"total {total:.1f} s including data loading)")
    return metrics


if __name__ == "__main__":
    main()
