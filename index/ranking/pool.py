"""A query in, a ranked and counted pool of passages out (index/results.py
``Pool``): the engine's one ranking path, for every front end.

The pool is found by one flat OR of weighted terms (index/understanding/query_plan.py),
ranked by BM25F over every searched field with its boost (scored in numpy
over the generation's arrays, index/ranking/impacts.py; by Whoosh for a quoted
phrase), joined by the passages nearest in meaning (index/meaning/fusion.py); the
pool is re-ranked (index/ranking/rerank.py) by the share of concepts each passage
matches, the query's neighbouring words standing together, the topic and
the question type asked; an answerless passage never stands above the
answered one of the same question (index/ranking/answers.py).

Paging, grouping by article and folding duplicates are the front ends'
(webapp/results_page.py): they ask for a pool deep enough for the page.
"""
from __future__ import annotations

import functools

from whoosh.query import And, Term

from index.meaning import fusion
from index.ranking import answers, facets, impacts, rerank
from index.understanding import topics, understanding
from index.understanding.analysis import terms as analyse
from index.understanding.query import parse_query
from index.understanding.query_plan import plan
from index.requests import RERANK_POOL, PoolRequest
from index.schema import SEARCH_FIELDS
from index.results import (COMMON_WORDS, EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, Explanation, Pool,
                           Ranked)

# A correction is offered only when the passages a first page shows use it.
FIRST_PAGE = 10


def find(request: PoolRequest, searcher, generation, synonyms, *, meaning: bool) -> Pool:
    """The pool ``request`` asks for, from one generation and its searcher."""
    parsed = parse_query(request.query)
    if parsed.empty:
        return Pool(parsed.text, empty_reason=EMPTY_QUERY)
    reader = searcher.reader()
    work = plan(parsed, reader, synonyms,
                functools.partial(generation.corrections, reader=reader))
    base = Pool(parsed.text, corrected=work.corrected,
                correction_applied=work.correction_applied, marked_terms=work.marked)
    ignored = tuple(dict.fromkeys(w for w in parsed.words if not analyse(w)))
    if work.query is None:
        common = bool(parsed.words) and len(ignored) == len(set(parsed.words))
        return Pool(parsed.text, marked_terms=work.marked, ignored=ignored,
                    empty_reason=COMMON_WORDS if common else UNKNOWN_WORDS)
    size = max(RERANK_POOL, request.depth)
    understood = understanding.understand(parsed.text, parsed.words, work.concepts,
                                          generation.title_table)
    docnums: dict[str, int] = {}  # each pooled passage's, by its id
    by_words, total, estimate = _by_words(searcher, generation, work, request, size, docnums)
    vector = (fusion.query_vector(_meaning_text(parsed), generation.dense.model)
              if meaning and generation.dense is not None else None)
    pool_fields = _with_meaning(by_words, vector, searcher, generation, parsed, work, request,
                                docnums, understood.alpha)
    total += len(pool_fields) - len(by_words)  # the words' matches and the meaning's
    factors: dict | None = {} if request.explain else None
    terms = generation.passage_terms(searcher.reader())
    ranked = rerank.rank(pool_fields, work.concepts, understood, factors,
                         terms=(lambda fields: terms.texts(docnums[fields["id"]]))
                         if terms is not None else None)
    if not ranked:
        return Pool(parsed.text, marked_terms=work.marked, ignored=ignored,
                    empty_reason=NO_MATCH)
    ranked = answers.demote_pointers(ranked, synonyms)
    corrected = work.corrected
    if corrected and not work.correction_applied and not _corrections_found(
            ranked[:FIRST_PAGE], work.concepts):
        # A suggestion whose words the best results never use would not
        # find anything better than the query as typed.
        corrected = None
    kept = tuple(Ranked(score, fields) for score, fields in ranked[:request.depth])
    return Pool(
        base.query, kept, total=total, total_is_estimate=estimate, corrected=corrected,
        correction_applied=base.correction_applied, marked_terms=base.marked_terms,
        facets=_facets(searcher, generation, work, parsed) if request.facets else (),
        topics=topics.named(understood.topics, kept, synonyms,
                            work.marked | frozenset(analyse(_meaning_text(parsed)))),
        ignored=ignored,
        explained=_explanation(understood, factors, ranked[:request.depth]))


def marked_terms(query: str, searcher, generation, synonyms) -> frozenset[str]:
    """The index terms a search for ``query`` marks (its words, their
    synonyms and corrections)."""
    parsed = parse_query(query)
    if parsed.empty:
        return frozenset()
    reader = searcher.reader()
    return plan(parsed, reader, synonyms,
                functools.partial(generation.corrections, reader=reader)).marked


