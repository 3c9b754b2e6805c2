"""The directories this process is configured to write to, made when they are missing.

A container's /tmp is an empty tmpfs (compose) or emptyDir (Kubernetes) at every start, so a
directory made at build time is gone at run time: the process makes what it was told to write to -
PROMETHEUS_MULTIPROC_DIR (the metric files, written from the moment the metrics are defined),
the directory of a SQLite DATABASE_URL, the development keys/ directory, the directory of
DRAIN_FILE (written by the preStop hook, read by /ready) - or says in one line which one it cannot.
"""

from __future__ import annotations

import os


class UnwritableDir(RuntimeError):
    """A configured directory that cannot be made; the message names the setting and the path."""


def make_dir(setting: str, path: str) -> str:
    """Make `path` (and its parents) unless it exists; its absolute path."""
    path = os.path.abspath(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UnwritableDir(f"{setting}: cannot create the directory {path!r}: {exc.strerror}") from None
    return path
