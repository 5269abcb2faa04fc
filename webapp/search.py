"""The app's one search index: opened on first use, closed with the app.

A SearchIndex is safe to share between request threads (each thread gets
its own Whoosh searcher, refreshed when `kb index` publishes a new
generation), so one per app is right; opening one per request would leak
open files. It is closed when the app is garbage-collected or the process
exits, whichever comes first, or explicitly with :func:`close_index`.
"""
from __future__ import annotations

import functools
import threading
import weakref
from pathlib import Path

from flask import Flask, current_app

from index import SearchIndex
from kb.synonyms import cached_synonyms, synonyms_path

_KEY = "kb_search"
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = None


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
            engine = SearchIndex(Path(app.config["INDEX_DIR"]), synonyms=synonyms)
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
