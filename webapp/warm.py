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

A worker's searchers load a newly published generation before it takes
traffic, the previous one serving meanwhile (index/reading/searchers.py,
``warm_first``); ``keep_warm`` looks at the index folder's ``CURRENT``
every WATCH_SECONDS, so that loading starts within that of the publish
rather than on a reader's request.
"""
from __future__ import annotations

import logging
import threading
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
    """A daemon thread that has the app's searchers load each generation
    published after now, until ``stop`` is set."""
    from webapp.search import get_index

    def watch() -> None:
        while not stop.wait(WATCH_SECONDS):
            try:
                with app.app_context():
                    get_index().refresh()
            except KBError:
                pass  # no index yet, or a damaged one: the readers are told
    thread = threading.Thread(target=watch, name="kb-keep-warm", daemon=True)
    thread.start()
    return thread
