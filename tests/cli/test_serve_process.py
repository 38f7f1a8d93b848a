"""`kg serve` as a process: a busy port is refused, and the start is free of warnings
(issue 14 items 6 and 7)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.conftest import LiveServer


def test_a_second_server_on_a_busy_port_fails(live_server: LiveServer, seed_store: Path) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "kg.cli", "serve", "--store", str(seed_store),
         "--host", "127.0.0.1", "--port", str(live_server.port)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode != 0
    assert "address already in use" in second.stderr
    assert "Traceback" not in second.stderr
    # The first server still answers every request (granian would have shared the port).
    for _ in range(5):
        with urllib.request.urlopen(live_server.url + "/healthz", timeout=10) as response:
            assert response.status == 200


def test_start_logs_no_warning(live_server: LiveServer) -> None:
    started = "".join(live_server.output)
    assert "Listening at" in started  # the start-up lines are there to be read
    assert "[WARNING]" not in started, started
