"""The `kg` command's start: run each command in a process forked from a warm one.

Importing what a command needs (pydantic's models, numpy, the claims' patterns, jinja2, click)
takes 0.3-0.45 s, every time: a fifth of a one-note edit's build on a 10k vault. So a command
finding no daemon starts a kg daemon beside it (kg.daemon), which imports all that once and then
waits; every later command connects to it and has it fork a process that runs the command. This
module is all the command itself imports then: the standard library's socket, marshal and hashlib.
A vault's first read runs on its own and starts none (`first_read`).

The forked process gets what the command would have had: its arguments, environment, working
folder, umask and the terminal or pipes of its standard input, output and error (passed over a
Unix socket); Ctrl+C and other signals to the command are passed on to it; its exit code becomes
the command's. Nothing of one command outlives it in the daemon, which only forks.

A daemon serves one kg: this Python, its import path and kg's files as they are (their names,
sizes and times make the daemon's name), so editing kg or installing a package starts another.
It ends after IDLE_SECONDS without a command, or with `kg daemon stop`. KG_DAEMON=0 runs every
command in its own process, as does anything the daemon cannot serve (no daemon yet, another
platform, Python started with options): the command is then exactly what it was before.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import signal
import socket
import struct
import sys

IDLE_SECONDS = 1800
"""A daemon that served no command for this long ends (KG_DAEMON_IDLE overrides)."""
IN_PROCESS = ("serve", "daemon")
"""Commands run in their own process: `kg serve` runs until stopped (nothing to save at its
start), `kg daemon` speaks to the daemons."""
STARTS_WITHIN = 10.0
"""Seconds a command waits for a daemon to fork its process before it runs the command itself."""
_LENGTH = struct.Struct("!I")
_READ_AT_IMPORT = ("OMP_", "OPENBLAS_", "MKL_", "GOTO_", "NUMPY_", "PYTHONHASHSEED")


def main() -> None:
    """The `kg` console script."""
    try:
        code = through_daemon(sys.argv[1:]) if wanted(sys.argv[1:]) else None
    except KeyboardInterrupt:  # (before the command ran anywhere)
        sys.stderr.write("kg: error: interrupted\n")
        code = 130
    if code is None:
        from kg.cli import entry

        entry()
    sys.stderr.flush()
    os._exit(code)


def wanted(argv: list[str]) -> bool:
    """Whether this command may run in a daemon's process."""
    return enabled() and not any(arg in IN_PROCESS for arg in argv) and not first_read(argv)


def enabled() -> bool:
    """Whether daemons are used at all: not with KG_DAEMON=0, off Linux, or in a Python started
    with options (a daemon is started without any: a command with some is not its to run)."""
    if os.environ.get("KG_DAEMON", "1").strip().lower() in ("0", "off", "no", "false"):
        return False
    if not hasattr(socket, "send_fds") or not hasattr(os, "fork") or sys.platform != "linux":
        return False
    flags = sys.flags
    return not (sys._xoptions or flags.optimize or flags.isolated or flags.ignore_environment or flags.no_site
                or flags.dev_mode or flags.safe_path)


def first_read(argv: list[str]) -> bool:
    """Whether the vault the command reads has no cache yet: a first read takes seconds to minutes,
    which 0.3 s of imports do not change, and a 10k vault's took 1.5 GB at its peak, beside which a
    daemon's 50 MB do not belong. Such a command runs on its own and starts no daemon; the next one
    does. The vault and its cache are found as the command finds them (kg.folders)."""
    from pathlib import Path

    from kg.folders import cache_folder, find_vault

    vault = None
    for n, arg in enumerate(argv):  # (--vault is the group's option: it comes before the command)
        if arg.startswith("--vault="):
            vault = arg[len("--vault="):]
            break
        if arg == "--vault":
            vault = argv[n + 1] if n + 1 < len(argv) else None
            break
        if not arg.startswith("-"):
            break
    try:
        root = Path(vault).resolve() if vault else find_vault(Path.cwd())
    except OSError:  # (the working folder is gone: the command says so)
        return True
    return not cache_folder(root).is_dir()


