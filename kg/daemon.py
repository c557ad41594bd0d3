"""The kg daemon: a process holding kg imported, which forks one process per `kg` command.

Started by kg.launch (`serve(path)`), in its own session with nothing of the command that started
it open. It imports what commands need, listens on its socket, and for each command forks a child
that takes on the command's standard streams, folder, umask, environment and arguments, runs it
as `kg` would and reports its exit code. The daemon itself holds no vault and no state of any
command: each child starts from the daemon as it was after its imports.
"""

from __future__ import annotations

import atexit
import fcntl
import gc
import io
import os
import select
import signal
import socket
import sys
import time

from kg.launch import IDLE_SECONDS, daemons, folder, key, receive, send

PRELOAD = ("kg.cli", "kg.build", "kg.assemble", "kg.knowledge", "kg.parse.markdown", "kg.parse.syntax",
           "kg.claims.analyse", "kg.claims.delta", "kg.claims.store", "kg.claims.extract",
           "kg.publish", "kg.publish.site", "kg.publish.writer", "kg.publish.pages", "kg.publish.indexes",
           "kg.publish.shards", "kg.publish.semantic", "kg.search.index", "kg.search.query", "kg.search.knn",
           "kg.search.embed", "jinja2", "rich.console", "rich.progress")
"""What a build and the reading commands import (the model's runtime is not: a process forked from
one that loaded it is left with its threads, and a build loads it in a process of its own)."""
_PACKAGE = os.path.dirname(os.path.abspath(__file__))
"""The folder of the kg this daemon runs."""
_LOCK: int | None = None
"""The descriptor of the daemon's lock (its name is this daemon's while it is held)."""


def serve(path: str) -> None:
    """Serve commands on the Unix socket `path` until idle for IDLE_SECONDS or told to stop."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # (as kg.cli.entry: before the models)
    if os.path.dirname(path) != folder(make=False) or os.path.basename(path) != key() + ".sock":
        return  # not the kg this daemon would serve (kg changed as it started), or its folder is gone
    global _LOCK
    lock = _LOCK = os.open(path + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another is starting or serving
    try:
        idle = float(os.environ.get("KG_DAEMON_IDLE") or IDLE_SECONDS)
    except ValueError:
        idle = IDLE_SECONDS
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # (an optional part missing: its commands import it themselves)
            pass
    gc.collect()
    gc.freeze()  # what the imports made is never collected: a child's collector passes skip it
    gc.disable()
    signal.signal(signal.SIGCHLD, lambda *_: _reap())  # each command's process reaped as it ends
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        if os.path.exists(path):
            os.unlink(path)  # (a daemon that was killed: the lock held says no other serves it)
        listener.bind(path)
        listener.listen(64)
        _older_stopped(path)
        _loop(listener, path, idle)
    finally:
        listener.close()
        for made in (path, path + ".lock"):  # (the lock still held: no other daemon has this name)
            try:
                os.unlink(made)
            except OSError:
                pass
        os.close(lock)


def _older_stopped(path: str) -> None:
    """Stop the daemons of this kg's folder with other code (kg edited or upgraded since, or a
    package installed): no command asks them for anything again, and each holds 50 MB until idle."""
    for other in daemons("status", but=path):
        if other.get("package") == _PACKAGE:
            daemons("stop", only=other["socket"])


def _loop(listener: socket.socket, path: str, idle: float) -> None:
    started = last = time.time()
    served = 0
    while True:
        ready, _, _ = select.select([listener], [], [], min(idle, 5.0))
        _reap()
        if time.time() - last > idle or not os.path.exists(path):
            return
        if not ready:
            continue
        conn, _ = listener.accept()
        conn.settimeout(5.0)  # (a `kg` stopped before it asked holds up no other)
        try:
            request, fds = receive(conn, fds=3)
        except (OSError, ValueError, EOFError):
            conn.close()
            continue
        op = request.get("op") if isinstance(request, dict) else None
        if op in ("status", "stop"):
            try:  # (an asker gone meanwhile is no reason to stop serving)
                send(conn, {"pid": os.getpid(), "started": started, "served": served, "idle_seconds": idle,
                            "last": last, "socket": path, "package": _PACKAGE})
            except OSError:
                pass
            if op == "stop":
                conn.close()
                return
        elif op == "run" and len(fds) == 3:
            served += 1
            last = time.time()
            if os.fork() == 0:
                _run(listener, conn, request, fds)  # (never returns)
        for fd in fds:
            os.close(fd)
        conn.close()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return


def _run(listener: socket.socket, conn: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked child: become the command and run it; never returns."""
    code = 1
    try:
        listener.close()
        os.close(_LOCK)  # (a command outliving the daemon must not keep the next one from starting)
        os.setpgid(0, 0)  # (its own group: the command passes signals on to all its processes)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])
        _streams(request["stdio"], bool(os.environ.get("PYTHONUNBUFFERED")))
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                       signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        conn.settimeout(None)
        try:
            send(conn, ("pid", os.getpid()))
            go = receive(conn)
        except OSError:
            go = None
        if go != "go":  # the `kg` gave up waiting (it runs the command itself) or is gone
            os._exit(0)
        from kg.cli import run

        code = run()
        atexit._run_exitfuncs()
    except BaseException:  # (whatever happens, the command gets an exit code)
        try:
            import traceback

            traceback.print_exc()
        except BaseException:
            pass
    try:
        send(conn, ("exit", code))
    except BaseException:
        pass
    os._exit(code)


def _streams(stdio: list, unbuffered: bool) -> None:
    """sys.stdin, sys.stdout and sys.stderr on the command's streams, as Python would have made
    them for it: its encodings; line-buffered on a terminal (stderr always)."""
    made = []
    for fd, (encoding, errors) in enumerate(stdio):
        raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
        if fd == 0:
            made.append(io.TextIOWrapper(io.BufferedReader(raw), encoding, errors))
            continue
        tty = raw.isatty()
        made.append(io.TextIOWrapper(io.BufferedWriter(raw), encoding, errors, line_buffering=tty or fd == 2,
                                     write_through=unbuffered))
    sys.stdin, sys.stdout, sys.stderr = made
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = made
