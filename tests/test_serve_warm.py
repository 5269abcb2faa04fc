"""`kb serve` warms each worker before it listens (webapp/warm.py): the
model, the vectors, the scoring arrays, the suggestion table and the word
list are loaded before the socket accepts a connection, and the first
search after the server says it is ready loads nothing. A generation
published later is loaded before a reader is served from it
(index/reading/searchers.py)."""
from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import time
from pathlib import Path

import pytest

import serve_process
from serve_process import GUARD_SECONDS

PARTS = ("model", "vectors", "arrays", "suggestions", "word list")

# kb serve, with a line on stderr for each part a process loads and for
# each time a socket starts listening.
_SERVE = '''
import functools, os, pathlib, socket, sys

def note(what):
    sys.stderr.write(f"EVENT {os.getpid()} {what}\\n")
    sys.stderr.flush()

def noted(owner, name, what):
    original = getattr(owner, name)
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        folders = [a.name for a in args if isinstance(a, pathlib.Path)]
        note(what + "".join(f" @{f}" for f in folders[:1]))
        return original(*args, **kwargs)
    setattr(owner, name, wrapper)

from index.meaning import dense, embedding
from index.ranking import impacts
from index.reading import suggest
from index.understanding import spelling
noted(embedding.Embedder, "_load", "load model")
noted(dense.DenseIndex, "open", "load vectors")
noted(impacts.Impacts, "open", "load arrays")
noted(suggest, "load_table", "load suggestions")
words = spelling._english_words
spelling._english_words = lambda: words() if words.cache_info().currsize else (
    note("load word list"), words())[1]
noted(socket.socket, "listen", "listen")

from index.reading import searchers
acquire = searchers.Searchers.acquire
def acquire_noted(self):
    generation, searcher = acquire(self)
    note(f"serve @{generation.path.name}")
    return generation, searcher
searchers.Searchers.acquire = acquire_noted
'''


@contextlib.contextmanager
def _serving(folder: Path, web_kb_dir: Path, meaning_model):
    """kb serve --workers 2 over a copy of the web knowledge base, indexed
    with the shipped model (so its queries load it): ``(port, log path,
    kb folder, index folder)`` once it says it is ready."""
    from index import build_index
    from kb.store import load_knowledge_base

    kb_dir = shutil.copytree(web_kb_dir, folder / "kb")
    index_dir = folder / "index"
    build_index(load_knowledge_base(kb_dir), index_dir, model=meaning_model)
    log_path = folder / "serve.log"
    proc = serve_process.start(_SERVE, ["--workers", "2", "--threads", "2", "--no-query-log",
                                        "--kb-dir", str(kb_dir),
                                        "--index-dir", str(index_dir)], log_path,
                               shipped_model=True)
    try:
        yield serve_process.ready_port(proc, log_path), log_path, kb_dir, index_dir
    finally:
        serve_process.stop(proc)


@pytest.fixture(scope="module")
def served(tmp_path_factory, web_kb_dir, meaning_model):
    """One server for the tests that only read what it logged and search
    it (a search loads nothing)."""
    with _serving(tmp_path_factory.mktemp("served"), web_kb_dir, meaning_model) as serving:
        yield serving


@pytest.fixture
def served_alone(tmp_path, web_kb_dir, meaning_model):
    """A server of its own, for a test that publishes a generation."""
    with _serving(tmp_path, web_kb_dir, meaning_model) as serving:
        yield serving


def _events(log_path: Path) -> list[tuple[int, str, str | None]]:
    """``(pid, what, generation)`` of each event logged, in order."""
    return [(int(pid), what, generation or None) for pid, what, generation in re.findall(
        r"^EVENT (\d+) (.+?)(?: @(\S+))?$", log_path.read_text(encoding="utf-8"), re.M)]


def test_the_first_search_after_ready_is_answered_by_a_worker_that_loaded_everything_first(
        served):
    port, log_path, _, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GUARD_SECONDS)
    conn.request("GET", "/api/search?q=why%20does%20my%20leg%20go%20numb")
    response = conn.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["results"]
    conn.close()

    events = _events(log_path)
    listening = {pid for pid, what, _ in events if what == "listen"}
    assert listening, events
    for pid in listening:
        mine = [what for p, what, _ in events if p == pid]
        opened = mine.index("listen")
        # Everything a search reads was loaded before this worker listened...
        assert {f"load {part}" for part in PARTS} <= set(mine[:opened]), mine
        # ...and nothing after, the first search included.
        assert not [what for what in mine[opened + 1:] if what.startswith("load")], mine


def test_kb_serve_says_when_each_worker_is_ready(served):
    _, log_path, _, _ = served
    deadline = time.monotonic() + GUARD_SECONDS
    while len(re.findall(r"process \d+ ready: warmed in [\d.]+ s, accepting connections",
                         log_path.read_text(encoding="utf-8"))) < 2:
        assert time.monotonic() < deadline, log_path.read_text(encoding="utf-8")
        time.sleep(0.05)


def _search(port: int, query: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GUARD_SECONDS)
    try:
        conn.request("GET", "/api/search?q=" + query)
        response = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()


def test_a_generation_published_later_is_loaded_before_a_reader_is_served_from_it(
        served_alone, meaning_model):
    from index.building.build import sync_index
    from kb.article import Article, Section
    from kb.store import write_article

    port, log_path, kb_dir, index_dir = served_alone
    assert _search(port, "zebrafish")["total"] == 0
    write_article(Article("zebrafish-facts", "Zebrafish Facts",
                          (Section("fact", number=1, heading="Zebrafish",
                                   text="Zebrafish regrow their fins."),)), kb_dir)
    new = sync_index(kb_dir, index_dir, model=meaning_model)
    assert new.changed
    # Readers go on being answered, from the old generation and then the new.
    deadline = time.monotonic() + GUARD_SECONDS
    found_in_a_row = 0
    while found_in_a_row < 12:  # new connections: both workers answer
        assert time.monotonic() < deadline, "the new generation never served"
        found_in_a_row = found_in_a_row + 1 if _search(port, "zebrafish")["total"] else 0

    events = _events(log_path)
    published = {generation for _, what, generation in events if what == "serve"}
    assert len(published) == 2, events
    for pid in {pid for pid, what, _ in events if what == "listen"}:
        mine = [(what, generation) for p, what, generation in events if p == pid]
        first, later = sorted(g for g in published)
        served_later = [i for i, (what, g) in enumerate(mine) if (what, g) == ("serve", later)]
        if not served_later:
            continue  # the kernel gave this worker none of the later readers
        loaded_before = {what for what, g in mine[:served_later[0]] if g == later}
        assert {"load arrays", "load vectors", "load suggestions"} <= loaded_before, mine
