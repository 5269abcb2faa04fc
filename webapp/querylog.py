"""The site's side of the editors' query log (kb/querylog.py): each search
a reader makes, as its normalised text and what it found, counted once per
reader and day.

``record(response)`` is the one hook, called by the search views. It never
fails a search and costs one small append: a log that cannot be written is
reported once (again only after it has worked since), and the search goes
on. Nothing is logged for a reader whose browser asks not to be tracked
(``DNT: 1``) or sends Global Privacy Control (``Sec-GPC: 1``). Off with
QUERY_LOG = False in the config, KB_QUERY_LOG=0 in the environment, or
``kb serve --no-query-log``. Its folder: QUERY_LOG_DIR in the config, env
KB_QUERY_LOG_DIR, else beside the index folder.
"""
from __future__ import annotations

import ipaddress
import os
import re
import threading
from pathlib import Path

from flask import Flask, current_app, has_request_context, request

from index import EMPTY_QUERY, SearchResponse, mark
from kb.querylog import (DIR_ENV, FOUND, NONE, WEAK, QueryLog, disabled_by_env,
                         log_dir_for)

_KEY = "kb_query_log"
_OPT_OUT_HEADERS = ("DNT", "Sec-GPC")
# A query word counts as shown by a result when a marked word there starts
# with the same letters (word forms differ: "tired", "tiredness").
SAME_LETTERS = 4
_WORD = re.compile(r"\w+")


def init_app(app: Flask) -> None:
    """QUERY_LOG (default on) and QUERY_LOG_DIR (default: env
    KB_QUERY_LOG_DIR, else beside INDEX_DIR)."""
    enabled = app.config.get("QUERY_LOG", True) not in (False, "off", "0", 0) \
        and not disabled_by_env()
    folder = (app.config.get("QUERY_LOG_DIR") or os.environ.get(DIR_ENV)
              or log_dir_for(Path(app.config["INDEX_DIR"])))
    app.extensions[_KEY] = _SiteLog(QueryLog(Path(folder))) if enabled else None

    @app.context_processor
    def query_log_days() -> dict:
        """The footer's privacy line says how long searches are kept."""
        site_log = app.extensions.get(_KEY)
        return {"query_log_days": site_log.log.days if site_log else None}


class _SiteLog:
    """The app's log, and whether its last write failed (so a failure is
    reported once, not on every search)."""

    def __init__(self, log: QueryLog) -> None:
        self.log = log
        self.failing = False
        self.lock = threading.Lock()

    def failed(self) -> bool:
        """Mark a failure; True when it is the first since the log worked."""
        with self.lock:
            first, self.failing = not self.failing, True
            return first


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
    site_log: _SiteLog | None = current_app.extensions.get(_KEY)
    if site_log is None:
        return
    try:
        if has_request_context() and _opted_out():
            return
        found = outcome(response)
        if found is not None and site_log.log.record(response.query, found, reader=_reader()):
            site_log.failing = False
    except OSError as exc:
        if site_log.failed():
            where = exc.filename or site_log.log.folder
            current_app.logger.warning(
                "query log: cannot write %s (%s); searches are not logged until it "
                "can be (set KB_QUERY_LOG_DIR to a folder the site may write, or "
                "KB_QUERY_LOG=0)", where, exc.strerror or exc)
    except Exception:  # a log must never break a search
        if site_log.failed():
            current_app.logger.warning("query log: could not record a search", exc_info=True)


def _opted_out() -> bool:
    return any(request.headers.get(name, "").strip() == "1" for name in _OPT_OUT_HEADERS)


def _reader() -> str | None:
    """Who searched, to count a query once per reader and day: the client's
    address; behind a proxy on this host (a loopback peer), the address the
    proxy appended last to X-Forwarded-For (the one it saw connect, which
    a client cannot forge). Only ever hashed, in memory (kb/querylog.py)."""
    if not has_request_context():
        return None
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _is_loopback(peer):
        return forwarded.rsplit(",", 1)[-1].strip()[:64] or peer
    return peer


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