def folder(make: bool = True) -> str | None:
    """The folder of this user's daemon sockets: $XDG_RUNTIME_DIR/kg, else kg-UID in the temporary
    folder, made unless `make` is false; None when it is not there or not this user's alone (then
    no daemon is used)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    path = os.path.join(base, "kg") if base else os.path.join(os.environ.get("TMPDIR") or "/tmp", f"kg-{os.getuid()}")
    try:
        if make:
            os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if st.st_uid != os.getuid() or st.st_mode & 0o077 or not os.path.isdir(path) or os.path.islink(path):
        return None
    return path


def key() -> str:
    """The name of the daemon that serves this kg: a digest of the Python, its import path (and
    each entry's time, which installing or removing a package changes), what of the environment
    its imports read, and kg's own files."""
    h = hashlib.blake2b(digest_size=10)
    h.update(repr((sys.executable, sys.version, sys.path, sys.getfilesystemencoding())).encode())
    # (what numpy's BLAS reads of the environment as it is loaded, and the seed of str hashes)
    h.update(repr(sorted((k, v) for k, v in os.environ.items() if k.startswith(_READ_AT_IMPORT))).encode())
    for entry in sys.path:
        try:
            h.update(str(os.stat(entry or ".").st_mtime_ns).encode())
        except OSError:
            h.update(b"-")
    package = os.path.dirname(os.path.abspath(__file__))
    for top, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            try:
                st = os.stat(os.path.join(top, name))
            except OSError:
                continue
            h.update(f"{top}/{name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def socket_path() -> str | None:
    where = folder()
    if where is None:
        return None
    path = os.path.join(where, key() + ".sock")
    return path if len(path.encode()) < 100 else None  # (a Unix socket's name holds 107 bytes)


def send(conn: socket.socket, message, fds: list[int] | None = None) -> None:
    data = marshal.dumps(message)
    data = _LENGTH.pack(len(data)) + data
    if fds:
        socket.send_fds(conn, [data], fds)
    else:
        conn.sendall(data)


def receive(conn: socket.socket, fds: int = 0):
    """One message (None when the other side closed first); with fds > 0, (message, [fd, ...])
    with the file descriptors sent with it. Reads no byte past the message."""
    got: list[int] = []
    if fds:
        head, got, _, _ = socket.recv_fds(conn, _LENGTH.size, fds)
    else:
        head = conn.recv(_LENGTH.size)
    head = _exactly(conn, head, _LENGTH.size)
    body = _exactly(conn, b"", _LENGTH.unpack(head)[0]) if head else None
    message = marshal.loads(body) if body is not None else None
    return (message, got) if fds else message


def _exactly(conn: socket.socket, data: bytes, size: int) -> bytes | None:
    while len(data) < size:
        more = conn.recv(size - len(data))
        if not more:
            return None
        data += more
    return data


def connect(path: str, timeout: float | None = None) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    return conn


def through_daemon(argv: list[str]) -> int | None:
    """Run the command in a process of the daemon; its exit code, or None when it did not run
    there (no daemon yet: one is started for the next command)."""
    path = socket_path()
    if path is None:
        return None
    conn = connect(path)
    if conn is None:
        start(path)
        return None
    with conn:
        conn.settimeout(STARTS_WITHIN)
        try:
            umask = os.umask(0o22)
            os.umask(umask)
            request = {"op": "run", "argv": [sys.argv[0], *argv], "cwd": os.getcwd(), "umask": umask,
                       "env": dict(os.environ),
                       "stdio": [(s.encoding, s.errors) if s else ("utf-8", "strict")
                                 for s in (sys.stdin, sys.stdout, sys.stderr)]}
            send(conn, request, [0, 1, 2])
            started = receive(conn)
            if not started or started[0] != "pid":
                return None
            send(conn, "go")  # (only now does the command run there: never twice)
            conn.settimeout(None)
        except (OSError, ValueError, EOFError):  # (a closed descriptor, a daemon gone or stuck)
            return None
        return _wait(conn, started[1])


def _wait(conn: socket.socket, pid: int) -> int:
    """Wait for the command's process to end, passing it the signals this one gets."""
    forwarded: list[int] = []

    def forward(signum, _frame):
        forwarded.append(signum)
        try:
            os.killpg(pid, signum)
        except OSError:
            pass

    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
        signal.signal(getattr(signal, name), forward)
    try:
        ended = receive(conn)
    except (OSError, ValueError, EOFError):
        ended = None
    if ended and ended[0] == "exit":
        return ended[1]
    if forwarded:  # ended by the signal passed on
        return 128 + forwarded[-1]
    sys.stderr.write(f"kg: error: the process running this command (pid {pid}) ended without an exit code; "
                     "run it again with KG_DAEMON=0 to run it on its own\n")
    return 1


def start(path: str) -> None:
    """Start the daemon for the next command, in its own session, with nothing of this one's open."""
    import subprocess

    code = "import sys; sys.path[:] = sys.argv[2:]; from kg.daemon import serve; serve(sys.argv[1])"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env["KG_DAEMON_IDLE"] = os.environ.get("KG_DAEMON_IDLE", "")
    try:
        subprocess.Popen([sys.executable, "-c", code, path, *sys.path], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/", env=env,
                         start_new_session=True, close_fds=True)
    except OSError:
        pass


def daemons(op: str = "status", only: str | None = None, but: str | None = None) -> list[dict]:
    """Ask every daemon of this user (for this kg or another; `only`: the one of this socket; `but`:
    not the one of this socket) for its status, or to stop ("stop"); their answers, this kg's
    daemon marked "current"."""
    where = folder()
    if where is None:
        return []
    current = socket_path()
    answers = []
    for name in sorted(os.listdir(where)):
        path = os.path.join(where, name)
        if not name.endswith(".sock") or only not in (None, path) or path == but:
            continue
        conn = connect(path, timeout=5.0)
        if conn is None:
            continue
        with conn:
            try:
                send(conn, {"op": op})
                answer = receive(conn)
            except (OSError, ValueError, EOFError):
                continue
        if isinstance(answer, dict):
            answers.append({**answer, "socket": path, "current": path == current})
    return answers
