"""`kb serve --workers N` over real HTTP: worker processes on one socket,
replaced when they die, gone with their parent, bounded against idle and
trickling connections and request bodies, each seeing a new generation on
its next request (webapp/server.py)."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support import HASHED_MODEL, start_kb_serve, stop_kb_serve
from webapp.server import CHANNEL_TIMEOUT, MAX_BODY_BYTES, MAX_HEADER_BYTES

pytestmark = pytest.mark.slow  # real `kb serve` processes

HELD_CONNECTIONS = 150
# Hang guards, never speed limits: a busy machine may be slow.
GUARD = 120.0


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux's children list)."""
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except FileNotFoundError:  # the process has exited
        return set()


def _state(pid: int) -> str:
    """A process's state letter (R, S, Z...), or "gone"."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return "gone"


def _alive(pid: int) -> bool:
    return _state(pid) not in ("Z", "gone")


def _wait_until(condition, seconds: float = GUARD) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _get(url: str, path: str, timeout: float = GUARD) -> tuple[int, dict]:
    address = urlsplit(url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, json.loads(body)
    finally:
        conn.close()


def _stopped(server, kb_dir: Path) -> int:
    """The exit status of a server told to stop; if it hangs, a failure
    with its log and its processes' states."""
    try:
        return server.wait(timeout=GUARD)
    except subprocess.TimeoutExpired:
        states = {pid: _state(pid) for pid in (server.pid, *_children(server.pid))}
        log = (kb_dir.parent / "server.log").read_text(encoding="utf-8", errors="replace")
        pytest.fail(f"kb serve did not stop within {GUARD:.0f} s (a hang guard); "
                    f"process states {states}; its log:\n{log}")


@contextlib.contextmanager
def _serving(folder: Path, web_kb_dir: Path):
    kb_dir = folder / "kb"
    shutil.copytree(web_kb_dir, kb_dir)
    index_dir = folder / "index"
    server, url = start_kb_serve(["--workers", "2", "--threads", "2", "--kb-dir", str(kb_dir),
                                  "--index-dir", str(index_dir)], folder / "server.log")
    try:
        yield server, url, kb_dir, index_dir
    finally:
        stop_kb_serve(server)


@pytest.fixture
def served(tmp_path, web_kb_dir):
    """`kb serve --workers 2` over a copy of the web knowledge base, for a
    test that stops it or kills its parent: ``(process, url, kb_dir,
    index_dir)``."""
    with _serving(tmp_path, web_kb_dir) as serving:
        yield serving


@pytest.fixture(scope="module")
def shared(tmp_path_factory, web_kb_dir):
    """The same, shared by the tests that leave it serving as they found
    it: they read from it, or replace a killed worker, or add an article
    no other test searches for."""
    with _serving(tmp_path_factory.mktemp("shared-server"), web_kb_dir) as serving:
        yield serving


def test_two_workers_are_processes_of_their_own_that_answer_searches(shared):
    server, url, _, _ = shared
    assert _wait_until(lambda: len(_children(server.pid)) == 2)
    for _ in range(6):
        status, body = _get(url, "/api/search?q=sciatica")
        assert status == 200 and body["results"]


def test_a_killed_worker_is_replaced_and_searches_go_on(shared):
    server, url, _, _ = shared
    assert _wait_until(lambda: len(_children(server.pid)) == 2)
    victim = min(_children(server.pid))
    os.kill(victim, signal.SIGKILL)
    assert _wait_until(lambda: victim not in _children(server.pid)
                       and len(_children(server.pid)) == 2)
    for _ in range(6):
        assert _get(url, "/api/search?q=numb")[0] == 200


def test_workers_die_with_their_parent_even_when_it_is_killed(served):
    server, _, _, _ = served
    assert _wait_until(lambda: len(_children(server.pid)) == 2)
    workers = _children(server.pid)
    server.kill()
    server.wait()
    assert _wait_until(lambda: not any(_alive(pid) for pid in workers))


def test_sigterm_stops_the_parent_and_every_worker_cleanly(served):
    server, _, kb_dir, _ = served
    assert _wait_until(lambda: len(_children(server.pid)) == 2)
    workers = _children(server.pid)
    server.terminate()
    assert _stopped(server, kb_dir) == 0
    assert _wait_until(lambda: not any(_alive(pid) for pid in workers))


