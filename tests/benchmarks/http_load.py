"""HTTP load on `kb serve` over MedQuAD (47k passages), beside a plain
Flask + Whoosh app served the same way over the same passages, same run.

    python tests/benchmarks/http_load.py [--corpus PATH/medquad.tar.gz]
        [--seconds 60] [--clients 32] [--threads 8] [--workers 1,2]

Each server runs as a subprocess on 127.0.0.1 (port 0; only loopback
traffic), one after the other, under waitress with the same thread count
per process: the plain app in one process, `kb serve` once per --workers
count (worker processes on one socket).
--clients threads, each with its own keep-alive http.client connection,
send requests for --seconds (after a short warm-up) from a fixed-seed mix:
45% short keyword queries, 30% long questions (common.py's sets, QUERIES
of each, so repeats, hence hits in kb's response cache, are as rare as the
load allows; the count of distinct requests is printed), 10% page 2 or 3 of
either, 15% /api/suggest with a prefix of a short query (the plain app,
having one route, answers those as a search for the prefix).
Reported per server: the time of its first request once its port accepts
connections (before any warm-up), requests per second, p50/p99 latency in ms, errors
(non-200, unreadable JSON or a failed connection) and the peak RSS of the
largest server process (VmHWM in /proc/<pid>/status; for several workers,
the largest worker, the parent only supervising) and of all of them. The plain app (in this file, run
with --serve-plain) opens a new searcher per request, no caching: one
stemmed field, QueryParser with OrGroup, JSON of the top 10.
With --mix readers, the readers send instead the lay queries of the
MedQuAD dev set (../shared/eval/medquad_dev_queries.yaml, or --queries
PATH: keywords, questions, help-line messages, misspellings) and consumer
questions made from the corpus's titles ("can I exercise with X?"), each
with a topic word of the corpus appended, so nearly every request is
distinct and the response cache rarely answers (every request a search).
With --attack KIND (repeatable), each kb serve row runs again while
attackers beside the readers do one of:
  slow   150 connections trickle a request header that never ends, a byte
         a second;
  deep   8 clients ask, back to back, for the deepest page allowed (page x
         per_page = 1,000) of a short query, and past it (a 400);
  typos  8 clients send, back to back, queries of 12 long misspelled words
         (each a distinct spelling, so no correction is cached);
  unread 32 connections each pipeline 200 requests for the whole article
         list (1.4 MB an answer) and never read; one the server closes is
         opened again;
--attackers N sets their number. The readers' p99 should stay under 1 s.
Goals printed beside each kb serve row: zero errors, at least
50 req/s, p99 <= 1 s (then <= 250 ms), at least twice the plain app's
throughput.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

HOST = "127.0.0.1"
STARTUP_SECONDS = 300  # kb serve reads 11,000 YAML files before it listens
WARMUP_SECONDS = 3
P99_GOAL_MS = (1000.0, 250.0)
RPS_GOAL = 50.0
QUERIES = 3000
REQUESTS_PER_CLIENT = 2000
ATTACKERS = {"slow": 150, "deep": 8, "typos": 8, "unread": 32}  # default attacking connections
UNREAD_PIPELINE = 200
DEV_QUERIES = common.ROOT.parent / "shared" / "eval" / "medquad_dev_queries.yaml"
# Consumer questions, each about a topic of the corpus (an article title).
CONSUMER = ("can I exercise with {}?", "is {} contagious", "what should I eat if I have {}",
            "does {} go away on its own?", "my doctor said {} - is it serious",
            "{} home remedies", "can {} come back after treatment?",
            "is {} something my children could inherit")
_ADDRESS = re.compile(r"http://127\.0\.0\.1:(\d+)/")


def plain_app(whoosh_dir: Path):
    """One route; a new searcher per request; JSON of the top 10."""
    from flask import Flask, jsonify, request
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(whoosh_dir), readonly=True)
    parser = common.plain_whoosh_parser(ix)
    app = Flask("plain")

    @app.get("/api/search")
    def search():
        page = max(1, request.args.get("page", 1, type=int))
        with ix.searcher() as searcher:
            hits = searcher.search_page(parser.parse(request.args.get("q", "")), page,
                                        pagelen=10)
            return jsonify({"query": request.args.get("q", ""), "total": hits.total,
                            "results": [dict(hit.fields(), score=hit.score)
                                        for hit in hits]})
    return app


def serve_plain(whoosh_dir: Path, threads: int) -> None:
    from waitress.server import create_server

    server = create_server(plain_app(whoosh_dir), host=HOST, port=0, threads=threads)
    print(f"plain app at http://{HOST}:{server.effective_port}/", file=sys.stderr, flush=True)
    server.run()


def start(cmd: list, **popen) -> tuple[subprocess.Popen, int]:
    """Start a server; its port, from the address it prints on stderr."""
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **popen)
    found: list[int] = []

    def read() -> None:
        for line in proc.stderr:  # keep draining so the server never blocks
            match = _ADDRESS.search(line)
            if match and not found:
                found.append(int(match.group(1)))
    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not found and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    while found and proc.poll() is None and time.monotonic() < deadline:
        try:  # kb serve listens once its workers are warm
            socket.create_connection((HOST, found[0]), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise SystemExit(f"server did not start: {' '.join(map(str, cmd))}")
    return proc, found[0]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def server_processes(pid: int) -> list[int]:
    """``pid`` and its worker processes (Linux's children list)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def peak_rss(pid: int) -> tuple[float, float]:
    """Peak RSS in MiB of the largest process of a server, and of all of
    them (counting pages shared between workers once per worker)."""
    each = [peak_rss_mib(p) for p in server_processes(pid)]
    return max(each), sum(each)


def request_mix(short: list[str], long: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.45:
            path = "/api/search?" + urllib.parse.urlencode({"q": rng.choice(short)})
        elif roll < 0.75:
            path = "/api/search?" + urllib.parse.urlencode({"q": rng.choice(long)})
        elif roll < 0.85:
            path = "/api/search?" + urllib.parse.urlencode(
                {"q": rng.choice(short + long), "page": rng.choice((2, 3))})
        else:
            word = rng.choice(short)
            path = "/api/suggest?" + urllib.parse.urlencode(
                {"q": word[:rng.randint(3, max(3, len(word)))]})
        out.append(path)
    return out


def reader_queries(docs: list[common.Doc], queries_file: Path) -> list[str]:
    """The dev set's lay queries and consumer questions about the corpus's
    topics (as many of those as of the dev queries)."""
    import yaml

    lay = [q["q"] for q in yaml.safe_load(queries_file.read_text(encoding="utf-8"))["queries"]]
    rng = random.Random(11)
    titles = sorted({d.title for d in docs if len(d.title) < 40})
    return lay + [rng.choice(CONSUMER).format(rng.choice(titles).lower()) for _ in lay]


def reader_mix(queries: list[str], words: list[str], n: int, seed: int) -> list[str]:
    """``n`` searches of ``queries``, each with a topic word appended."""
    rng = random.Random(seed)
    return ["/api/search?" + urllib.parse.urlencode(
                {"q": f"{rng.choice(queries)} {rng.choice(words)}"}) for _ in range(n)]


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def first_search_ms(port: int, path: str) -> float:
    """The time of one request, the server's first (what its first reader
    waits for the model, vectors and tables it loads on first use)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=STARTUP_SECONDS)
    started = time.perf_counter()
    try:
        conn.request("GET", path.replace("/api/suggest", "/api/search", 1))
        conn.getresponse().read()
    finally:
        conn.close()
    return (time.perf_counter() - started) * 1000


def client(port: int, paths: list[str], until: float, tally: Tally, plain: bool) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    i = 0
    while time.monotonic() < until:
        path = paths[i % len(paths)]
        i += 1
        if plain and path.startswith("/api/suggest"):
            path = path.replace("/api/suggest", "/api/search", 1)
        started = time.perf_counter()
        ok = False
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            json.loads(body)
            ok = response.status == 200
        except (OSError, http.client.HTTPException, ValueError):
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        with tally.lock:
            tally.latencies_ms.append(elapsed)
            tally.paths.add(path)
            tally.errors += not ok
    conn.close()


def load(port: int, mixes: list[list[str]], warm: list[list[str]], seconds: float,
         plain: bool) -> tuple[Tally, float]:
    def run(duration: float, paths: list[list[str]]) -> tuple[Tally, float]:
        tally = Tally()
        until = time.monotonic() + duration
        threads = [threading.Thread(target=client, args=(port, p, until, tally, plain))
                   for p in paths]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return tally, time.perf_counter() - started
    run(WARMUP_SECONDS, warm)
    return run(seconds, mixes)


def misspelled_queries(docs: list[common.Doc], n: int, seed: int = 7) -> list[str]:
    """Queries of 12 long words of the corpus, each with two letters
    swapped and one dropped."""
    rng = random.Random(seed)
    words = sorted({w for d in docs for w in re.findall(r"[a-z]{8,}", d.body.lower())})

    def typo(word: str) -> str:
        i = rng.randrange(1, len(word) - 2)
        word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        j = rng.randrange(1, len(word) - 1)
        return word[:j] + word[j + 1:]
    return [" ".join(typo(rng.choice(words)) for _ in range(12)) for _ in range(n)]


class Attackers:
    """``count`` clients sending ``paths`` back to back on their own
    connections while the block runs; their answers are not the readers'."""

    def __init__(self, port: int, count: int, paths: list[str]) -> None:
        self.port, self.count, self.paths = port, count, paths
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(n,), daemon=True)
                         for n in range(count)]
        self.sent = 0

    def __enter__(self) -> "Attackers":
        for t in self._threads:
            t.start()
        return self

    def _send(self, n: int) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        i = n
        while not self._stop.is_set():
            try:
                conn.request("GET", self.paths[i % len(self.paths)])
                conn.getresponse().read()
                self.sent += 1
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            i += self.count
        conn.close()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


