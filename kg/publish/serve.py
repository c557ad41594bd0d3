"""`kg serve`: the site on localhost, rebuilt and reloaded in the browser after each save.

The server is the standard library's threading HTTP server over `site/`. HTML pages it sends
get one extra script tag (the written files are untouched), which listens on `/_kg/events`
(server-sent events) and reloads the page when a rebuild has written new files. watchfiles
watches the notes, the sources and kg.toml; every editor's way of saving (in place, through a
temporary file and rename) is a change it reports.

Only requests addressed to this machine are answered: a Host header other than localhost, an IP
address or the host the server was started on gets 400, so a web page whose name is made to point
at 127.0.0.1 (DNS rebinding) cannot read the site. Folders are never listed: one without
index.html is 404.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LIVE_JS = b"""(function(){
  if (!window.EventSource) return;
  var source = new EventSource("/_kg/events");
  source.onmessage = function(e){ if (e.data === "reload") { source.close(); location.reload(); } };
})();
"""
INJECT = b'<script src="/_kg/live.js"></script>'


class Signal:
    """The number of finished rebuilds; event streams wait on it."""

    def __init__(self):
        self.version = 0
        self.cond = threading.Condition()

    def bump(self) -> None:
        with self.cond:
            self.version += 1
            self.cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.cond:
            self.cond.wait_for(lambda: self.version != seen, timeout=timeout)
            return self.version


def host_allowed(header: str | None, bound: str, port: int) -> bool:
    """Whether a request's Host header names this server: localhost, an IP address (a name that
    resolves to one is what DNS rebinding uses; an address itself cannot be rebound) or the host it
    was started on, with this server's port if a port is given."""
    header = (header or "").strip().lower()
    if header.startswith("["):  # [::1] or [::1]:8000
        host, _, rest = header.partition("]")
        host, given = host + "]", rest[1:] if rest.startswith(":") else rest
    elif header.count(":") == 1:
        host, _, given = header.partition(":")
    else:
        host, given = header, ""
    if not host or (given and given != str(port)):
        return False
    if host in ("localhost", bound.lower(), f"[{bound.lower()}]"):
        return True
    try:
        ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
    except ValueError:
        return False
    return True


class Handler(SimpleHTTPRequestHandler):
    signal: Signal

    def log_message(self, format, *args):  # quiet: the terminal shows rebuilds, not requests
        pass

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        host, port = self.server.server_address[:2]
        if not host_allowed(self.headers.get("Host"), getattr(self.server, "kg_host", host), port):
            self.send_error(400, "Unknown host",
                            "kg serve answers only requests to localhost or this machine's address")
            return False
        return True

    def list_directory(self, path):
        """Never list a folder's files (a folder without index.html is not a page)."""
        self.send_error(404, "Not found")
        return None

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/_kg/live.js":
            return self._send(LIVE_JS, "text/javascript")
        if path == "/_kg/events":
            return self._events()
        if path.endswith(("/", ".html")):
            target = Path(self.translate_path(path))
            if target.is_dir():
                target = target / "index.html"
            if target.is_file():
                body = target.read_bytes()
                at = body.rfind(b"</body>")
                body = body[:at] + INJECT + body[at:] if at >= 0 else body + INJECT
                return self._send(body, "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.signal.version
        try:
            self.wfile.write(b"retry: 300\n\n")
            self.wfile.flush()
            while True:
                now = self.signal.wait(seen, timeout=15)
                if now != seen:
                    self.wfile.write(b"data: reload\n\n")
                    self.wfile.flush()
                    return
                self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def start_server(folder: Path, host: str, port: int) -> tuple[ThreadingHTTPServer, Signal]:
    """Serve `folder` in a background thread; returns the server and its reload signal."""
    signal = Signal()
    handler = type("LiveHandler", (Handler,), {"signal": signal})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(folder)))
    server.kg_host = host  # as the user named it (`--host mybox.local`), for the Host check
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, signal


def watch(root: Path, skip: list[Path], rebuild: Callable[[set], None], stop: threading.Event | None = None) -> None:
    """Call rebuild(changes) after each burst of saves in the vault at `root`, never for files
    under `skip` (the site and the cache, which the rebuild itself writes), until stopped."""
    from watchfiles import DefaultFilter
    from watchfiles import watch as watch_files

    ignored = tuple(str(p.resolve()) for p in skip)
    usual = DefaultFilter()

    def wanted(change, path: str) -> bool:
        return usual(change, path) and not path.startswith(ignored)

    for changes in watch_files(root, watch_filter=wanted, debounce=80, step=20, stop_event=stop,
                               raise_interrupt=False):
        rebuild({(kind.name, path) for kind, path in changes})
