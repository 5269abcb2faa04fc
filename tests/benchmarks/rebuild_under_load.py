"""Rebuilds under load: `kb serve` over MedQuAD answers 16 client threads
while the index is rebuilt, while a rebuild is killed, and while two
rebuilds race.

    python tests/benchmarks/rebuild_under_load.py [--corpus PATH/medquad.tar.gz]
        [--clients 16] [--kill-after 0.4]

The server runs on 127.0.0.1 (port 0; loopback traffic only) over the
cached MedQuAD import (common.py) and a copy of its cached index. The
clients send /api/search requests (common.py's short and long queries,
pages 1-3) from the start of each phase to its end; every phase is bounded
in time. Phases:

1. ``kb index --full`` runs to completion;
2. a second ``kb index --full`` is killed with SIGKILL after --kill-after of
   the first build's time, then ``kb index`` runs with no clean-up first;
3. two ``kb index --full`` start at once: one must build, the other wait
   and exit 1 with a clear message.

Every answer is checked. An error is a failed connection or a status other
than 200. A partial answer is JSON that does not parse, ``total`` below the
number of results shown, a result whose article is in neither the manifest
before nor after the phase, or a result inconsistent in itself (its id,
url, anchor, kind and number must agree). Printed: a table per phase and
whether the index is whole after it.
"""
from __future__ import annotations

import http.client
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import http_load  # noqa: E402

from index import generations  # noqa: E402  (common.py puts the project on sys.path)
from kb.article import PASSAGE_KINDS  # noqa: E402

HOST = http_load.HOST
PHASE_LIMIT_SECONDS = 900  # no phase runs longer, whatever happens
SETTLE_SECONDS = 2.0       # load kept on after a phase's builds end


def manifest_ids(index_dir: Path) -> set[str]:
    manifest = generations.read_manifest(generations.current_generation(index_dir))
    return set(manifest.get("articles", {}))


def problems_in(body: dict, known_ids: set[str]) -> list[str]:
    """Why an answer is partial or inconsistent ([] when it is whole)."""
    found = []
    results = body.get("results")
    if not isinstance(results, list) or not isinstance(body.get("total"), int):
        return ["no results list or total"]
    if body["total"] < len(results):
        found.append(f"total {body['total']} < {len(results)} shown")
    if len(results) > body.get("per_page", 0):
        found.append("more results than per_page")
    if len({r.get("id") for r in results}) != len(results):
        found.append("a passage shown twice")
    for r in results:
        article = r.get("article") or {}
        article_id = article.get("id")
        anchor = str(r.get("id", "")).partition("#")[2]
        if article_id not in known_ids:
            found.append(f"article {article_id!r} in neither manifest")
        if not str(r.get("id", "")).startswith(f"{article_id}#"):
            found.append(f"id {r.get('id')!r} is not of article {article_id!r}")
        if article.get("url") != f"/articles/{urllib.parse.quote(str(article_id))}" \
                or r.get("url") != f"{article.get('url')}#{anchor}":
            found.append(f"urls of {r.get('id')!r} disagree")
        if r.get("kind") not in PASSAGE_KINDS \
                or (r.get("number") is None) != (r.get("kind") in ("intro", "conclusion")):
            found.append(f"kind/number of {r.get('id')!r} disagree")
        if not r.get("snippet") or not article.get("title"):
            found.append(f"{r.get('id')!r} has no snippet or title")
    return found


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    partial: int = 0
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ms: float, error: bool, problems: list[str]) -> None:
        with self.lock:
            self.latencies_ms.append(ms)
            self.errors += error
            self.partial += bool(problems)
            if problems and len(self.examples) < 5:
                self.examples.append("; ".join(problems[:3]))


def client(port: int, paths: list[str], stop: threading.Event, tally: Tally,
           known: dict) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    i = 0
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        error, problems = False, []
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            raw = response.read()
            if response.status != 200:
                error = True
            else:
                try:
                    problems = problems_in(json.loads(raw), known["ids"])
                except ValueError:
                    problems = ["JSON that does not parse"]
        except (OSError, http.client.HTTPException):
            error = True
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
        tally.add((time.perf_counter() - started) * 1000, error, problems)
    conn.close()


def search_paths(sets: dict, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    queries = sets["short"] + sets["long"]
    return ["/api/search?" + urllib.parse.urlencode(
        {"q": rng.choice(queries), "page": rng.choice((1, 1, 1, 2, 3))}) for _ in range(n)]


class Load:
    """``clients`` threads searching until stopped."""

    def __init__(self, port: int, sets: dict, clients: int, known: dict) -> None:
        self.tally, self.stop = Tally(), threading.Event()
        self.threads = [threading.Thread(target=client, args=(
            port, search_paths(sets, 400, n), self.stop, self.tally, known))
            for n in range(clients)]
        self.started = time.perf_counter()
        for t in self.threads:
            t.start()

    def finish(self) -> tuple[Tally, float]:
        time.sleep(SETTLE_SECONDS)
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)
        return self.tally, time.perf_counter() - self.started


