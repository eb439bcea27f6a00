"""Writing a file so that readers, other processes included, see the old one or the new one,
never half of one: the new content goes to a temporary file beside it, then replaces it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """`write(tmp)` writes the content to a temporary path in the same folder, which then
    replaces `path` in one step. On any failure (a full disk) the temporary file is removed
    and the error raised; `path` is as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{id(write):x}.tmp")  # one per process and call
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
