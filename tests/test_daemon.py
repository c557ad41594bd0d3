"""The kg daemon (kg.launch, kg.daemon): the `kg` command runs in a process forked from a warm one,
and a user sees the same command as when it runs on its own: output, exit code, input, signals.

Every test here runs the installed `kg` command in real processes, with a private folder of
daemon sockets, and stops its daemons at the end. (The rest of the suite runs with KG_DAEMON=0,
tests/conftest.py.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.test_reliability import small_vault

KG = Path(sys.executable).with_name("kg")

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the kg daemon runs on Linux")


@pytest.fixture
def runtime():
    """A short private folder for the sockets (a Unix socket's name holds 107 bytes), emptied of
    daemons afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="kgd", dir="/tmp"))
    env = {**os.environ, "XDG_RUNTIME_DIR": str(folder), "KG_DAEMON": "1", "KG_DAEMON_IDLE": "60"}
    yield env
    subprocess.run([str(KG), "daemon", "stop"], env=env, capture_output=True, timeout=60)
    shutil.rmtree(folder, ignore_errors=True)  # (a daemon still starting then finds no folder, and ends)


def kg(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(KG), *args], env=env, capture_output=True, text=True, timeout=600, **kwargs)


def untimed(*texts: str) -> tuple[str, ...]:
    """The texts with the seconds a command took to run ("0 parsed, 0.02 s") left out."""
    return tuple(re.sub(r"\b\d+\.\d+ s\b", "? s", text) for text in texts)