def test_every_worker_serves_a_new_generation_once_it_has_loaded_it(shared, toe_article):
    from kb.article import Article, Section
    from kb.store import write_article

    server, url, kb_dir, index_dir = shared
    assert _get(url, "/api/search?q=zebrafish")[1]["total"] == 0
    write_article(Article("zebrafish-facts", "Zebrafish Facts",
                          (Section("fact", number=1, heading="Zebrafish",
                                   text="Zebrafish regrow their fins."),)), kb_dir)
    from index.building.build import sync_index
    assert sync_index(kb_dir, index_dir, model=HASHED_MODEL).changed
    # Each worker loads the new generation while the old one serves, then
    # moves to it. New connections each time: the kernel spreads them over
    # both workers, so twelve in a row found means both moved.
    deadline = time.monotonic() + GUARD
    found_in_a_row = 0
    while found_in_a_row < 12:
        assert time.monotonic() < deadline, "a worker kept serving the old generation"
        answer = _get(url, "/api/search?q=zebrafish")[1]
        if answer["total"]:
            assert answer["results"][0]["article"]["id"] == "zebrafish-facts"
            found_in_a_row += 1
        else:
            found_in_a_row = 0
            time.sleep(0.05)


@pytest.mark.parametrize("mode", ["idle", "trickling"])
def test_held_connections_do_not_lock_out_other_readers(shared, mode):
    _, url, _, _ = shared
    address = urlsplit(url)
    held = []
    try:
        for _ in range(HELD_CONNECTIONS):
            sock = socket.create_connection((address.hostname, address.port), timeout=GUARD)
            if mode == "trickling":  # a request header that never ends
                sock.sendall(b"GET /api/search?q=leg HTTP/1.1\r\nX-Slow: ")
            held.append(sock)
        for _ in range(3):
            if mode == "trickling":
                for sock in held:
                    sock.sendall(b"x")
            # Answered at all, while every held connection stays open (an
            # idle one is closed after CHANNEL_TIMEOUT: the reader must not
            # wait for that).
            status, body = _get(url, "/api/search?q=sciatica", timeout=CHANNEL_TIMEOUT - 5)
            assert status == 200 and body["results"]
    finally:
        for sock in held:
            sock.close()


def _raw_status(url: str, request: bytes) -> int:
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=GUARD) as sock:
        sock.sendall(request)
        reply = b""
        while b"\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return int(reply.split(b" ", 2)[1])


def test_a_request_body_over_the_cap_is_refused_unread(shared):
    _, url, _, _ = shared
    size = MAX_BODY_BYTES + 1
    status = _raw_status(url, b"POST /api/search HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: %d\r\n\r\n" % size + b"a" * size)
    assert status == 413


def test_a_request_header_over_the_cap_is_refused(shared):
    _, url, _, _ = shared
    status = _raw_status(url, b"GET /api/search?q=leg HTTP/1.1\r\nHost: x\r\nX-Big: "
                              + b"a" * MAX_HEADER_BYTES + b"\r\n\r\n")
    assert status in (400, 431)


def test_a_stopping_server_closes_idle_connections_cleanly_and_exits(served):
    server, url, kb_dir, _ = served
    address = urlsplit(url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=GUARD)
    conn.request("GET", "/api/search?q=sciatica")
    assert conn.getresponse().read()
    server.terminate()
    # The kept-alive connection is closed, not reset and not left open.
    assert conn.sock.recv(1) == b""
    conn.close()
    assert _stopped(server, kb_dir) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address.hostname, address.port), timeout=5).close()


def test_sigterm_met_while_a_connection_is_handled_still_drains_and_stops(monkeypatch):
    """waitress swallows exceptions raised while it handles a connection;
    the SIGTERM of a stop must get through all the same."""
    import threading

    import waitress.server
    from waitress import wasyncore

    from webapp import server as kb_server

    real_create, drained, pairs = waitress.server.create_server, [], []

    def create_server(app, **options):
        created = real_create(app, **options)

        class Poke(wasyncore.dispatcher):
            """A connection whose handling meets a SIGTERM."""
            def writable(self):
                return False

            def handle_read(self):
                self.recv(1)
                os.kill(os.getpid(), signal.SIGTERM)
        ours, theirs = socket.socketpair()
        pairs.extend((ours, theirs))
        theirs.send(b"x")
        Poke(ours, map=created._map)
        monkeypatch.setattr(kb_server, "_drain", lambda server: drained.append(server))
        return created
    monkeypatch.setattr(waitress.server, "create_server", create_server)

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b""]
    # Should the SIGTERM be swallowed, an interrupt ends the loop after 20 s.
    rescue = threading.Timer(20, os.kill, (os.getpid(), signal.SIGINT))
    rescue.start()
    try:
        with kb_server.bind("127.0.0.1", 0) as sock:
            kb_server.run_in_process(app, sock, threads=1, warm_first=False)
    finally:
        rescue.cancel()
        for sock in pairs:
            sock.close()
    assert len(drained) == 1
