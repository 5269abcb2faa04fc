"""BM25F scoring in numpy over arrays derived from Whoosh's own postings.

Whoosh stays the index of record; this module answers the one query that
dominates search time, a flat OR of weighted terms, without Whoosh's
matcher tree. A Whoosh ``Or`` of ``Term(field, term, boost=FIELD_BOOSTS[field]
* weight)`` clauses under ``scoring.BM25F()`` scores a document as

    sum over matched clauses of  boost * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * fl / avgfl))

with ``idf = log(N / (df + 1)) + 1`` (N: documents in the index, deleted
ones included; df: the term's document frequency in the index),
``tf`` the posting's weight, ``fl`` the document's field length as Whoosh
stores it (a one-byte approximation) and ``avgfl`` the field's total length
over N (whoosh/scoring.py, 2.7.5). ``score`` computes exactly that, so its
ranking is Whoosh's.

The arrays come from index/building/impact_files.py, written with each generation;
the index-wide statistics (N, df, avgfl) are summed over the segments when
a reader opens them, and documents deleted since a segment was written are
masked out then.

Readers memory-map the files (``Impacts.open``), so worker processes share
one copy of the arrays in the page cache; each process opens its own maps
after any fork.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Union

import numpy as np
from whoosh.query import And, Or, Term

from index.building import impact_files
from index.building.segment_parts import read_file
from index.schema import FIELD_BOOSTS, SEARCH_FIELDS

# Whoosh's BM25F defaults: what index/reading/searchers.py's scoring.BM25F() uses.
B = 0.75
K1 = 1.2

TermKey = Union[str, tuple[str, str]]


class SortedTerms:
    """The sorted terms of one field of one segment as a sequence, for
    ``bisect`` (no dict of every term in every worker)."""

    def __init__(self, blob: np.ndarray, starts: np.ndarray) -> None:
        self._blob = blob.tobytes()  # small: the distinct terms only
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i: int) -> bytes:
        return self._blob[int(self._starts[i]):int(self._starts[i + 1])]

    def find(self, term: bytes) -> int:
        i = bisect.bisect_left(self, term)
        return i if i < len(self) and self[i] == term else -1


class _Segment:
    def __init__(self, path: Path, offset: int, leaf) -> None:
        self.header, self.arrays = read_file(path, impact_files.PART.magic)
        self.offset = offset
        self.doc_count_all = self.header["doc_count_all"]
        if self.doc_count_all != leaf.doc_count_all():
            raise ValueError(f"{path}: derived from another segment")
        self.terms = {f: SortedTerms(self.arrays[f"{f}.terms"], self.arrays[f"{f}.term_starts"])
                      for f in SEARCH_FIELDS}


@dataclass(frozen=True)
class Scored:
    """The best documents of a scored query: ``docnums`` (the Whoosh
    reader's document numbers) and ``scores``, best first (ties: lower
    document number first, as Whoosh orders them); ``total`` is how many
    documents matched at all after ``allowed`` and ``excluded``."""
    docnums: np.ndarray
    scores: np.ndarray
    total: int


class Impacts:
    """The arrays of one generation, aligned with one Whoosh reader's
    document numbers. Open it with the reader the caller will read stored
    fields through (``Impacts.open(folder, searcher.reader())``); it only
    reads the reader's segment list and deletions, and keeps no reference
    to it."""

    def __init__(self, segments: list[_Segment], doc_count_all: int, alive: np.ndarray) -> None:
        self._segments = segments
        self.doc_count_all = doc_count_all
        self.alive = alive
        self._field_norms = {}
        for field in SEARCH_FIELDS:
            total = sum(s.header["fields"][field]["field_length"] for s in segments)
            avgfl = (total / (doc_count_all or 1)) or 1
            for s in segments:
                lengths = s.arrays[f"{field}.lengths"].astype(np.float64)
                # K1 * ((1 - B) + B * fl / avgfl), per document, in Whoosh's order of operations
                self._field_norms[(id(s), field)] = K1 * ((1 - B) + B * lengths / avgfl)

    @classmethod
    def open(cls, folder: Path, reader) -> "Impacts | None":
        """The arrays of the generation in ``folder`` for ``reader`` (a
        Whoosh reader of that folder's index), or None when some segment has
        none (a generation built before they existed: search it with Whoosh)."""
        folder = Path(folder)
        segments, alive_parts = [], []
        for leaf, offset in reader.leaf_readers():
            path = folder / (leaf.segment().segment_id() + impact_files.SUFFIX)
            if not path.exists():
                return None
            segment = _Segment(path, offset, leaf)
            segments.append(segment)
            alive = np.ones(segment.doc_count_all, dtype=bool)
            if leaf.has_deletions():
                alive[:] = False
                alive[np.fromiter(leaf.all_doc_ids(), dtype=np.int64)] = True
            alive_parts.append(alive)
        total = sum(s.doc_count_all for s in segments)
        alive = np.concatenate(alive_parts) if alive_parts else np.zeros(0, dtype=bool)
        return cls(segments, total, alive)

    def close(self) -> None:
        """Drop the memory maps (they close when no array refers to them)."""
        self._segments, self._field_norms = [], {}

    def segment_documents(self) -> list[tuple[int, list[str] | None, np.ndarray]]:
        """Per segment, in the reader's order: its first document number,
        the passage id of each of its documents (None for a file derived
        before they were kept) and each one's body length."""
        found = []
        for s in self._segments:
            ids = impact_files.passage_ids(s.arrays)
            found.append((s.offset, ids if ids is None or len(ids) == s.doc_count_all else None,
                          s.arrays["body.lengths"]))
        return found

    # -- document sets -----------------------------------------------------

    def mask(self, docnums: Iterable[int] | np.ndarray) -> np.ndarray:
        """A boolean mask over every document number, true at ``docnums``."""
        mask = np.zeros(self.doc_count_all, dtype=bool)
        ids = np.asarray(docnums if isinstance(docnums, np.ndarray)
                         else np.fromiter(docnums, dtype=np.int64), dtype=np.int64)
        mask[ids] = True
        return mask

    # -- scoring -----------------------------------------------------------

    def _postings(self, field: str, term: str):
        """[(segment, slice of its postings)] and the term's index-wide df."""
        key = term.encode("utf-8")
        found, df = [], 0
        for s in self._segments:
            i = s.terms[field].find(key)
            if i >= 0:
                starts = s.arrays[f"{field}.starts"]
                found.append((s, int(starts[i]), int(starts[i + 1])))
                df += int(s.arrays[f"{field}.df"][i])
        return found, df

    def _add_term(self, scores: np.ndarray, field: str, term: str, boost: float,
                  matched: np.ndarray | None = None) -> None:
        found, df = self._postings(field, term)
        if not found:
            return
        idf = math.log(self.doc_count_all / (df + 1)) + 1
        for s, begin, end in found:
            docs = s.arrays[f"{field}.docs"][begin:end]
            tf = s.arrays[f"{field}.tf"][begin:end].astype(np.float64)
            norm = self._field_norms[(id(s), field)][docs]
            impact = idf * ((tf * (K1 + 1)) / (tf + norm))
            where = docs.astype(np.int64) + s.offset
            # Document numbers are unique within one term's postings, so a
            # fancy-indexed += adds each once (no np.add.at needed).
            scores[where] += boost * impact
            if matched is not None:
                matched[where] = True

    def _term_fields(self, key: TermKey) -> list[tuple[str, str]]:
        if isinstance(key, tuple):
            field, term = key
            if field not in FIELD_BOOSTS:
                raise ValueError(f"no arrays for field {field!r}")
            return [(field, term)]
        return [(field, key) for field in SEARCH_FIELDS]

    def score(self, weighted_terms: Mapping[TermKey, float], limit: int | None = 10, *,
              groups: Sequence[Mapping[TermKey, float]] = (),
              allowed: np.ndarray | None = None,
              excluded: np.ndarray | None = None) -> Scored:
        """The best ``limit`` documents (all when None) of the flat OR of
        ``weighted_terms``, scored as Whoosh's BM25F scores
        ``Or([Term(f, t, boost=FIELD_BOOSTS[f] * w) ...])``.

        A key is a term (searched in every field of SEARCH_FIELDS) or a
        ``(field, term)`` pair; the weight multiplies the field's boost.
        Each of ``groups`` is a conjunction (Whoosh's ``And`` of such ORs,
        one per term): its scores count only in documents that match every
        distinct term of it, each in any of the fields its keys name.
        ``allowed`` and ``excluded`` are boolean masks over the document
        numbers (``mask``; index/ranking/facets.py has the kinds'), applied before
        the cut, so the pool is the best of what may be shown.
        """
        scores = np.zeros(self.doc_count_all, dtype=np.float64)
        for key, weight in weighted_terms.items():
            if weight > 0:
                for field, term in self._term_fields(key):
                    self._add_term(scores, field, term, FIELD_BOOSTS[field] * weight)
        for group in groups:
            self._add_group(scores, group)
        keep = self.alive if allowed is None else self.alive & allowed
        if excluded is not None:
            keep = keep & ~excluded
        scores[~keep] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if limit is not None and len(candidates) > limit:
            # The limit-th best score; every document scoring above it is in,
            # and ties at it go to lower document numbers (Whoosh's order).
            top = np.argpartition(-scores[candidates], limit - 1)[:limit]
            cut = scores[candidates[top]].min()
            above = candidates[scores[candidates] > cut]
            tied = candidates[scores[candidates] == cut][:limit - len(above)]
            candidates = np.concatenate([above, tied])
        order = np.lexsort((candidates, -scores[candidates]))
        best = candidates[order]
        return Scored(best, scores[best], int(np.count_nonzero(scores > 0)))

    def _add_group(self, scores: np.ndarray, group: Mapping[TermKey, float]) -> None:
        by_term: dict[str, list[tuple[str, float]]] = {}
        for key, weight in group.items():
            for field, term in self._term_fields(key):
                by_term.setdefault(term, []).append((field, weight))
        partial = np.zeros_like(scores)
        every = np.ones(self.doc_count_all, dtype=bool)
        for term, fields in by_term.items():
            matched = np.zeros(self.doc_count_all, dtype=bool)
            for field, weight in fields:
                self._add_term(partial, field, term, FIELD_BOOSTS[field] * weight, matched)
            every &= matched
        scores[every] += partial[every]


@dataclass(frozen=True)
class FlatOr:
    """A Whoosh query as ``Impacts.score`` takes it."""
    terms: dict[TermKey, float]
    groups: tuple[dict[TermKey, float], ...]


def flat_or(query) -> FlatOr | None:
    """The flat OR the search plan builds (an ``Or`` of per-field ``Term``
    clauses, possibly nested in ``Or``s, and of ``And``s of such ORs: a
    synonym of several words) as weighted ``(field, term)`` keys; None for
    any other shape (a required phrase: Whoosh's to run). A term's weight
    is its boost over the field's."""
    terms: dict[TermKey, float] = {}
    groups: list[dict[TermKey, float]] = []
    if not _collect_or(query, 1.0, terms, groups):
        return None
    return FlatOr(terms, tuple(groups))


def _collect_or(query, boost: float, terms: dict, groups: list) -> bool:
    if isinstance(query, Term):
        if query.fieldname not in FIELD_BOOSTS:
            return False
        key = (query.fieldname, query.text)
        # Whoosh sums a term that occurs twice in an OR.
        terms[key] = terms.get(key, 0.0) + boost * query.boost / FIELD_BOOSTS[query.fieldname]
        return True
    if isinstance(query, Or):
        return all(_collect_or(q, boost * query.boost, terms, groups) for q in query.subqueries)
    if isinstance(query, And):
        group: dict[TermKey, float] = {}
        for q in query.subqueries:
            # Each conjunct must be an OR of one term over the fields.
            part: dict[TermKey, float] = {}
            if not _collect_or(q, boost * query.boost, part, []) or \
                    len({t for _, t in part}) != 1:
                return False
            group.update(part)
        groups.append(group)
        return True
    return False


def docnums(searcher, query) -> np.ndarray:
    """The document numbers a Whoosh query matches (for a required phrase
    or an exclusion), ready for ``Impacts.mask``."""
    return np.fromiter(searcher.docs_for_query(query), dtype=np.int64)