def daemons(env: dict, command: Path = KG) -> list[dict]:
    done = subprocess.run([str(command), "daemon", "status", "--json"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def warm(env: dict, vault: Path, command: Path = KG) -> dict:
    """Build the vault (a first read: on its own, and no daemon started), then check it: that
    command starts the daemon, which serves the next. Returns the daemon's status."""
    for args in (["build"], ["check"]):
        done = subprocess.run([str(command), "--vault", str(vault), *args], env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode in (0, 1), done.stderr
    return wait_for_daemon(env, command)


def wait_for_daemon(env: dict, command: Path = KG, timeout: float = 60.0) -> dict:
    """The first command starts the daemon beside it; it serves once it has imported kg."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [d for d in daemons(env, command) if d["current"]]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError("no kg daemon started")


def test_a_command_in_the_daemon_prints_and_exits_as_on_its_own(tmp_path, runtime):
    vault = small_vault(tmp_path / "vault")
    own = {**runtime, "KG_DAEMON": "0"}
    served = warm(runtime, vault)["served"]
    (vault / "notes" / "broken.md").write_text("---\ntitle: [unclosed\n---\n# Broken\n", encoding="utf-8")
    for args in (["build", "--json"], ["check"], ["claims", "--json"], ["show", "Topic 1"],
                 ["search", "how far behind are open models", "--mode", "lexical"], ["no-such-command"], ["--help"]):
        hot, alone = kg(runtime, "--vault", str(vault), *args), kg(own, "--vault", str(vault), *args)
        assert hot.returncode == alone.returncode, (args, hot.stderr, alone.stderr)
        if args[0] == "build":  # (its summary times itself)
            hot_json, alone_json = json.loads(hot.stdout), json.loads(alone.stdout)
            assert (hot_json["parsed"], alone_json["parsed"]) == (1, 0)  # the new note, then nothing
            assert hot_json["notes"] == alone_json["notes"] == 7
        else:
            assert untimed(hot.stdout, hot.stderr) == untimed(alone.stdout, alone.stderr), args
    assert kg(runtime, "--vault", str(vault), "check").returncode == 1  # the broken front matter is an error
    assert wait_for_daemon(runtime)["served"] == served + 8  # each of those ran in the daemon


def test_no_daemon_with_kg_daemon_off_nor_beside_a_first_read(tmp_path, runtime):
    """KG_DAEMON=0: no daemon. A vault's first read (no cache yet) runs on its own and starts none:
    at 10k notes it takes minutes and 1.5 GB, beside which a daemon's 50 MB do not belong."""
    vault = small_vault(tmp_path / "vault", notes=2)
    own = {**runtime, "KG_DAEMON": "0"}
    assert kg(own, "--vault", str(vault), "check").returncode == 0
    time.sleep(2)
    assert daemons(runtime) == []
    assert "no kg daemon is running (KG_DAEMON is off)" in kg(own, "daemon", "status").stdout
    unread = tmp_path / "unread"  # (a folder kg has not read: status does not take it for KG_DAEMON=0)
    unread.mkdir()
    said = subprocess.run([str(KG), "daemon", "status"], cwd=unread, env=runtime, capture_output=True, text=True)
    assert "starts one" in said.stdout and "KG_DAEMON is off" not in said.stdout
    fresh = small_vault(tmp_path / "fresh", notes=2)
    assert subprocess.run([str(KG), "build"], cwd=fresh, env=runtime, capture_output=True, timeout=600).returncode == 0
    time.sleep(2)
    assert daemons(runtime) == []
    assert (fresh / ".kg").is_dir()
    warm(runtime, fresh)  # the command after it starts one


def test_standard_input_folder_and_environment_are_the_commands(tmp_path, runtime):
    vault = small_vault(tmp_path / "vault", notes=3)
    warm(runtime, vault)
    # input: queries on stdin; folder: the vault found from the working folder; environment: KG_CACHE_DIR
    cache = tmp_path / "elsewhere"
    cache.mkdir()  # (a cache folder that is there: not a first read)
    env = {**runtime, "KG_CACHE_DIR": str(cache)}
    built = subprocess.run([str(KG), "build", "--json"], cwd=vault, env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["notes"] == 3 and any(cache.iterdir())
    done = subprocess.run([str(KG), "search", "--batch", "-", "--mode", "lexical"], cwd=vault, env=env,
                          input="open models\nprices fell\n", capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["query"] for a in answers] == ["open models", "prices fell"]
    assert wait_for_daemon(runtime)["served"] >= 2


def test_ctrl_c_reaches_the_command_and_its_processes(tmp_path, runtime):
    """SIGINT to `kg` (Ctrl+C on a terminal) stops the command running in the daemon's process, as
    it stops a command on its own: exit code 130, "interrupted", no process of it left."""
    vault = small_vault(tmp_path / "vault", notes=2)
    daemon = warm(runtime, vault)
    for n in range(400):  # enough new notes that the build is still at work after a second
        (vault / "notes" / f"more {n}.md").write_text(
            f"# More {n}\n\nOpen models trail closed ones by {n % 9 + 1}% on [[topic 0]], says note {n}.\n",
            encoding="utf-8")
    proc = subprocess.Popen([str(KG), "--vault", str(vault), "build"], env=runtime, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    assert proc.poll() is None, proc.communicate()
    workers = Path(f"/proc/{daemon['pid']}/task/{daemon['pid']}/children").read_text().split()
    assert workers  # the build runs in a process of the daemon
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid) for pid in workers):
        assert time.monotonic() < deadline, "the interrupted command's process is still running"
        time.sleep(0.2)
    again = kg(runtime, "--vault", str(vault), "build", "--json")  # the vault builds after it
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["notes"] == 402


def _state(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


def test_a_changed_kg_gets_a_daemon_of_its_own_and_idle_daemons_end(tmp_path, runtime):
    """kg's files are part of the daemon's name: a command of a kg whose code changed is never
    served by a daemon holding the old code. A daemon left idle ends by itself."""
    copy = tmp_path / "copy"
    shutil.copytree(Path(__file__).resolve().parent.parent / "kg", copy / "kg",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = tmp_path / "kg"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom kg.launch import main\nsys.exit(main())\n", encoding="utf-8")
    script.chmod(0o755)
    env = {**runtime, "PYTHONPATH": str(copy), "KG_DAEMON_IDLE": "3"}
    vault = small_vault(tmp_path / "vault", notes=2)

    def run_copy(*args):
        return subprocess.run([str(script), *args], env=env, capture_output=True, text=True, timeout=600)

    first = warm(env, vault, script)
    assert run_copy("--vault", str(vault), "check").returncode == 0
    (copy / "kg" / "cli" / "__init__.py").write_text(
        (copy / "kg" / "cli" / "__init__.py").read_text(encoding="utf-8").replace(
            "kg: a knowledge graph of your Markdown notes", "kg (changed): a knowledge graph of your Markdown notes"),
        encoding="utf-8")
    changed = run_copy("--help")
    assert "kg (changed)" in changed.stdout  # not the old code's help
    second = wait_for_daemon(env, script)
    assert second["pid"] != first["pid"]
    assert [d["pid"] for d in daemons(env, script)] == [second["pid"]]  # the new one stopped the old one
    deadline = time.monotonic() + 30  # and ends, idle for 3 s
    while daemons(env, script):
        assert time.monotonic() < deadline, daemons(env, script)
        time.sleep(0.5)


def test_daemon_stop_ends_every_daemon(tmp_path, runtime):
    vault = small_vault(tmp_path / "vault", notes=2)
    daemon = warm(runtime, vault)
    assert "pid" in kg(runtime, "daemon", "status").stdout
    assert kg(runtime, "daemon", "stop").stdout.strip() == "stopped 1 kg daemon"
    deadline = time.monotonic() + 10
    while Path(f"/proc/{daemon['pid']}").exists() and "zombie" not in _state(str(daemon["pid"])):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert not Path(daemon["socket"]).exists()
    assert kg(runtime, "--vault", str(vault), "check").returncode == 0  # runs on its own, starts another


def test_the_daemon_outlives_askers_that_leave_or_speak_nonsense(tmp_path, runtime):
    """Whatever comes on its socket (nothing, half a message, bytes that are no message, a question
    whose asker is gone before the answer), the daemon goes on serving commands."""
    import marshal
    import socket
    import struct

    vault = small_vault(tmp_path / "vault", notes=2)
    daemon = warm(runtime, vault)
    asked = marshal.dumps({"op": "status"})
    for data in (b"", b"\x00\x00", struct.pack("!I", 8) + b"nonsense", struct.pack("!I", len(asked)) + asked):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(daemon["socket"])
        conn.sendall(data)
        conn.close()
    assert kg(runtime, "--vault", str(vault), "check").returncode == 0
    after = wait_for_daemon(runtime)
    assert after["pid"] == daemon["pid"] and after["served"] == daemon["served"] + 1
