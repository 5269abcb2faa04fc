"""Results as the site shows them: the engine's ranked pool (index ``Pool``)
as one card per topic, the same question of several sources folded into
one result (its ``also_at``), cards that answer first, cut into pages;
above them, the card of the topic the query names.

The results page and ``/api/search?group=article`` both answer through
``grouped``; the flat ranking is the engine's own (``Snapshot.search``).
Nothing here needs a Flask request, so `kb search --group` shares it.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from index import (ArticleResult, Pool, PoolRequest, Ranked, SearchRequest, SearchResponse,
                   Snapshot, Source, answered, check_filters, check_page, check_per_article,
                   folded, question_key, response_of)

# Every page of a query (of a filter of it) is cut from one pool of this
# many passages: the count of topics and the pages offered are the same on
# page 1 and on the last.
GROUPED_DEPTH = 300


@dataclass(frozen=True)
class PageRequest:
    """A page of topics: ``per_page`` cards, each with its best
    ``per_article`` passages. ``clamp``: a page past the end is the last
    page (a person followed a link); ``facets``: the question types (or
    kinds) the query is about, for the filters; ``topic``: the topic card."""
    query: str
    page: int = 1
    per_page: int = 10
    per_article: int = 3
    kind: str | None = None
    qtype: str | None = None
    clamp: bool = False
    facets: bool = False
    topic: bool = True

    def __post_init__(self) -> None:
        check_page(self.page, self.per_page)
        check_per_article(self.per_article)
        check_filters(self.kind, self.qtype)


def grouped(snapshot: Snapshot, request: PageRequest) -> SearchResponse:
    """The page ``request`` asks for, its ``groups`` filled: one card per
    topic (the same title, or titles the synonyms list makes one, from any
    source), cards that answer before cards that only link to answers
    elsewhere; ``total`` counts cards."""
    started = time.perf_counter()
    response = snapshot.remember(("grouped", request), lambda: _grouped(snapshot, request))
    return replace(response, took_ms=round((time.perf_counter() - started) * 1000, 2))


def _grouped(snapshot: Snapshot, request: PageRequest) -> SearchResponse:
    everything = snapshot.pool(PoolRequest(request.query, GROUPED_DEPTH, facets=request.facets))
    found = everything
    if request.kind or request.qtype:
        # A filter searches within its kind everything that matches, not
        # only the passages of the unfiltered pool.
        found = snapshot.pool(PoolRequest(request.query, GROUPED_DEPTH, request.kind,
                                          request.qtype))
    key = functools.lru_cache(maxsize=None)(snapshot.topic_key)
    topics = answered_first(by_topic(collapse(found.ranked, key), key))
    page = request.page
    if request.clamp and (page - 1) * request.per_page >= len(topics):
        page = max(1, -(-len(topics) // request.per_page))
    shown = topics[(page - 1) * request.per_page:page * request.per_page]
    return response_of(
        found, page, request.per_page, total=len(topics), total_is_estimate=found.cut,
        groups=tuple(_card(snapshot, topic, request.per_article, found.marked_terms)
                     for topic in shown),
        facets=everything.facets,
        topic=snapshot.topic_card(everything) if request.topic and page == 1 else None)


def _card(snapshot: Snapshot, topic: list[Ranked], per_article: int,
          marked: frozenset[str]) -> ArticleResult:
    """One topic's card: its best passages, one of each heading, under the
    article of the best; the topic's other articles as ``also_from``."""
    best, headings = [], set()
    for entry in topic:
        heading = folded(entry.fields.get("heading") or "")
        if len(best) < per_article and heading not in headings:
            headings.add(heading)
            best.append(entry)
    hits = snapshot.hits(best, marked)
    first = hits[0]
    articles: dict[str, list[dict]] = {}
    for entry in topic:
        for fields in (entry.fields, *entry.duplicates):
            articles.setdefault(fields["article_id"], []).append(fields)
    also = tuple(Source(aid, fields[0]["title"], fields[0].get("publisher"),
                        fields[0].get("credit_url") or fields[0].get("url"),
                        any(answered(f) for f in fields))
                 for aid, fields in articles.items() if aid != first.article_id)
    return ArticleResult(first.article_id, first.article_title,
                         tuple(replace(h, related=()) for h in hits), related=first.related,
                         also_from=also)


def answered_first(topics: list[list[Ranked]]) -> list[list[Ranked]]:
    """Topics with an answered passage, in rank order, then those that only
    link to answers elsewhere."""
    return sorted(topics, key=lambda topic: not any(answered(e.fields) for e in topic))


def by_topic(entries: list[Ranked], key) -> list[list[Ranked]]:
    """Entries grouped by topic (``key(title)``), topics in the order of
    their best entry."""
    groups: dict[str, list[Ranked]] = {}
    for entry in entries:
        groups.setdefault(key(entry.fields.get("title") or ""), []).append(entry)
    return list(groups.values())


def collapse(ranked: tuple[Ranked, ...] | list[Ranked],
             topic_key: Callable[[str], str] = folded) -> list[Ranked]:
    """One entry per question — the same kind of question (index
    ``question_key``) of one topic (``topic_key`` of the title: "What is High
    blood sugar?" and "What is Hyperglycemia?" are one where the synonyms
    list makes them one) — at the rank of its best copy, with the other
    copies as its duplicates. The copy shown is an answered one when there
    is one, from the article that ranks first among them, so one source's
    card carries a topic's answers rather than each source a few. Only
    passages of other articles are duplicates (one page's several answers of
    a kind are all its own); passages that are not questions stay as they
    are."""
    article_rank: dict[str, int] = {}
    for n, entry in enumerate(ranked):
        article_rank.setdefault(entry.fields["article_id"], n)
    slots: list[list[Ranked]] = []
    by_key: dict[tuple, list[Ranked]] = {}
    for entry in ranked:
        key = question_key(entry.fields)
        if key is not None:
            key = (topic_key(entry.fields.get("title") or ""), key[1])
        copies = by_key.get(key) if key is not None else None
        if copies is not None and any(c.fields["article_id"] == entry.fields["article_id"]
                                      for c in copies):
            copies = None
        if copies is None:
            copies = []
            slots.append(copies)
            if key is not None:
                by_key.setdefault(key, copies)
        copies.append(entry)
    out = []
    for copies in slots:
        shown = min(copies, key=lambda c: (not answered(c.fields),
                                           article_rank[c.fields["article_id"]]))
        out.append(Ranked(copies[0].score, shown.fields,
                          tuple(c.fields for c in copies if c is not shown)))
    return out


def answer(snapshot: Snapshot, request: PageRequest | SearchRequest) -> SearchResponse:
    """A page of articles for a PageRequest, else a page of the flat ranking."""
    if isinstance(request, PageRequest):
        return grouped(snapshot, request)
    return snapshot.search(request)
