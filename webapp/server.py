"""Serving the site: waitress in worker processes that share one socket.

The parent binds the socket (``bind``), then ``serve`` forks the workers.
Each worker builds its own app (``make_app``) and warms it (webapp/warm.py:
the model, vectors, arrays and tables loaded by serving one request of
each kind) before it listens, so no reader waits for a load. Every
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
What one connection may hold (``BoundedChannel``): at most MAX_PIPELINED
requests read ahead of their answers, and no new answer while more than
MAX_UNSENT_BYTES of the earlier ones wait for the client to read them; a
client that reads nothing for UNREAD_TIMEOUT seconds while answers wait
is disconnected. waitress alone gives a pipelined request a thread that
then waits for the client to read (past its 16 MB watermark) with no time
limit: 24 connections that each pipelined 205 requests for the article
list and never read held every thread of two workers for as long as they
stayed open, and a worker holding one did not stop on SIGTERM.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import socket
import sys
import threading
import time
from typing import Callable

from waitress import wasyncore
from waitress.channel import HTTPChannel

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
# What one connection may hold: requests read ahead of their answers (a
# browser sends one at a time; the rest of a longer pipeline is dropped and
# the connection closed once the kept ones are answered), and bytes of
# answers its client has not read before its next request is served.
MAX_PIPELINED = 16
MAX_UNSENT_BYTES = 256 * 1024
# A client that reads nothing for this long while its answers wait is
# disconnected (nginx's send_timeout is 60 s; a reader on a bad line reads
# something well within this).
UNREAD_TIMEOUT = 30.0
# A worker that dies this many times within RESTART_WINDOW seconds is not
# restarted again: the whole server stops with an error instead.
MAX_RESTARTS = 5
RESTART_WINDOW = 30.0
# A stopping worker finishes the requests in hand for at most this long;
# the parent waits a little longer before it kills.
DRAIN_SECONDS = 10.0
THREAD_STOP_SECONDS = 2.0
STOP_SECONDS = DRAIN_SECONDS + THREAD_STOP_SECONDS + 3.0
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


class _Stop(Exception):
    """Raised in the parent by SIGTERM or SIGINT."""


def single_threaded_blas() -> None:
    """Make numpy's BLAS run each product on its caller's thread alone.

    Call before numpy is first imported (OpenBLAS reads its thread count
    once, as it loads). A worker's request threads each scan the passage
    vectors (index/meaning/dense.py); with OpenBLAS's own pool of a thread per core
    under each, they contended: 64 ms of CPU a request against 48 ms with
    one thread, and 16 against 22 req/s (one worker, 32 clients, MedQuAD).
    An explicit setting in the environment is kept."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: a free one), not yet
    listening: connections are refused until the first worker is warm and
    listens on it (``run_in_process``). Raises OSError when the address is
    taken or cannot be had."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class BoundedChannel(HTTPChannel):
    """waitress's connection, bounded in what it may hold (module docstring).

    A connection whose client has not read more than MAX_UNSENT_BYTES of
    its answers is parked: its next request waits, holding no thread, until
    the main loop has sent enough (``handle_write``) or the client is
    disconnected (``writable``, after UNREAD_TIMEOUT seconds without a byte
    read). Reaches into waitress's channel state (``requests``,
    ``total_outbufs_len``, ``last_activity``), which waitress 3 keeps stable.
    """

    parked = False
    timed_out = False

    def received(self, data: bytes) -> bool:
        done = super().received(data)
        with self.requests_lock:
            if len(self.requests) > MAX_PIPELINED:
                for dropped in self.requests[MAX_PIPELINED:]:
                    dropped.close()
                del self.requests[MAX_PIPELINED:]
                # Answer the kept ones, then close: the client resends the rest.
                self.requests[-1].headers["CONNECTION"] = "close"
                self.request = None
        return done

    def service(self) -> None:
        if self.connected and self.total_outbufs_len > MAX_UNSENT_BYTES:
            self.parked = True  # handle_write queues the request again
            self.server.pull_trigger()
            return
        super().service()

    def writable(self) -> bool:
        if (self.total_outbufs_len and not self.timed_out
                and time.time() - self.last_activity > UNREAD_TIMEOUT):
            self.disconnect()
        return bool(super().writable()) or self.parked

    def handle_write(self) -> None:
        super().handle_write()
        if self.parked and self.connected and self.total_outbufs_len <= MAX_UNSENT_BYTES:
            self.parked = False
            self.server.add_task(self)

    def disconnect(self) -> None:
        """Close from the main loop: shut the socket, so the poll reports it
        and waitress closes the channel (releasing a thread that waits on it)."""
        self.timed_out = self.will_close = True
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _say(line: str) -> None:
    print(f"kb serve: {line}", file=sys.stderr, flush=True)


