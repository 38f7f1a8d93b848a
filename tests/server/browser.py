"""Headless Chromium for tests, driven over the DevTools protocol (stdlib only).

Chromium is Debian's package (``bash scripts/setup-browser``). The helper talks
to it through ``--remote-debugging-port`` with a tiny WebSocket client, so the
tests need no new Python dependency. Only loopback pages may be opened, and
every request the page makes to a host other than a loopback address is
*blocked* (Fetch domain) and recorded, so a test can assert that a page is
self-contained (works offline).

    with Browser() as browser:
        page = browser.new_page()
        page.goto(live_server.url + "/")
        page.wait_for("document.querySelector('#yasgui').dataset.state === 'done'")
        rows = page.evaluate("document.querySelectorAll('table tbody tr').length")
        page.screenshot(tmp_path / "page.png")
        assert not page.external_requests

Use :func:`require_chromium` in a test (or fixture) to skip with a reason when
the browser is not installed.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

#: Flags this machine (and CI) needs; see scripts/setup-browser.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--mute-audio",
    "--hide-scrollbars",
    # No name resolves except loopback ones: nothing can leave the machine even
    # if a request slipped past the Fetch block below.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
)


class BrowserError(RuntimeError):
    """The browser did not start, a command failed, or a wait timed out."""


def find_chromium() -> str | None:
    """Path of a Chromium binary ($CHROMIUM, then chromium, chromium-browser), or None."""
    candidates = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser"]
    for name in candidates:
        if name and (path := shutil.which(name)):
            return path
    return None


def require_chromium() -> str:
    """The Chromium path, or skip the calling test with the reason printed."""
    path = find_chromium()
    if path is None:
        pytest.skip("headless Chromium not installed: run `bash scripts/setup-browser`")
    return path


def is_loopback_url(url: str) -> bool:
    """True for http(s)/ws(s) URLs on localhost or a loopback address, and for data:/blob:/about:."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return False
    host = (parts.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- a minimal WebSocket client (RFC 6455), enough for the DevTools protocol -------------


class _WebSocket:
    def __init__(self, url: str, timeout: float = 30.0):
        parts = urlsplit(url)
        if not is_loopback_url(url):
            raise BrowserError(f"refusing a non-loopback DevTools address: {url}")
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        # No Origin header: Chromium accepts DevTools connections without one.
        handshake = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(handshake.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise BrowserError("DevTools closed the connection during the handshake")
            response += chunk
        head, _, self._buffer = response.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise BrowserError(f"WebSocket handshake refused: {head.decode(errors='replace')}")

    def send(self, text: str) -> None:
        payload = text.encode()
        header = bytearray([0x81])  # FIN + text frame
        length = len(payload)
        if length < 126:
            header.append(0x80 | length)
        elif length < 1 << 16:
            header.append(0x80 | 126)
            header += struct.pack(">H", length)
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", length)
        mask = os.urandom(4)
        header += mask
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(header) + masked)

    def _read(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = self.sock.recv(max(65536, count - len(self._buffer)))
            if not chunk:
                raise BrowserError("DevTools connection closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def recv(self, timeout: float) -> str | None:
        """The next text message, or None when none arrives within ``timeout`` seconds."""
        self.sock.settimeout(max(0.001, timeout))
        message = b""
        try:
            while True:
                first, second = self._read(2)
                opcode, final = first & 0x0F, bool(first & 0x80)
                length = second & 0x7F
                if length == 126:
                    (length,) = struct.unpack(">H", self._read(2))
                elif length == 127:
                    (length,) = struct.unpack(">Q", self._read(8))
                mask = self._read(4) if second & 0x80 else b""
                data = self._read(length)
                if mask:
                    data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
                if opcode == 0x8:
                    raise BrowserError("DevTools closed the WebSocket")
                if opcode == 0x9:  # ping
                    self._control(0xA, data)
                    continue
                if opcode == 0xA:
                    continue
                message += data
                if final:
                    return message.decode()
                self.sock.settimeout(30)  # the rest of a fragmented message is on its way
        except TimeoutError:
            if message:
                raise BrowserError("timed out in the middle of a DevTools message") from None
            return None

    def _control(self, opcode: int, data: bytes) -> None:
        mask = os.urandom(4)
        self.sock.sendall(
            bytes([0x80 | opcode, 0x80 | len(data)])
            + mask
            + bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._control(0x8, b"")
        self.sock.close()


# -- pages and the browser --------------------------------------------------------------


class Page:
    """One tab. Events are processed while commands and waits run."""

    def __init__(self, ws_url: str, width: int, height: int):
        self.ws = _WebSocket(ws_url)
        self._next_id = 0
        self._pending: dict[int, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.external_requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self._loaded = False
        self.command("Page.enable")
        self.command("Runtime.enable")
        self.command("Network.enable")
        self.command("Log.enable")
        # Pause every request; _on_event lets loopback ones through and fails the rest.
        self.command("Fetch.enable", patterns=[{"urlPattern": "*"}])
        self.command(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    # protocol plumbing
    def command(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result; BrowserError on an error reply."""
        self._next_id += 1
        ident = self._next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while ident not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"{method}: no answer within {timeout} s")
            self._pump(remaining)
        reply = self._pending.pop(ident)
        if "error" in reply:
            raise BrowserError(
                f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}"
            )
        return reply.get("result", {})  # type: ignore[no-any-return]

    def _pump(self, timeout: float) -> None:
        text = self.ws.recv(min(timeout, 0.25))
        if text is None:
            return
        message = json.loads(text)
        if "id" in message:
            self._pending[message["id"]] = message
        else:
            self._on_event(message.get("method", ""), message.get("params", {}))

    def _send_nowait(self, method: str, **params: Any) -> None:
        self._next_id += 1
        self.ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            if is_loopback_url(url):
                self._send_nowait("Fetch.continueRequest", requestId=params["requestId"])
            else:
                self.external_requests.append(url)
                self._send_nowait(
                    "Fetch.failRequest",
                    requestId=params["requestId"],
                    errorReason="BlockedByClient",
                )
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            self.requests.append(url)
            if not is_loopback_url(url) and url not in self.external_requests:
                self.external_requests.append(url)
        elif method == "Page.loadEventFired":
            self._loaded = True
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(
                str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])
            )
            self.console.append(f"{params.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(
                str(details.get("exception", {}).get("description") or details.get("text"))
            )
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.console.append(
                f"{entry.get('level')}: {entry.get('text')} {entry.get('url', '')}".rstrip()
            )

    # what tests call
    def goto(self, url: str, timeout: float = 30.0) -> None:
        """Open ``url`` (loopback only) and wait for its load event."""
        if not is_loopback_url(url):
            raise BrowserError(f"tests open loopback URLs only, not {url}")
        self._loaded = False
        result = self.command("Page.navigate", url=url)
        if result.get("errorText"):
            raise BrowserError(f"navigation to {url} failed: {result['errorText']}")
        self.wait_until(lambda: self._loaded, timeout, f"load event of {url}")

    def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        """The JSON value of a JavaScript expression (promises are awaited)."""
        result = self.command(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(
                f"{expression!r} threw: {details.get('exception', {}).get('description')}"
            )
        return result.get("result", {}).get("value")

    def wait_until(self, condition: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise BrowserError(f"timed out after {timeout} s waiting for {what}")
            self._pump(0.1)

    def wait_for(self, expression: str, timeout: float = 20.0) -> Any:
        """Poll a JavaScript expression until it is truthy; return its value."""
        return self.wait_until(lambda: self.evaluate(expression), timeout, expression)

    def text(self, selector: str = "body") -> str:
        """The visible text of the first element matching ``selector`` ('' if none)."""
        return str(
            self.evaluate(
                f"(function(){{var e=document.querySelector({json.dumps(selector)});return e?e.innerText:''}})()"
            )
        )

    def screenshot(self, path: str | os.PathLike[str], full_page: bool = True) -> Path:
        """Save a PNG of the page (the whole page unless ``full_page=False``)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.command("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics.get("contentSize")
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": 1,
            }
            params["captureBeyondViewport"] = True
        data = self.command("Page.captureScreenshot", **params)["data"]
        target = Path(path)
        target.write_bytes(base64.b64decode(data))
        return target

    def close(self) -> None:
        self.ws.close()


class Browser:
    """A headless Chromium process with a fresh profile; use as a context manager."""

    def __init__(
        self,
        executable: str | None = None,
        *,
        width: int = 1280,
        height: int = 900,
        startup_timeout: float = 30.0,
    ):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise BrowserError("Chromium not found (bash scripts/setup-browser)")
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="kg-chromium-")
        args = [
            self.executable,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={self.profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        # stderr to a file: Chromium logs freely, and a full pipe would stall it.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self._log)
        self.port = self._wait_for_port(startup_timeout)
        self.pages: list[Page] = []

    def _wait_for_port(self, timeout: float) -> int:
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                error = self._log.read().decode(errors="replace")
                self._cleanup()
                raise BrowserError(
                    f"Chromium exited with {self.process.returncode}: {error[-2000:]}"
                )
            with contextlib.suppress(OSError, ValueError, IndexError):
                return int(marker.read_text().splitlines()[0])
            time.sleep(0.05)
        self.close()
        raise BrowserError(f"Chromium did not open its DevTools port within {timeout} s")

    def _http(self, method: str, path: str) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise BrowserError(f"DevTools {method} {path}: {response.status} {body[:200]!r}")
        return json.loads(body)

    def new_page(self) -> Page:
        """A new blank tab."""
        target = self._http("PUT", "/json/new?about:blank")
        page = Page(target["webSocketDebuggerUrl"], self.width, self.height)
        self.pages.append(page)
        return page

    def close(self) -> None:
        for page in self.pages:
            with contextlib.suppress(Exception):
                page.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def open_page(url: str, **options: Any) -> Iterator[Page]:
    """A browser with one page already on ``url``; closed afterwards."""
    with Browser(**options) as browser:
        page = browser.new_page()
        page.goto(url)
        yield page