class SlowClients:
    """``count`` connections that send a request header a byte a second and
    never finish it (a slow-client attack), held open while the block runs."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self.sockets: list[socket.socket] = []

    def __enter__(self) -> "SlowClients":
        for _ in range(self.count):
            sock = socket.create_connection((HOST, self.port), timeout=10)
            sock.sendall(b"GET /api/search?q=slow HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            self.sockets.append(sock)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.sendall(b"x")
                except OSError:
                    pass

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


class UnreadClients:
    """``count`` connections that each pipeline UNREAD_PIPELINE requests for
    the whole article list and never read; each one the server closes is
    opened again, while the block runs."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)
        self.opened = 0

    def _open(self) -> socket.socket | None:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((HOST, self.port))
            sock.sendall(b"GET /api/articles HTTP/1.1\r\nHost: x\r\n\r\n" * UNREAD_PIPELINE)
        except OSError:
            return None
        self.opened += 1
        return sock

    def __enter__(self) -> "UnreadClients":
        self.sockets = [self._open() for _ in range(self.count)]
        self._thread.start()
        return self

    def _hold(self) -> None:
        import select

        while not self._stop.wait(0.5):
            for i, sock in enumerate(self.sockets):
                closed = sock is None
                if sock is not None and select.select([sock], [], [], 0)[0]:
                    try:  # readable with nothing to read, or reset: closed
                        closed = sock.recv(1, socket.MSG_PEEK) == b""
                    except OSError:
                        closed = True
                if closed:
                    if sock is not None:
                        sock.close()
                    self.sockets[i] = self._open()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            if sock is not None:
                sock.close()


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-plain":
        serve_plain(Path(sys.argv[2]), int(sys.argv[3]))
        return 0

    def extra(parser):
        parser.add_argument("--seconds", type=float, default=60.0)
        parser.add_argument("--clients", type=int, default=32)
        parser.add_argument("--threads", type=int, default=8,
                            help="waitress threads of each server process (default 8)")
        parser.add_argument("--workers", default="1,2",
                            help="kb serve worker counts to run, comma-separated (default 1,2)")
        parser.add_argument("--attack", action="append", default=[],
                            choices=sorted(ATTACKERS),
                            help="also run each kb serve row under this attack (repeatable)")
        parser.add_argument("--attackers", type=int,
                            help="attacking connections (default: slow 150, deep 8, typos 8, "
                                 "unread 32)")
        parser.add_argument("--mix", choices=("short-long", "readers"), default="short-long",
                            help="the readers' requests (default short-long; see above)")
        parser.add_argument("--queries", type=Path, default=DEV_QUERIES,
                            help="the dev queries for --mix readers")
    args = common.arguments(__doc__, extra)
    counts = sorted({int(n) for n in args.workers.split(",")})
    corpus = common.corpus(args.corpus)
    docs = common.load_docs(corpus.kb_dir)
    _, whoosh_dir = common.baselines(corpus, docs)
    sets = common.query_sets(docs, QUERIES)
    short, long = sets["short"][1], sets["long"][1]
    if args.mix == "readers":
        queries = reader_queries(docs, args.queries)
        words = sorted({w for d in docs for w in re.findall(r"[a-z]{5,}", d.title.lower())})
        mixes = [reader_mix(queries, words, REQUESTS_PER_CLIENT, n) for n in range(args.clients)]
        warm = [reader_mix(queries, words, 100, 1000 + n) for n in range(args.clients)]
    else:
        mixes = [request_mix(short, long, REQUESTS_PER_CLIENT, n) for n in range(args.clients)]
        warm = [request_mix(sets["short"][0], sets["long"][0], 100, 1000 + n)
                for n in range(args.clients)]
    servers = {
        "plain Flask+Whoosh": [sys.executable, __file__, "--serve-plain", whoosh_dir,
                               args.threads],
        **{f"kb serve, {n} worker{'s' * (n > 1)}": [
            common.KB, "serve", "--host", HOST, "--port", "0", "--workers", n,
            "--threads", args.threads, "--kb-dir", corpus.kb_dir,
            "--index-dir", corpus.index_dir] for n in counts},
    }
    attack_paths = {
        "deep": [f"/api/search?{urllib.parse.urlencode({'q': q, 'page': page, 'per_page': size})}"
                 for q in short for page, size in ((100, 10), (20, 50), (101, 10))],
        "typos": ["/api/search?" + urllib.parse.urlencode({"q": q})
                  for q in misspelled_queries(docs, QUERIES)] if "typos" in args.attack else [],
    }
    attacks = {}
    for kind in args.attack:
        count = args.attackers or ATTACKERS[kind]
        for name, cmd in list(servers.items()):
            if name.startswith("kb") and "attack" not in name:
                servers[f"{name}, {count} {kind} attack"] = cmd
                attacks[f"{name}, {count} {kind} attack"] = (kind, count)
    print(f"MedQuAD: {len(docs)} passages; mix {args.mix}; "
          f"{args.clients} clients for {args.seconds:.0f} s "
          f"per server, waitress threads {args.threads} per process; {common.load_average()}")
    rows = {}
    for name, cmd in servers.items():
        proc, port = start(cmd)
        try:
            print(f"  {name}: first search once the port accepts: "
                  f"{first_search_ms(port, mixes[0][0]):.0f} ms")
            kind, count = attacks.get(name, (None, 0))
            attack = (SlowClients(port, count) if kind == "slow" else
                      UnreadClients(port, count) if kind == "unread" else
                      Attackers(port, count, attack_paths[kind]) if kind else
                      contextlib.nullcontext())
            with attack:
                tally, took = load(port, mixes, warm, args.seconds,
                                   plain=name.startswith("plain"))
            if isinstance(attack, Attackers):
                print(f"  {name}: the attackers sent {attack.sent} requests")
            if isinstance(attack, UnreadClients):
                print(f"  {name}: the attackers opened {attack.opened} connections")
            print(f"  {name}: {len(tally.latencies_ms)} requests, "
                  f"{len(tally.paths)} distinct")
            rows[name] = (len(tally.latencies_ms) / took,
                          common.percentile(tally.latencies_ms, 50),
                          common.percentile(tally.latencies_ms, 99),
                          tally.errors, len(tally.latencies_ms), *peak_rss(proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(f"  {name} done; {common.load_average()}")
    print(f"{'server':44}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'requests':>10}{'peak RSS MiB':>14}{'all procs':>11}")
    for name, (rps, p50, p99, errors, total, rss, rss_all) in rows.items():
        print(f"{name:44}{rps:>9.1f}{p50:>9.1f}{p99:>9.1f}{errors:>8}{total:>10}"
              f"{rss:>14.0f}{rss_all:>11.0f}")
    plain = rows["plain Flask+Whoosh"]
    for name, kb in rows.items():
        if name.startswith("plain"):
            continue
        ratio = kb[0] / plain[0]
        print(f"{name}: zero errors ({kb[3]}: {'met' if kb[3] == 0 else 'MISSED'}), "
              f">= {RPS_GOAL:.0f} req/s ({kb[0]:.1f}: {'met' if kb[0] >= RPS_GOAL else 'MISSED'}), "
              + ", ".join(f"p99 <= {goal:.0f} ms ({'met' if kb[2] <= goal else 'MISSED'})"
                          for goal in P99_GOAL_MS)
              + f", throughput >= 2x plain ({ratio:.2f}x: {'met' if ratio >= 2 else 'MISSED'})")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