def kb(*args: object) -> subprocess.Popen:
    return subprocess.Popen([str(common.KB), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=PHASE_LIMIT_SECONDS)
    return proc.returncode, (out + err).strip()


def building(index_dir: Path) -> list[Path]:
    return [p for p in index_dir.iterdir() if p.name.startswith(".building-")]


def whole(index_dir: Path, expected_ids: set[str]) -> str:
    """'yes' when CURRENT names a complete generation of every article and
    no build folder is left; otherwise what is wrong."""
    from index import SearchIndex

    wrong = []
    if manifest_ids(index_dir) != expected_ids:
        wrong.append("manifest differs")
    if building(index_dir):
        wrong.append(f"{len(building(index_dir))} build folder(s) left")
    engine = SearchIndex(index_dir)
    try:
        if not engine.search("diabetes symptoms").hits:
            wrong.append("a search finds nothing")
    finally:
        engine.close()
    return "yes" if not wrong else ", ".join(wrong)


def main() -> int:
    def extra(parser):
        parser.add_argument("--clients", type=int, default=16)
        parser.add_argument("--kill-after", type=float, default=0.4,
                            help="share of the first build's time after which the "
                                 "second build is killed (default 0.4)")
    args = common.arguments(__doc__, extra)
    corpus = common.corpus(args.corpus)
    kb_dir = corpus.kb_dir
    docs = common.load_docs(kb_dir)
    sets = {"short": common.short_queries(docs), "long": common.long_queries(docs)}
    work = Path(tempfile.mkdtemp(prefix="kb-rebuild-load-"))
    index_dir = work / "index"
    shutil.copytree(corpus.index_dir, index_dir)
    options = ("--kb-dir", kb_dir, "--index-dir", index_dir)
    expected_ids = manifest_ids(index_dir)
    known = {"ids": set(expected_ids)}
    server, port = http_load.start([common.KB, "serve", "--host", HOST, "--port", "0",
                                    "--threads", "8", *options])
    print(f"MedQuAD: {len(expected_ids)} articles, {len(docs)} passages; "
          f"{args.clients} clients on /api/search; {common.load_average()}")
    rows = []
    try:
        # 1. a full rebuild under load
        before = generations.current_generation(index_dir).name
        load = Load(port, sets, args.clients, known)
        started = time.monotonic()
        rc, output = wait(kb("index", "--full", *options))
        build_seconds = time.monotonic() - started
        tally, took = load.finish()
        known["ids"] |= manifest_ids(index_dir)
        after = generations.current_generation(index_dir).name
        rows.append(("1 full rebuild", tally, took,
                     f"exit {rc} in {build_seconds:.1f} s; {before} -> {after}",
                     whole(index_dir, expected_ids)))

        # 2. a full rebuild killed midway, then `kb index` with no clean-up
        before = generations.current_generation(index_dir).name
        load = Load(port, sets, args.clients, known)
        victim = kb("index", "--full", *options)
        time.sleep(build_seconds * args.kill_after)
        left = len(building(index_dir))
        alive = victim.poll() is None
        victim.send_signal(signal.SIGKILL)
        victim.communicate()
        served = generations.current_generation(index_dir).name
        rc, output = wait(kb("index", *options))
        tally, took = load.finish()
        rows.append(("2 kill -9 midway", tally, took,
                     f"killed while {'running' if alive else 'ALREADY DONE'} "
                     f"({left} build folder); serving {served} "
                     f"({'unchanged' if served == before else 'CHANGED'}); next "
                     f"`kb index` exit {rc}: {output.splitlines()[-1] if output else ''}",
                     whole(index_dir, expected_ids)))

        # 3. two full rebuilds at once
        load = Load(port, sets, args.clients, known)
        first, second = kb("index", "--full", *options), kb("index", "--full", *options)
        outcomes = sorted([wait(first), wait(second)])
        tally, took = load.finish()
        known["ids"] |= manifest_ids(index_dir)
        (rc_a, out_a), (rc_b, out_b) = outcomes
        one_waited = rc_a == 0 and rc_b == 1 and "another `kb index` is building" in out_b
        rows.append(("3 two at once", tally, took,
                     f"exits {rc_a} and {rc_b}; the other said: "
                     f"{out_b.splitlines()[-1] if out_b else '(nothing)'}"
                     + ("" if one_waited else "  <- NOT one build and one clear refusal"),
                     whole(index_dir, expected_ids)))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'phase':18}{'requests':>9}{'req/s':>8}{'errors':>8}{'partial':>9}"
          f"{'p50 ms':>8}{'p99 ms':>9}  index whole after")
    for name, tally, took, _, is_whole in rows:
        n = len(tally.latencies_ms)
        print(f"{name:18}{n:>9}{n / took:>8.1f}{tally.errors:>8}{tally.partial:>9}"
              f"{common.percentile(tally.latencies_ms, 50):>8.1f}"
              f"{common.percentile(tally.latencies_ms, 99):>9.1f}  {is_whole}")
    print()
    for name, tally, _, builds, _ in rows:
        print(f"{name}: {builds}")
        for example in tally.examples:
            print(f"    partial: {example}")
    failed = sum(t.errors + t.partial for _, t, *_ in rows) or \
        any(is_whole != "yes" for *_, is_whole in rows)
    print(f"\ngoal: zero errors, zero partial answers, the index whole after every "
          f"phase: {'met' if not failed else 'MISSED'}")
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
