"""Serving the site: waitress in worker processes that share one socket.

The parent binds the listening socket (``listen``), then ``serve`` forks
the workers. Each worker builds its own app (``make_app``), so every
searcher, open file and memory map is opened after the fork, in the process
that uses it: nothing mutable is shared, and the kernel hands each new
connection to one of the workers. The parent only supervises: a worker that
dies is replaced, SIGTERM or SIGINT stops them all, and a worker dies with
its parent (Linux's parent-death signal) even when the parent is killed.
A stopping worker drains: it stops accepting, answers what it has read and
closes each connection once its answer is out, so a proxy in front retries
elsewhere whatever was not answered, and no answer is cut short.
Each worker's SearchIndex looks for a new generation on every request.

Why waitress in N processes and not gunicorn: over 150 connections that
were idle or sent a request header a byte a second, gunicorn's threaded
workers (2 workers of 4 threads) left every other reader waiting more than
10 s, since a thread is given to a connection before its request is whole;
waitress reads requests in its I/O loop and hands only complete ones to its
threads, and answered the other readers in 1-6 ms under the same 150.

Bounds (per worker, SERVER_OPTIONS): at most CONNECTION_LIMIT open
connections, each closed after CHANNEL_TIMEOUT seconds without a byte; a
request header of at most MAX_HEADER_BYTES and a body of at most
MAX_BODY_BYTES (no endpoint takes a body; waitress answers 413 beyond).
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import socket
import sys
import time
from typing import Callable

from waitress import wasyncore

from kb.processes import die_with_parent

CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 30
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 8 * 1024
SERVER_OPTIONS = {
    "connection_limit": CONNECTION_LIMIT,
    "channel_timeout": CHANNEL_TIMEOUT,
    "cleanup_interval": 10,
    "max_request_header_size": MAX_HEADER_BYTES,
    "max_request_body_size": MAX_BODY_BYTES,
    # poll(), not select(): select() cannot watch a descriptor above 1023.
    "asyncore_use_poll": True,
    "ident": "kb",
}
# A worker that dies this many times within RESTART_WINDOW seconds is not
# restarted again: the whole server stops with an error instead.
MAX_RESTARTS = 5
RESTART_WINDOW = 30.0
# A stopping worker finishes the requests in hand for at most this long;
# the parent waits a little longer before it kills.
DRAIN_SECONDS = 10.0
STOP_SECONDS = DRAIN_SECONDS + 5.0
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


class _Stop(Exception):
    """Raised in the parent by SIGTERM or SIGINT."""


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one).
    Raises OSError when the address is taken or cannot be had."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _Drain(wasyncore.ExitNow):
    """Raised in a serving process by SIGTERM: finish, then stop. Waitress's
    ExitNow, the one exception its loop neither swallows (as it does any
    other raised while it handles a connection) nor turns into a stop
    without draining (as its run() does SystemExit and KeyboardInterrupt)."""


def _raise_drain(signum, frame):
    raise _Drain()


def run_in_process(app, sock: socket.socket, threads: int) -> None:
    """Serve ``app`` on ``sock`` in this process until interrupted; on
    SIGTERM, drain (``_drain``) first."""
    from waitress.server import create_server

    server = create_server(app, sockets=[sock], threads=threads, **SERVER_OPTIONS)
    previous = signal.signal(signal.SIGTERM, _raise_drain)
    try:
        server.run()
    except _Drain:
        _drain(server)
        server.task_dispatcher.shutdown()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()


def _drain(server, seconds: float | None = None) -> None:
    """Stop accepting, answer the requests already read, then close every
    connection once its answer is sent: a proxy in front sees connections
    refused or closed before any byte of an answer, which it may retry on
    another instance, never an answer cut short. At most DRAIN_SECONDS.

    Reaches into waitress's channel state (its map, ``active_channels``,
    ``requests``, ``close_when_flushed``), which waitress 3 keeps stable."""
    deadline = time.monotonic() + (DRAIN_SECONDS if seconds is None else seconds)
    wasyncore.dispatcher.close(server)  # the listening socket, in this process
    while server.active_channels and time.monotonic() < deadline:
        for channel in list(server.active_channels.values()):
            if not channel.requests:  # idle, or its answer is in the buffer
                channel.close_when_flushed = True
        wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)


def serve(make_app: Callable[[], object], sock: socket.socket, *, workers: int,
          threads: int, log: Callable[[str], None] = print) -> int:
    """Run ``workers`` worker processes on ``sock`` until SIGTERM or SIGINT;
    the exit status (0, or 1 when workers kept dying)."""
    children: dict[int, float] = {}  # pid -> start time
    deaths: list[float] = []

    def stop(signum, frame):
        raise _Stop()
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    parent = os.getpid()
    try:
        for _ in range(workers):
            pid = _fork_worker(make_app, sock, threads, parent)
            children[pid] = time.monotonic()
        while True:
            pid, status = os.wait()
            if pid not in children:
                continue
            del children[pid]
            now = time.monotonic()
            deaths[:] = [t for t in deaths if now - t < RESTART_WINDOW] + [now]
            log(f"worker {pid} exited ({_describe(status)})")
            if len(deaths) > MAX_RESTARTS:
                log(f"workers died {len(deaths)} times in {RESTART_WINDOW:.0f} s; stopping")
                return 1
            children[_fork_worker(make_app, sock, threads, parent)] = now
    except _Stop:
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        # Closed here first, so the port refuses new connections once the
        # draining workers have closed theirs.
        sock.close()
        _stop_all(children)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"status {os.waitstatus_to_exitcode(status)}"


def _stop_all(children: dict[int, float]) -> None:
    for pid in children:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while children and time.monotonic() < deadline:
        for pid in list(children):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                del children[pid]
        time.sleep(0.05)
    for pid in children:
        _signal(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _fork_worker(make_app: Callable[[], object], sock: socket.socket, threads: int,
                 parent: int) -> int:
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        _become_worker(parent)
        run_in_process(make_app(), sock, threads)
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _become_worker(parent: int) -> None:
    """Signals and limits of a worker process, set right after the fork
    (run_in_process drains on SIGTERM once it serves)."""
    def exit_now(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, exit_now)
    # Ctrl+C reaches the whole process group; the parent stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not die_with_parent(signal.SIGTERM, parent):
        raise SystemExit(0)
    # glibc gives each thread that allocates its own arena, up to eight per
    # core, and memory freed in one serves no other: with a waitress thread
    # per request, a worker then holds the fragments of every arena. Two
    # arenas measured 17% less peak memory per worker over MedQuAD.
    try:
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):  # not glibc
        pass
    # Room for CONNECTION_LIMIT sockets besides the index files.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
