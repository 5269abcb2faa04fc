"""The site's side of the editors' query log (kb/querylog.py): each search
a reader makes, as its normalised text and what it found.

``record(response)`` is the one hook, called by the search views. It never
fails a search and costs one small append: any error is logged and the
search goes on. Off with QUERY_LOG = False in the config, KB_QUERY_LOG=0 in
the environment, or ``kb serve --no-query-log``.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, current_app

from index import EMPTY_QUERY, SearchResponse, mark
from kb.querylog import FOUND, NONE, WEAK, QueryLog, disabled_by_env, log_dir_for

_KEY = "kb_query_log"
# A query word counts as shown by a result when a marked word there starts
# with the same letters (word forms differ: "tired", "tiredness").
SAME_LETTERS = 4
_WORD = re.compile(r"\w+")


def init_app(app: Flask) -> None:
    """QUERY_LOG (default on) and QUERY_LOG_DIR (default: beside INDEX_DIR)."""
    enabled = app.config.get("QUERY_LOG", True) not in (False, "off", "0", 0) \
        and not disabled_by_env()
    folder = app.config.get("QUERY_LOG_DIR") or log_dir_for(Path(app.config["INDEX_DIR"]))
    app.extensions[_KEY] = QueryLog(Path(folder)) if enabled else None


def outcome(response: SearchResponse) -> str | None:
    """NONE, WEAK or FOUND; None for a search not worth logging (nothing
    typed, or a later page of one already logged).

    Found: the search found the topic the query names (its topic card:
    "tylenol" finds *Acetaminophen* through the synonyms list). Weak: the
    results are for a corrected spelling (which may mean something else);
    or, where the query names no topic, the best result only links to an
    answer elsewhere, or shows fewer than half of the query's searched words.
    """
    if response.page != 1 or response.empty_reason == EMPTY_QUERY:
        return None
    if not response.passages:
        return NONE
    if response.correction_applied:
        return WEAK
    if response.topic is not None:
        return FOUND
    if not response.passages[0].answered:
        return WEAK
    asked = _marked_words(mark(response.query, response.marked_terms))
    best = response.passages[0]
    shown = _marked_words(best.heading) | _marked_words(best.snippet)
    found = sum(1 for word in asked if any(_alike(word, s) for s in shown))
    return WEAK if asked and found * 2 < len(asked) else FOUND


def _marked_words(marked) -> set[str]:
    if marked is None:
        return set()
    return {marked.text[start:end].casefold() for start, end in marked.spans}


def _alike(a: str, b: str) -> bool:
    n = min(SAME_LETTERS, len(a), len(b))
    return a[:n] == b[:n] and (n == SAME_LETTERS or a == b)


def record(response: SearchResponse) -> None:
    """Log one search (see the module docstring); never raises."""
    try:
        log: QueryLog | None = current_app.extensions.get(_KEY)
        if log is None:
            return
        found = outcome(response)
        if found is not None:
            log.record(response.query, found)
    except Exception:  # a log must never break a search
        current_app.logger.warning("query log: could not record a search", exc_info=True)
