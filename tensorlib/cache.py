"""The on-disk caches: where they are, how big, and emptying them.

``python -m tensorlib.cache info`` prints the folder, the size limit and what each backend's
subfolder holds; ``python -m tensorlib.cache clear`` empties them. The folder is
``TENSORLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/tensorlib``, else ``~/.cache/tensorlib``;
``TENSORLIB_CACHE=0`` turns the disk caches off and ``TENSORLIB_CACHE_MAX_MB`` bounds them
(default 512). :func:`tensorlib.clear_caches` empties the in-memory caches instead.
"""

from __future__ import annotations

import sys

from tensorlib._src import disk_cache


def info() -> dict:
    """The cache folder, whether disk caches are on, the size limit, and per subfolder the
    number of files and bytes.

    Examples
    --------
    >>> import tensorlib.cache
    >>> sorted(tensorlib.cache.info())
    ['enabled', 'folders', 'max_bytes', 'root']
    """
    return disk_cache.info()


def clear() -> None:
    """Remove every entry of the on-disk caches (the next run compiles again).

    Examples
    --------
    >>> import tensorlib.cache
    >>> tensorlib.cache.clear()  # doctest: +SKIP
    """
    disk_cache.clear()


def _main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["info"]:
        i = info()
        print(f"cache folder: {i['root']} ({'on' if i['enabled'] else 'off: TENSORLIB_CACHE=0'})")
        print(f"size limit:   {i['max_bytes'] / 2**20:.0f} MB (TENSORLIB_CACHE_MAX_MB)")
        if not i["folders"]:
            print("empty")
        for name, f in i["folders"].items():
            print(f"{name + ':':13} {f['files']} files, {f['bytes'] / 2**20:.1f} MB")
        return 0
    if args == ["clear"]:
        before = sum(f["bytes"] for f in info()["folders"].values())
        clear()
        print(f"removed {before / 2**20:.1f} MB from {info()['root']}")
        return 0
    print("usage: python -m tensorlib.cache info|clear", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main())
