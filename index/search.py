"""A query in, ranked passages out, as frozen values (index/results.py).

The pool is found by one flat OR of weighted terms (index/query_plan.py),
ranked by BM25F over every searched field with its boost (scored in numpy
over the generation's arrays, index/impacts.py; by Whoosh for a quoted
phrase), joined by the passages nearest in meaning (index/fusion.py); the
pool is re-ranked (index/rerank.py) by the share of concepts each passage
matches, the query's neighbouring words standing together, the topic and
the question type asked.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from whoosh.query import And, Term

from index import answers, facets, fusion, highlight, impacts, rerank
from index.analysis import terms as analyse
from index.cache import ResponseCache
from index.query import parse_query
from index.question_types import asked_types
from index.query_plan import NO_SYNONYMS, plan
from index.results import (EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, ArticleEntry, ArticleResult,
                           Elsewhere, Hit, SearchResponse, Topic)
from index.schema import SEARCH_FIELDS
from index.searchers import Generation, Searchers
from kb.article import PASSAGE_KINDS
from kb.errors import QueryError

MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 10
# Like Elasticsearch's max_result_window: no request ranks deeper than this,
# so the pool a search sorts never grows with the page number.
MAX_RESULT_WINDOW = 1000
MAX_PAGE = MAX_RESULT_WINDOW
RESPONSE_CACHE_SIZE = 2048
RERANK_POOL = 100
GROUPED_POOLS = (300, MAX_RESULT_WINDOW)
MAX_QTYPE_CHARS = 60


@dataclass(frozen=True)
class SearchRequest:
    """What a reader asked for; checked once, here, for every front end.

    ``per_article`` caps how many passages of one article the ranking shows
    before other articles' passages (with thousands of articles, one
    article's questions can otherwise fill a page); None keeps the flat
    ranking. ``clamp_page`` answers a page past the end with the last page.
    ``qtype`` keeps only questions of that type. The site's options:
    ``collapse_duplicates`` folds the same question of several sources into
    one hit (its ``also_at``); ``group_by_article`` answers with articles
    (``per_page`` of them, each with its best ``per_article`` passages).
    """
    query: str
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    kind: str | None = None
    per_article: int | None = None
    clamp_page: bool = False
    qtype: str | None = None
    collapse_duplicates: bool = False
    group_by_article: bool = False
    with_facets: bool = False

    def __post_init__(self) -> None:
        if self.per_article is not None and not 1 <= self.per_article <= MAX_PER_PAGE:
            raise QueryError(f"per_article must be a whole number from 1 to {MAX_PER_PAGE}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}")
        if not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be a whole number from 1 to {MAX_PAGE}")
        if self.page * self.per_page > MAX_RESULT_WINDOW:
            raise QueryError(f"page × per_page must be at most {MAX_RESULT_WINDOW} "
                             "(results are ranked that deep at most)")
        if self.kind is not None and self.kind not in PASSAGE_KINDS:
            raise QueryError(f"kind must be one of {', '.join(PASSAGE_KINDS)}")
        if self.qtype is not None and not (0 < len(self.qtype) <= MAX_QTYPE_CHARS):
            raise QueryError(f"qtype must be a question type of at most {MAX_QTYPE_CHARS} characters")


class SearchIndex:
    """Searches the current generation of an index folder.

    Safe to share between threads (see index/searchers.py); ``close()``
    closes every searcher it opened. ``synonyms`` is called once per search
    and returns the synonyms list in force (the same object while it is
    unchanged, which keeps cached responses valid).
    """

    def __init__(self, index_dir: Path,
                 synonyms: Callable[[], object] | None = None, *, meaning: bool = True) -> None:
        self.index_dir = Path(index_dir)
        # False: words only, even where the generation has passage vectors.
        self._meaning = meaning
        self._synonyms = synonyms or (lambda: NO_SYNONYMS)
        self._searchers = Searchers(self.index_dir)
        self._cache = ResponseCache(RESPONSE_CACHE_SIZE)

    def close(self) -> None:
        self._searchers.close()

    def search(self, request: SearchRequest | str, **options) -> SearchResponse:
        """The ranked passages for ``request`` (a SearchRequest, or a query
        string with SearchRequest's other fields as keywords)."""
        if isinstance(request, str):
            request = SearchRequest(request, **options)
        started = time.perf_counter()
        parsed = parse_query(request.query)
        if parsed.empty:
            response = SearchResponse(parsed.text, request.page, request.per_page,
                                      empty_reason=EMPTY_QUERY)
        else:
            generation, searcher = self._searchers.searcher()
            synonyms = self._synonyms()
            key = replace(request, query=parsed.text)
            response = self._cache.get((generation, synonyms), key)
            if response is None:
                from index.generations import damage_named  # damaged files: a clear error

                with damage_named(generation.path):
                    response = self._run(searcher, generation, synonyms, parsed, key)
                self._cache.put((generation, synonyms), key, response)
        return replace(response, took_ms=round((time.perf_counter() - started) * 1000, 2))

    def _run(self, searcher, generation: Generation, synonyms, parsed,
             request: SearchRequest) -> SearchResponse:
        reader = searcher.reader()
        work = plan(parsed, reader, synonyms,
                    functools.partial(generation.corrections, reader=reader))
        base = SearchResponse(parsed.text, request.page, request.per_page,
                              corrected=work.corrected,
                              correction_applied=work.correction_applied,
                              marked_terms=work.marked)
        if work.query is None:
            return replace(base, corrected=None, correction_applied=False,
                           empty_reason=UNKNOWN_WORDS)
        if request.group_by_article:
            # Grouped pages are cut from a few fixed pool sizes, one page
            # deeper than asked: a page and the next share their pool, so a
            # "Next" the page offers always has results behind it.
            depth = (request.page + 1) * request.per_page * (request.per_article or 1)
            pool = next((tier for tier in GROUPED_POOLS if tier >= depth), MAX_RESULT_WINDOW)
        else:
            pool = min(MAX_RESULT_WINDOW,
                       max(RERANK_POOL, request.page * request.per_page))
        by_words, total, estimate = _pool(searcher, generation, work, request, pool)
        vector = (fusion.query_vector(_meaning_text(parsed))
                  if self._meaning and generation.dense is not None else None)
        pool_fields = _with_meaning(by_words, vector, searcher, generation, parsed, work, request)
        total += len(pool_fields) - len(by_words)  # the words' matches and the meaning's
        ranked = rerank.rank(pool_fields, work.concepts, asked_types(parsed.text))
        if not ranked:
            return replace(base, empty_reason=NO_MATCH)
        ranked = answers.demote_pointers(ranked)
        corrected = work.corrected
        if corrected and not work.correction_applied and not _corrections_found(
                ranked[:request.per_page], work.concepts):
            # A suggestion whose words the best results never use would not
            # find anything better than the query as typed.
            corrected = None
        base = replace(base, corrected=corrected, total=total, total_is_estimate=estimate,
                       facets=_facets(searcher, generation, work, parsed) if request.with_facets
                       else ())
        entries = (answers.collapse(ranked) if request.collapse_duplicates
                   else [answers.Ranked(score, fields) for score, fields in ranked])
        hit = functools.partial(_hit, marked=work.marked, generation=generation, reader=reader)
        if request.group_by_article:
            groups = answers.group_by_article(entries, request.per_article or 1)
            page, shown = _page(groups, request)
            # The articles found so far; "more than" that when the pool
            # was cut (a later page's deeper pool finds more).
            base = replace(base, total=len(groups),
                           total_is_estimate=estimate or total > len(pool_fields))
            return replace(base, page=page, groups=tuple(
                _article_result([hit(e) for e in group], generation, reader) for group in shown))
        if request.per_article:
            entries = rerank.cap_per_article(entries, request.per_article)
        page, shown = _page(entries, request)
        return replace(base, page=page, hits=tuple(hit(e) for e in shown))

    def marked_terms(self, query: str) -> frozenset[str]:
        """The index terms a search for ``query`` marks (its words, their
        synonyms and corrections), for pages that show a whole passage."""
        parsed = parse_query(query)
        if parsed.empty:
            return frozenset()
        generation, searcher = self._searchers.searcher()
        reader = searcher.reader()
        return plan(parsed, reader, self._synonyms(),
                    functools.partial(generation.corrections, reader=reader)).marked

    def filters(self) -> tuple[tuple[str, str, int], ...]:
        """Every question type (or, without any, every kind) of passage the
        index has, with counts: what a query can be narrowed to."""
        generation, searcher = self._searchers.searcher()
        reader, columns = searcher.reader(), generation.facet_columns
        field = "qtype" if columns.present(reader, "qtype") else "kind"
        return tuple((field, value, n) for value, n in columns.present(reader, field))

    def articles(self) -> list[ArticleEntry]:
        """Every indexed article, by title; read from the generation's
        manifest, so listing ten thousand articles costs no file reads."""
        manifest = self._searchers.current().manifest
        return [ArticleEntry(aid, entry["title"], entry["passages"], entry.get("source_url"))
                for aid, entry in sorted(manifest.items(),
                                         key=lambda item: (item[1]["title"].casefold(), item[0]))]

    def topic(self, title: str, article_id: str | None = None) -> Topic:
        """A related topic, naming its article when the index has it."""
        generation, searcher = self._searchers.searcher()
        found = generation.article_for(title, article_id)
        return Topic(title, found, found is not None or generation.findable(title, searcher.reader()))

    def suggest(self, prefix: str, limit: int = 8) -> list:
        """Titles, fact headings and questions that ``prefix`` begins a word
        of, best first, as index/suggest.py's Suggestion values; for an
        empty prefix, the topics most articles share (examples to try)."""
        from index.suggest import Suggestion, table_for

        table = table_for(self._searchers.current())
        if not prefix.strip():
            return [Suggestion(text, "topic") for text in table.examples(limit)]
        return table.suggest(prefix, limit)


def _meaning_text(parsed) -> str:
    """What the reader asks, without the words they excluded."""
    return " ".join([*parsed.words, *(w for p in parsed.phrases for w in p)])


def _with_meaning(pool: list[tuple[float, dict]], vector, searcher, generation: Generation,
                  parsed, work, request: SearchRequest) -> list[tuple[float, dict]]:
    """The pool fused with the passages nearest the query's ``vector``
    (index/fusion.py); the pool as it is without a vector (a generation
    without passage vectors, a search by words only, no model)."""
    if vector is None:
        return pool
    dense = generation.dense
    excluded = (set(searcher.docs_for_query(work.mask)) if work.mask is not None
                else set())

    def accept(docnum: int, fields: dict) -> bool:
        # A neighbour obeys the filters and exclusions; with a quoted
        # phrase the words decide alone.
        return (not parsed.phrases and docnum not in excluded
                and (request.kind is None or fields.get("kind") == request.kind)
                and (request.qtype is None or fields.get("qtype") == request.qtype))

    docnums, answered = generation.dense_rows(searcher.reader())
    added, similarity = fusion.neighbours(dense, vector, searcher,
                                          known={f["id"] for _, f in pool}, accept=accept,
                                          docnums=docnums, allowed=answered)
    return fusion.blend(pool + [(0.0, fields) for fields in added], similarity)


def _pool(searcher, generation: Generation, work, request: SearchRequest,
          size: int) -> tuple[list[tuple[float, dict]], int, bool]:
    """The ``size`` best passages by BM25F as ``(score, stored fields)``,
    how many matched, and whether that count is a lower bound.

    The flat OR the plan builds is scored in numpy over the generation's
    arrays (index/impacts.py), which rank exactly as Whoosh does and count
    every match; a required phrase, or a generation without arrays, goes
    through Whoosh's own matchers.
    """
    reader = searcher.reader()
    arrays = generation.impacts(reader)
    flat = impacts.flat_or(work.query) if arrays is not None else None
    if flat is None:
        return _whoosh_pool(searcher, work, request, size)
    columns, allowed = generation.facet_columns, None
    for field, value in (("kind", request.kind), ("qtype", request.qtype)):
        if value:
            chosen = columns.mask(reader, field, value)
            allowed = chosen if allowed is None else allowed & chosen
    excluded = (arrays.mask(impacts.docnums(searcher, work.mask))
                if work.mask is not None else None)
    scored = arrays.score(flat.terms, size, groups=flat.groups,
                          allowed=allowed, excluded=excluded)
    return ([(float(score), searcher.stored_fields(int(docnum)))
             for docnum, score in zip(scored.docnums, scored.scores)], scored.total, False)


def _whoosh_pool(searcher, work, request: SearchRequest,
                 size: int) -> tuple[list[tuple[float, dict]], int, bool]:
    filters = [Term(name, value) for name, value in
               (("kind", request.kind), ("qtype", request.qtype)) if value]
    results = searcher.search(work.query, limit=size, mask=work.mask,
                              filter=(And(filters) if len(filters) > 1 else
                                      filters[0] if filters else None))
    found = results.scored_length()
    if found < size:
        total, estimate = found, False
    else:
        # Counting tens of thousands of matches would cost more than the
        # search: report the lower bound the index knows without counting.
        total, estimate = max(work.query.estimate_min_size(searcher.reader()), found), True
    # Not list(results): list() asks len() first, which counts every match.
    return [(results[i].score, results[i].fields()) for i in range(found)], total, estimate


def _corrections_found(ranked, concepts) -> bool:
    """Whether any of the ranked passages has a word a correction brought."""
    wanted = {t for c in concepts for w in c.corrections for t in analyse(w)}
    return any(wanted & set(analyse(f"{fields.get('heading') or ''} {fields.get('body') or ''}"))
               for _, fields in ranked)


def _facets(searcher, generation: Generation, work, parsed) -> tuple[tuple[str, str, int], ...]:
    """The question types (or, without any, the kinds) of the passages the
    query is about (index/facets.py), ignoring the filters, with counts."""
    reader = searcher.reader()
    columns = generation.facet_columns
    if parsed.phrases or work.mask is not None:
        docs = facets.docs_mask(reader, searcher.docs_for_query(work.query))
        if work.mask is not None:
            docs &= ~facets.docs_mask(reader, searcher.docs_for_query(work.mask))
    else:
        docs = facets.matching_all(columns, reader, SEARCH_FIELDS,
                                   [c.terms() for c in work.concepts if c.weight > 0])
    field = "qtype" if columns.present(reader, "qtype") else "kind"
    return tuple((field, value, n) for value, n in facets.counts(columns, reader, field, docs))


def _page(items: list, request: SearchRequest) -> tuple[int, list]:
    """The requested page of ``items`` (the last one, if asked to clamp)."""
    page = request.page
    if request.clamp_page and (page - 1) * request.per_page >= len(items):
        page = max(1, -(-len(items) // request.per_page))
    return page, items[(page - 1) * request.per_page:page * request.per_page]


def _article_result(hits: list[Hit], generation: Generation, reader) -> ArticleResult:
    first = hits[0]
    return ArticleResult(first.article_id, first.article_title, tuple(
        replace(h, related=()) for h in hits), related=first.related)


def _related(fields: dict, generation: Generation, reader) -> tuple[Topic, ...]:
    """The article's related topics, each once, never the article itself."""
    seen = {(fields.get("title") or "").casefold()}
    topics = []
    for title, related_id in fields.get("related") or ():
        if title.casefold() in seen or related_id == fields["article_id"]:
            continue
        seen.add(title.casefold())
        article_id = generation.article_for(title, related_id)
        if article_id != fields["article_id"]:
            topics.append(Topic(title, article_id,
                                findable=article_id is not None or generation.findable(title, reader)))
    return tuple(topics)


def _hit(entry: answers.Ranked, marked: frozenset[str], generation: Generation, reader) -> Hit:
    fields, score = entry.fields, entry.score
    heading = fields["heading"] if fields["kind"] in ("fact", "question") else None
    is_answered = answers.answered(fields)
    return Hit(
        id=fields["id"],
        article_id=fields["article_id"],
        article_title=fields["title"],
        kind=fields["kind"],
        number=fields.get("number"),
        heading=highlight.mark(heading, marked) if heading else None,
        snippet=highlight.snippet(fields.get("body") or fields.get("heading") or "", marked),
        score=round(score, 3),
        source_url=fields.get("url"),
        credit=fields.get("credit"),
        credit_url=fields.get("credit_url"),
        related=_related(fields, generation, reader),
        qtype=fields.get("qtype"),
        publisher=fields.get("publisher"),
        answered=is_answered,
        also_at=tuple(Elsewhere(d["id"], d["article_id"], d.get("publisher"), d.get("url"),
                                answers.answered(d)) for d in entry.duplicates),
    )
