"""Cache folders and file fingerprints, shared by graph pickles and matrix caches."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from routing.errors import NetworkUnavailableError


def file_key(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError as err:
        msg = f"Road graph file '{path}' cannot be read: {err.strerror}."
        raise NetworkUnavailableError(msg) from err
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def default_graph_cache_dir() -> Path:
    """Where prepared graphs are pickled by default.

    Returns
    -------
    Path
        ``$XDG_CACHE_HOME/schoolrun/graphs``, else ``~/.cache/schoolrun/graphs``.
    """
    return default_cache_dir().parent / "graphs"


def default_cache_dir() -> Path:
    """Where matrices are cached by default.

    Returns
    -------
    Path
        ``$XDG_CACHE_HOME/schoolrun/matrices``, else ``~/.cache/schoolrun/matrices``.
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schoolrun" / "matrices"


@functools.lru_cache(maxsize=16)
def file_sha256(resolved: str, mtime_ns: int, size: int) -> str:
    del mtime_ns, size  # cache key only
    digest = hashlib.sha256()
    with open(resolved, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
