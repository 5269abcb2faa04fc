"""`kb serve` warms each worker before it listens (webapp/warm.py): the
model, the vectors, the scoring arrays, the suggestion table and the word
list are loaded before the socket accepts a connection, and the first
search after the server says it is ready loads nothing."""
from __future__ import annotations

import http.client
import json
import re
import time
from pathlib import Path

import pytest

import serve_process
from serve_process import GUARD_SECONDS

PARTS = ("model", "vectors", "arrays", "suggestions", "word list")

# kb serve, with a line on stderr for each part a process loads and for
# each time a socket starts listening.
_SERVE = '''
import functools, os, socket, sys

def note(what):
    sys.stderr.write(f"EVENT {os.getpid()} {what}\\n")
    sys.stderr.flush()

def noted(owner, name, what):
    original = getattr(owner, name)
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        note(what)
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
'''


@pytest.fixture
def served(tmp_path, web_kb_dir, meaning_model):
    """kb serve --workers 2 over the web knowledge base, indexed with the
    shipped model (so its queries load it): ``(port, log path)`` once it
    says it is ready."""
    from index import build_index
    from kb.store import load_knowledge_base

    index_dir = tmp_path / "index"
    build_index(load_knowledge_base(web_kb_dir), index_dir, model=meaning_model)
    log_path = tmp_path / "serve.log"
    proc = serve_process.start(_SERVE, ["--workers", "2", "--threads", "2", "--no-query-log",
                                        "--kb-dir", str(web_kb_dir),
                                        "--index-dir", str(index_dir)], log_path)
    try:
        yield serve_process.ready_port(proc, log_path), log_path
    finally:
        serve_process.stop(proc)


def _events(log_path: Path) -> list[tuple[int, str]]:
    return [(int(pid), what) for pid, what in re.findall(
        r"^EVENT (\d+) (.+)$", log_path.read_text(encoding="utf-8"), re.M)]


def test_the_first_search_after_ready_is_answered_by_a_worker_that_loaded_everything_first(
        served):
    port, log_path = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GUARD_SECONDS)
    conn.request("GET", "/api/search?q=why%20does%20my%20leg%20go%20numb")
    response = conn.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["results"]
    conn.close()

    events = _events(log_path)
    listening = {pid for pid, what in events if what == "listen"}
    assert listening, events
    for pid in listening:
        mine = [what for p, what in events if p == pid]
        opened = mine.index("listen")
        # Everything a search reads was loaded before this worker listened...
        assert {f"load {part}" for part in PARTS} <= set(mine[:opened]), mine
        # ...and nothing after, the first search included.
        assert not [what for what in mine[opened + 1:] if what.startswith("load")], mine


def test_kb_serve_says_when_each_worker_is_ready(served):
    _, log_path = served
    deadline = time.monotonic() + GUARD_SECONDS
    while len(re.findall(r"process \d+ ready: warmed in [\d.]+ s, accepting connections",
                         log_path.read_text(encoding="utf-8"))) < 2:
        assert time.monotonic() < deadline, log_path.read_text(encoding="utf-8")
        time.sleep(0.05)
