"""Every address the site links to, built from one table of its routes.

One place for the URL scheme: the pages, the JSON API and `kb search
--json` all link through a ``UrlBuilder``, which knows where the site is
mounted (its prefix) and needs no Flask request, so the command line
builds the API's exact links without creating an app. The module functions
build with the current request's prefix (its ``SCRIPT_NAME``, as url_for
does), or the root outside a request. Query strings are percent-encoded
(``%20`` for a space) as the JSON contract shows. tests/test_urls.py checks
the table against the app's own routes.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from index import Topic

# Endpoint -> path, as webapp/views.py and webapp/api.py route them.
ROUTES = {
    "pages.home": "/",
    "pages.search": "/search",
    "pages.search_results": "/search/results",
    "pages.article_list": "/articles",
    "pages.article": "/articles/{article_id}",
    "api.search": "/api/search",
    "api.suggest": "/api/suggest",
    "api.article_list": "/api/articles",
    "api.article": "/api/articles/{article_id}",
}


@dataclass(frozen=True)
class UrlBuilder:
    """Addresses under ``prefix``, where the site is mounted ("" at the root)."""
    prefix: str = ""

    def path(self, endpoint: str, args: dict | None = None, **values: str) -> str:
        base = self.prefix.rstrip("/") + ROUTES[endpoint].format(
            **{name: quote(value, safe="") for name, value in values.items()})
        kept = {k: v for k, v in (args or {}).items() if v not in (None, "")}
        return f"{base}?{urlencode(kept, quote_via=quote, safe='/')}" if kept else base

    def article(self, article_id: str, anchor: str | None = None,
                query: str | None = None) -> str:
        """An article page, at ``anchor``; ``query`` lets the page mark the
        words of the search that led there."""
        url = self.path("pages.article", {"q": query}, article_id=article_id)
        return f"{url}#{anchor}" if anchor else url

    def search(self, query: str, page: int = 1, kind: str | None = None,
               qtype: str | None = None, endpoint: str = "pages.search") -> str:
        return self.path(endpoint, {"q": query, "kind": kind, "qtype": qtype,
                                    "page": page if page > 1 else None})

    def topic(self, topic: Topic) -> str:
        """A related topic links to its article when the index has it, else
        to a search for its title."""
        return self.article(topic.article_id) if topic.article_id else self.search(topic.title)

    def article_list(self, letter: str | None = None, page: int = 1,
                     endpoint: str = "pages.article_list") -> str:
        """The article list, at one letter's articles and one page of them
        (the API's list is paged only when asked, so its address always
        names the page)."""
        paged = page > 1 or endpoint != "pages.article_list"
        return self.path(endpoint, {"letter": letter, "page": page if paged else None})


def current() -> UrlBuilder:
    """The builder for the request being answered (its mount point), or
    for the root outside a request."""
    from flask import has_request_context, request

    return UrlBuilder(request.script_root) if has_request_context() else UrlBuilder()


def article_url(article_id: str, anchor: str | None = None, query: str | None = None) -> str:
    return current().article(article_id, anchor, query)


def search_url(query: str, page: int = 1, kind: str | None = None, qtype: str | None = None,
               endpoint: str = "pages.search") -> str:
    return current().search(query, page, kind, qtype, endpoint)


def topic_url(topic: Topic) -> str:
    return current().topic(topic)


def article_list_url(letter: str | None = None, page: int = 1,
                     endpoint: str = "pages.article_list") -> str:
    return current().article_list(letter, page, endpoint)
