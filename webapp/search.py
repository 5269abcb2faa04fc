"""The app's one search index, and the snapshot of it each request asks.

A SearchIndex is safe to share between request threads (each thread gets
its own Whoosh searcher, refreshed when `kb index` publishes a new
generation), so one per app is right; opening one per request would leak
open files. It is closed when the app is garbage-collected or the process
exits, whichever comes first, or explicitly with :func:`close_index`.

A request asks everything — results, filters, suggestions, the article
list — of one snapshot (``get_snapshot``, like flaskr's ``get_db``), taken
on first use and closed on teardown: one page never mixes two generations.
"""
from __future__ import annotations

import functools
import threading
import weakref
from pathlib import Path

from flask import Flask, current_app, g

from index import SearchIndex, Snapshot
from kb.synonyms import cached_synonyms, synonyms_path

_KEY = "kb_search"
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = None
    app.teardown_appcontext(_close_snapshot)


def get_snapshot() -> Snapshot:
    """The request's snapshot of the index, taken on first use."""
    if "kb_snapshot" not in g:
        g.kb_snapshot = get_index().snapshot()
    return g.kb_snapshot


def _close_snapshot(exc: BaseException | None = None) -> None:
    snapshot = g.pop("kb_snapshot", None)
    if snapshot is not None:
        snapshot.close()


def get_index() -> SearchIndex:
    """The current app's SearchIndex, created on first use."""
    app = current_app._get_current_object()
    engine = app.extensions.get(_KEY)
    if engine is not None:
        return engine
    with _lock:
        engine = app.extensions.get(_KEY)
        if engine is None:
            synonyms = functools.partial(cached_synonyms,
                                         synonyms_path(Path(app.config["KB_DIR"])))
            engine = SearchIndex(Path(app.config["INDEX_DIR"]), synonyms=synonyms,
                                 warm_first=app.config.get("WARM_GENERATIONS", False))
            # Runs at garbage collection of the app or at exit, once.
            weakref.finalize(app, engine.close)
            app.extensions[_KEY] = engine
    return engine


def close_index(app: Flask) -> None:
    """Close the app's index now (its searchers' files); reopened on next use."""
    with _lock:
        engine, app.extensions[_KEY] = app.extensions.get(_KEY), None
    if engine is not None:
        engine.close()
