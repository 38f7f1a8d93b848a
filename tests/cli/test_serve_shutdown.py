"""`kg serve` leaves no process behind, however it is stopped: SIGTERM or Ctrl-C, or its main
process killed outright (SIGKILL, an OOM kill).

Before, a main process killed outright left its granian worker listening on the port with
its query processes, the fork server and the resource tracker, for good; and a query
process in the middle of a query kept the fork server, and itself, alive after the
granian worker was gone. The server runs in a session of its own (LiveServer), so that
every process it started can be found in /proc, and killed at the end whatever happens.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

#: A query that runs for minutes over the seed store (a three-way cross product), stopped
#: after 20 s: it is still running when the server is stopped, and a graceful stop, which
#: lets the requests in flight finish, waits no longer than that for it.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SERVE_ARGS = [
    *("--query-workers", "2", "--app-query-workers", "1"),
    *("--query-timeout", "20", "--client-query-timeout", "20"),
]


def session_processes(session: int) -> dict[int, str]:
    """The live processes of ``session``, each with its parent, state and command (zombies
    are gone: they only wait to be reaped)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        state, parent, sid = fields[0], fields[1], int(fields[3])
        if sid == session and state != "Z":
            found[int(entry.name)] = f"{parent} {state} {command[:160]}"
    return found


def query_processes(session: int) -> list[int]:
    """The query processes: the fork server's children."""
    processes = session_processes(session)
    servers = {str(pid) for pid, line in processes.items() if "forkserver import main" in line}
    return [pid for pid, line in processes.items() if line.split()[0] in servers]


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(server: LiveServer, path: str, timeout: float = 60) -> int:
    try:
        with urllib.request.urlopen(server.url + path, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # the server went away under the request: expected for the runaway


def left_after(session: int, seconds: float) -> dict[int, str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = session_processes(session)
        if not left:
            return {}
        time.sleep(0.2)
    return session_processes(session)


@pytest.mark.parametrize("stop", ["sigkill", "sigterm", "ctrl-c"])
def test_no_process_outlives_the_server(seed_store: Path, stop: str) -> None:
    server = LiveServer(seed_store, extra_args=SERVE_ARGS)
    session = server.process.pid  # start_new_session: the main process leads its session
    try:
        assert get(server, "/reports/top-authors-by-papers") == 200
        sparql = "/sparql?query=" + urllib.parse.quote("SELECT * WHERE { ?s ?p ?o } LIMIT 3")
        for _ in range(3):
            assert get(server, sparql) == 200
        idle = {pid: cpu_seconds(pid) for pid in query_processes(session)}
        assert len(idle) >= 3, session_processes(session)  # --query-workers 2, app 1
        # One busy query process: a pyoxigraph call whose answer nobody will read.
        runaway = threading.Thread(
            target=get, args=(server, "/sparql?query=" + urllib.parse.quote(RUNAWAY), 600)
        )
        runaway.daemon = True
        runaway.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(
            cpu_seconds(pid) - idle.get(pid, 0.0) > 0.3 for pid in query_processes(session)
        ):
            time.sleep(0.1)

        if stop == "sigkill":
            server.process.kill()
        elif stop == "sigterm":
            server.process.terminate()
        else:  # Ctrl-C in a terminal: SIGINT to the whole foreground process group
            os.killpg(session, signal.SIGINT)
        server.process.wait(timeout=120)  # a graceful stop waits for the runaway's request
        # After the main process: a few seconds (more on a loaded machine), not for good.
        left = left_after(session, 20)
        assert not left, f"left after the server stopped ({stop}): {left}"
    finally:
        server.stop()  # kills what is left of the session, if anything
    output = "".join(server.output)
    assert "Traceback" not in output and "kg-query-worker" not in output, output
