"""Handing freed memory back to the system between the build's stages."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _trim():
    """glibc's malloc_trim, or None where the C library has none (macOS, musl)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def give_back() -> None:
    """Return the C heap's free pages to the system (glibc keeps what a stage freed, and it counts
    as the process's until another allocation reuses it). A 10k vault's cold build went into its
    drawing with 1.2 GB resident without this, 0.98 GB with it, and the drawing workers are forked
    from that process; this takes about 10 ms."""
    trim = _trim()
    if trim is not None:
        trim(0)
