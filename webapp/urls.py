"""Every address the site links to, built from its own routes (url_for).

One place for the URL scheme: the pages, the JSON API and `kb search
--json` all link through these. Query strings are percent-encoded
(``%20`` for a space) as the JSON contract shows.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import url_for

from index import Topic

def _with_args(endpoint: str, args: dict, **values) -> str:
    kept = {k: v for k, v in args.items() if v not in (None, "")}
    base = url_for(endpoint, **values)
    return f"{base}?{urlencode(kept, quote_via=quote, safe='/')}" if kept else base

def article_url(article_id: str, anchor: str | None = None, query: str | None = None) -> str:
    """An article page, at ``anchor``; ``query`` lets the page mark the
    words of the search that led there."""
    url = _with_args("pages.article", {"q": query}, article_id=article_id)
    return f"{url}#{anchor}" if anchor else url

def search_url(query: str, page: int = 1, kind: str | None = None, qtype: str | None = None,
               endpoint: str = "pages.search") -> str:
    return _with_args(endpoint, {"q": query, "kind": kind, "qtype": qtype,
                                 "page": page if page > 1 else None})

def topic_url(topic: Topic) -> str:
    """A related topic links to its article when the index has it, else to
    a search for its title."""
    return article_url(topic.article_id) if topic.article_id else search_url(topic.title)

def article_list_url(letter: str | None = None, page: int = 1,
                     endpoint: str = "pages.article_list") -> str:
    """The article list, at one letter's articles and one page of them (the
    API's list is paged only when asked, so its address always names the page)."""
    paged = page > 1 or endpoint != "pages.article_list"
    return _with_args(endpoint, {"letter": letter, "page": page if paged else None})