class _Drain(wasyncore.ExitNow):
    """Raised in a serving process's loop after SIGTERM: finish, then stop.
    Waitress's ExitNow, the one exception its loop neither swallows nor
    turns into a stop without draining."""


class _StopPipe(wasyncore.file_dispatcher):
    """A pipe in the server's loop. SIGTERM writes a byte to it (``pull``),
    and the loop reading it raises _Drain from the loop itself: raised by
    the signal handler, it could land inside waitress's handling of a
    connection, which swallows exceptions (a worker then never stopped)."""

    def __init__(self, socket_map: dict) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        super().__init__(self._read, map=socket_map)
        os.close(self._read)  # the dispatcher keeps its own copy
        self.fired = False

    def writable(self) -> bool:
        return False

    def handle_read(self) -> None:
        self.recv(64)
        if not self.fired:  # a second SIGTERM while draining changes nothing
            self.fired = True
            raise _Drain()

    def pull(self, signum=None, frame=None) -> None:
        try:
            os.write(self._write, b"x")
        except OSError:  # the pipe is full: a stop is pending already
            pass

    def close(self) -> None:
        super().close()
        os.close(self._write)


def run_in_process(app, sock: socket.socket, threads: int,
                   log: Callable[[str], None] = _say, *, warm_first: bool = True) -> None:
    """Warm ``app`` (the site, webapp/warm.py; unless not ``warm_first``),
    then serve it on ``sock`` in this process until SIGTERM (then drain,
    ``_drain``) or an interrupt. The socket listens only once the app is
    warm; ``log`` hears when."""
    from waitress.server import create_server

    from webapp.warm import keep_warm, warm

    started = time.monotonic()
    if warm_first:
        app.config["WARM_GENERATIONS"] = True  # before the app opens its index
        try:
            warm(app)
        except Exception as exc:  # then the first readers load what it missed
            log(f"process {os.getpid()}: the warm-up failed ({exc!r}); serving all the same")
    socket_map: dict = {}
    stop = _StopPipe(socket_map)
    server = create_server(app, map=socket_map, sockets=[sock], threads=threads,
                           **SERVER_OPTIONS)
    server.channel_class = BoundedChannel
    previous = signal.signal(signal.SIGTERM, stop.pull)
    stopping = threading.Event()
    log(f"process {os.getpid()} ready: warmed in {time.monotonic() - started:.1f} s, "
        "accepting connections")
    if warm_first:
        keep_warm(app, stopping)
    try:
        server.run()
    except _Drain:
        _drain(server)
        server.task_dispatcher.shutdown(timeout=THREAD_STOP_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        signal.signal(signal.SIGTERM, previous)
        stop.close()
        server.close()


def _drain(server, seconds: float | None = None) -> None:
    """Stop accepting, answer the requests already read, then close every
    connection once its answer is sent: a proxy in front sees connections
    refused or closed before any byte of an answer, which it may retry on
    another instance, never an answer cut short. At most DRAIN_SECONDS;
    a connection whose client does not read is not waited for, and any
    still open at the end is closed.

    Reaches into waitress's channel state (its map, ``active_channels``,
    ``requests``, ``close_when_flushed``), which waitress 3 keeps stable."""
    deadline = time.monotonic() + (DRAIN_SECONDS if seconds is None else seconds)
    wasyncore.dispatcher.close(server)  # the listening socket, in this process
    while server.active_channels and time.monotonic() < deadline:
        for channel in list(server.active_channels.values()):
            if getattr(channel, "parked", False):
                channel.disconnect()
            elif not channel.requests:  # idle, or its answer is in the buffer
                channel.close_when_flushed = True
        wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
    for channel in list(server.active_channels.values()):
        channel.handle_close()


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
