"""Connections that ask and never read (webapp/server.py's BoundedChannel):
they hold no thread, so other readers are answered; they are disconnected
after UNREAD_TIMEOUT; and SIGTERM stops the server whatever they do.

The attack of each test: connections with a 4 KB receive buffer that each
pipeline 160 requests for a 400 KB article page (64 MB of answers) and
never read a byte. Without the bounds, each such connection holds one of
waitress's threads for as long as it stays open.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

import serve_process
from serve_process import GUARD_SECONDS
from webapp.server import DRAIN_SECONDS, THREAD_STOP_SECONDS
from support import HASHED_MODEL

BIG_ID = "a-very-long-article"
PIPELINED = 160
THREADS = 2
UNREAD_TIMEOUT = 2.0
# kb serve with a short UNREAD_TIMEOUT.
_SERVE = f"import sys, webapp.server as s; s.UNREAD_TIMEOUT = {UNREAD_TIMEOUT}"


@pytest.fixture(scope="module")
def big_kb(tmp_path_factory) -> tuple[Path, Path]:
    """A knowledge base whose one article's page is about 400 KB, indexed:
    ``(kb_dir, index_dir)``."""
    from index import build_index
    from kb.article import Article, Section
    from kb.store import load_knowledge_base, write_article

    kb_dir = tmp_path_factory.mktemp("big-kb")
    paragraph = "Numbness in the leg comes from a pressed nerve. " * 200  # 10 KB
    write_article(Article(BIG_ID, "A Very Long Article", tuple(
        Section("fact", number=n, heading=f"Fact number {n}", text=paragraph)
        for n in range(1, 41))), kb_dir)
    index_dir = tmp_path_factory.mktemp("big-index")
    build_index(load_knowledge_base(kb_dir), index_dir, model=HASHED_MODEL)
    return kb_dir, index_dir


@contextlib.contextmanager
def _serving(big_kb, log_path: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """kb serve, one process of THREADS threads: ``(process, port)``."""
    kb_dir, index_dir = big_kb
    proc = serve_process.start(_SERVE, ["--workers", "1", "--threads", str(THREADS),
                                        "--no-query-log", "--kb-dir", str(kb_dir),
                                        "--index-dir", str(index_dir)], log_path)
    try:
        yield proc, serve_process.ready_port(proc, log_path)
    finally:
        serve_process.stop(proc)


@pytest.fixture(scope="module")
def shared_server(big_kb, tmp_path_factory):
    """One server for the tests that leave it serving (each closes its
    connections)."""
    with _serving(big_kb, tmp_path_factory.mktemp("serve") / "serve.log") as served:
        yield served


@pytest.fixture
def server(big_kb, tmp_path):
    """A server of its own, for a test that stops it."""
    with _serving(big_kb, tmp_path / "serve.log") as served:
        yield served


def _attack(port: int, connections: int) -> list[socket.socket]:
    """Connections that pipeline PIPELINED requests for the big page and
    never read."""
    request = f"GET /articles/{BIG_ID} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * PIPELINED
    held = []
    for _ in range(connections):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(request)
        held.append(sock)
    time.sleep(1.0)  # time to fill their buffers and, unbounded, take every thread
    return held


def _search(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GUARD_SECONDS)
    try:
        conn.request("GET", "/api/search?q=numbness")
        response = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()


def _closed_by_server(sock: socket.socket) -> bool:
    """Read what the server had sent until it closes; True when it closed
    before sending a quarter of the answers asked for (reading makes an
    open connection send more)."""
    sock.settimeout(GUARD_SECONDS)
    budget = PIPELINED // 4 * 400_000
    try:
        while budget > 0:
            chunk = sock.recv(1 << 16)
            if not chunk:
                return True
            budget -= len(chunk)
    except ConnectionResetError:
        return True
    except socket.timeout:
        pass
    return False


def test_connections_that_never_read_do_not_lock_other_readers_out(shared_server):
    _, port = shared_server
    held = _attack(port, THREADS + 2)
    try:
        for _ in range(3):
            assert _search(port)["results"]
    finally:
        for sock in held:
            sock.close()


def test_a_client_that_reads_nothing_is_disconnected_after_the_unread_timeout(shared_server):
    _, port = shared_server
    held = _attack(port, 1)
    try:
        time.sleep(UNREAD_TIMEOUT + 1.5)  # the loop checks once a second at least
        assert _closed_by_server(held[0])
        assert _search(port)["results"]
    finally:
        held[0].close()


def test_sigterm_stops_the_server_while_connections_never_read(server):
    proc, port = server
    held = _attack(port, THREADS + 2)
    try:
        proc.send_signal(signal.SIGTERM)
        # Draining waits for no client that does not read.
        assert proc.wait(timeout=DRAIN_SECONDS + THREAD_STOP_SECONDS + 5) == 0
    finally:
        for sock in held:
            sock.close()