def _meaning_text(parsed) -> str:
    """What the reader asks, without the words they excluded."""
    return " ".join([*parsed.words, *(w for p in parsed.phrases for w in p)])


def _with_meaning(pool: list[tuple[float, dict]], vector, searcher, generation,
                  parsed, work, request: PoolRequest, docnums: dict[str, int],
                  alpha: float = fusion.ALPHA) -> list[tuple[float, dict]]:
    """The pool fused with the passages nearest the query's ``vector``
    (index/meaning/fusion.py), their document numbers added to ``docnums``;
    the pool as it is without a vector (a generation without passage
    vectors, a search by words only, no model)."""
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

    rows, answered = generation.dense_rows(searcher.reader())
    added, similarity = fusion.neighbours(dense, vector, searcher,
                                          known={f["id"] for _, f in pool}, accept=accept,
                                          docnums=rows, allowed=answered)
    docnums.update((fields["id"], docnum) for docnum, fields in added)
    return fusion.blend(pool + [(0.0, fields) for _, fields in added], similarity, alpha)


def _by_words(searcher, generation, work, request: PoolRequest, size: int,
              docnums: dict[str, int]) -> tuple[list[tuple[float, dict]], int, bool]:
    """The ``size`` best passages by BM25F as ``(score, stored fields)``,
    how many matched, and whether that count is a lower bound; their
    document numbers go into ``docnums`` by passage id.

    The flat OR the plan builds is scored in numpy over the generation's
    arrays (index/ranking/impacts.py), which rank exactly as Whoosh does and count
    every match; a required phrase, or a generation without arrays, goes
    through Whoosh's own matchers.
    """
    reader = searcher.reader()
    arrays = generation.impacts(reader)
    flat = impacts.flat_or(work.query) if arrays is not None else None
    if flat is None:
        return _by_whoosh(searcher, work, request, size, docnums)
    columns, allowed = generation.facet_columns, None
    for field, value in (("kind", request.kind), ("qtype", request.qtype)):
        if value:
            chosen = columns.mask(reader, field, value)
            allowed = chosen if allowed is None else allowed & chosen
    excluded = (arrays.mask(impacts.docnums(searcher, work.mask))
                if work.mask is not None else None)
    scored = arrays.score(flat.terms, size, groups=flat.groups,
                          allowed=allowed, excluded=excluded)
    return (_located(searcher, scored.docnums.tolist(), scored.scores.tolist(), docnums),
            scored.total, False)


def _located(searcher, found: list[int], scores: list[float],
             docnums: dict[str, int]) -> list[tuple[float, dict]]:
    """``(score, stored fields)`` of the documents ``found``, their numbers
    recorded in ``docnums`` by passage id."""
    pool = []
    for docnum, score in zip(found, scores):
        fields = searcher.stored_fields(docnum)
        docnums[fields["id"]] = docnum
        pool.append((float(score), fields))
    return pool


def _by_whoosh(searcher, work, request: PoolRequest, size: int,
               docnums: dict[str, int]) -> tuple[list[tuple[float, dict]], int, bool]:
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
    return (_located(searcher, [results[i].docnum for i in range(found)],
                     [results[i].score for i in range(found)], docnums), total, estimate)


def _explanation(understood, factors: dict | None, ranked) -> Explanation | None:
    """What the query was read as and each ranked passage's factors (the
    blended score, the words', question type's and topic's multipliers,
    and whether it was moved below its topic's answer); None unasked."""
    if factors is None:
        return None
    explained = []
    for score, fields in ranked:
        found = dict(factors.get(fields["id"], {}))
        found["final"] = round(score, 4)
        if not answers.answered(fields):
            found["answerless"] = 1.0
        explained.append((fields["id"], found))
    return Explanation(understood.topics, understood.topic_words, tuple(sorted(understood.asked)),
                       tuple(sorted(understood.qtypes)), understood.alpha, tuple(explained))


def _corrections_found(ranked, concepts) -> bool:
    """Whether any of the ranked passages has a word a correction brought."""
    wanted = {t for c in concepts for w in c.corrections for t in analyse(w)}
    return any(wanted & set(analyse(f"{fields.get('heading') or ''} {fields.get('body') or ''}"))
               for _, fields in ranked)


def _facets(searcher, generation, work, parsed) -> tuple[tuple[str, str, int], ...]:
    """The question types (or, without any, the kinds) of the passages the
    query is about (index/ranking/facets.py), ignoring the filters, with counts."""
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
