"""Giving freed heap back to the system after building a large FAQ's indexes.

Building the indexes of a 100,000-phrasing FAQ allocates and frees hundreds of megabytes of
temporaries (parsed YAML, 100k encoding blobs, n-gram pairs). glibc keeps freed heap pages
for reuse, and after the first large array is freed it raises its mmap threshold, so even
50 MB arrays end up on the heap: the process held 70 MB it no longer used until
`malloc_trim` returned it. Elsewhere (macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util


def _trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return None


_MALLOC_TRIM = _trim()


def release_free_memory() -> None:
    """Return the heap's free pages to the system (glibc only); milliseconds."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
