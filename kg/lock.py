"""One writer at a time per cache folder, and a cache that cannot be trusted is set aside.

Two `kg build`s on one vault (or `kg serve` and a build in another terminal) used to interleave
their writes to `.kg/` and leave rows that contradict each other (an IntegrityError in the
search index on every later command). Every stage that writes the cache now runs under an
exclusive `flock` on `.kg/lock`: a second process waits, saying who holds it. The kernel drops
the lock when its holder dies, so a killed build never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process at a time is up to the user
    fcntl = None

LOCK_FILE = "lock"
BROKEN_KEEP = 1
"""How many set-aside broken caches are kept for a bug report (older ones are deleted)."""

_local: dict[str, threading.RLock] = {}
_depth: dict[str, int] = {}
_guard = threading.Lock()
_held: set[int] = set()
"""The descriptors of the locks this process holds."""


def _forget_held() -> None:
    """In a forked child: close the lock descriptors it inherited. The lock is the parent's (its
    descriptor keeps it), but a helper that outlived the parent's hold (the model's process, a
    pool's worker ending late) kept it held, and the next command waited for it."""
    for fd in list(_held):
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_held)


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@contextlib.contextmanager
def cache_lock(folder: Path, waiting: Callable[[str], None] = _say) -> Iterator[None]:
    """Hold the cache folder for writing. Re-entrant within a process (a build calls stages that
    also lock); other threads of this process and other processes wait their turn."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = str(folder.resolve())  # one key per folder however it is spelled: a second flock would wait on itself
    with _guard:
        local = _local.setdefault(key, threading.RLock())
    with local:
        if _depth.get(key):
            _depth[key] += 1
            try:
                yield
            finally:
                _depth[key] -= 1
            return
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        _held.add(fd)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another kg process"
                    waiting(f"kg: waiting for {holder} to finish with {folder} ...")
                    fcntl.flock(fd, fcntl.LOCK_EX)
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"kg (pid {os.getpid()}, since {time.strftime('%H:%M:%S')})".encode(), 0)
            _depth[key] = 1
            try:
                yield
            finally:
                _depth[key] = 0
        finally:
            _held.discard(fd)
            os.close(fd)  # releases the flock


def set_aside(folder: Path) -> Path | None:
    """Move the cache's files into `folder/broken-<time>/` (kept for a bug report; the cache is
    rebuilt from the vault, which is always safe). Returns where they went."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    target = folder / f"broken-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    target.mkdir()
    for entry in folder.iterdir():
        if entry.name not in (LOCK_FILE, target.name) and not entry.name.startswith("broken-"):
            entry.replace(target / entry.name)
    old = sorted(p for p in folder.iterdir() if p.name.startswith("broken-") and p != target)
    for stale in old[:max(0, len(old) - BROKEN_KEEP + 1)]:
        shutil.rmtree(stale, ignore_errors=True)
    return target
