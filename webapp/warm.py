"""A worker warmed before it serves, and kept warm as generations come.

The first search of a cold worker pays for everything a search reads
once: the embedding model (about 110 MiB of onnxruntime), the passage
vectors and their row map, the BM25F arrays, the suggestion table, the
article manifest, the English word list and the index's vocabulary of
spelling correction, and the compiled templates. Over MedQuAD that first
search took 3 s on a quiet machine and 12.8 s on a busy one (2.3 s
against 0.2 s once warmed, both busy). ``warm`` pays for it before the worker listens: it sends the site's
own requests through the app (the home page, a search's results, a
suggestion), so whatever a reader's first request needs is loaded by the
same code that serves it. The searches it makes are never logged (the
live results and suggestions are not).

``keep_warm`` watches the index folder's ``CURRENT`` and warms a newly
published generation as soon as it appears, so its loading starts within
WATCH_SECONDS of the publish rather than on a reader's request. Readers
who arrive meanwhile move to the new generation too and wait for what it
has not loaded yet: keeping them on the previous one until the new one is
warm is the searchers' to do (index/reading/searchers.py), not this module's.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from urllib.parse import quote

from flask import Flask

from kb.errors import KBError

log = logging.getLogger(__name__)

WATCH_SECONDS = 0.5
# Searched when the knowledge base offers no example topic.
FALLBACK_QUERY = "what are the symptoms"
UNKNOWN_WORD = "qzxvw"


def warm(app: Flask) -> list[str]:
    """Load what a search needs by serving one of each kind of request;
    the paths requested (none when there is no index yet: then the first
    reader's request opens it, as before)."""
    from webapp.search import get_index

    with app.app_context():
        try:
            topics = get_index().suggest("", limit=1)
        except KBError as exc:
            log.warning("not warmed: %s", exc)
            return []
    query = topics[0].text if topics else FALLBACK_QUERY
    # The second search has a word no article uses: its first look-up
    # loads the English word list and the index's vocabulary
    # (index/understanding/spelling.py), 1-2 s of their own.
    paths = ["/", f"/search/results?q={quote(query)}",
             f"/search/results?q={quote(query + ' ' + UNKNOWN_WORD)}",
             f"/api/suggest?q={quote(query[:3])}"]
    client = app.test_client()
    for path in paths:
        client.get(path)
    return paths


def keep_warm(app: Flask, stop: threading.Event) -> threading.Thread:
    """A daemon thread that warms each generation published after now,
    until ``stop`` is set."""
    from index import generations

    index_dir = Path(app.config["INDEX_DIR"])

    def current() -> Path | None:
        try:
            return generations.current_generation(index_dir)
        except KBError:
            return None

    def watch() -> None:
        seen = current()
        while not stop.wait(WATCH_SECONDS):
            now = current()
            if now is not None and now != seen:
                started = time.monotonic()
                try:
                    warm(app)
                except Exception:  # a failed warm-up leaves the readers to load it
                    log.exception("could not warm %s", now)
                else:
                    log.info("warmed %s in %.1f s", now.name, time.monotonic() - started)
                seen = now
    thread = threading.Thread(target=watch, name="kb-keep-warm", daemon=True)
    thread.start()
    return thread
