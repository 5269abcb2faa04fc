"""Each passage's kind and question type as a per-generation column of
codes (the masks a filtered search scores within), and which kinds or
question types the passages a query is about have: the filters a results
page offers, most frequent first. Counting walks the posting lists of the
query's terms and tallies the column; no passage is scored or loaded."""
from __future__ import annotations

import threading
from collections.abc import Iterable
import numpy as np

FACET_FIELDS = ("kind", "qtype")


class FacetColumns:
    """For one generation: each passage's kind and question type as codes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._columns: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._live: np.ndarray | None = None

    def live(self, reader) -> np.ndarray:
        """Which docnums are live (not deleted) passages."""
        with self._lock:
            if self._live is None:
                live = np.ones(reader.doc_count_all(), dtype=bool)
                if reader.has_deletions():
                    live[[n for n in range(len(live)) if reader.is_deleted(n)]] = False
                self._live = live
            return self._live

    def column(self, reader, field: str) -> tuple[np.ndarray, list[str]]:
        with self._lock:
            if field not in self._columns:
                codes = np.full(reader.doc_count_all(), -1, dtype=np.int16)
                names = []
                for n, value in enumerate(reader.lexicon(field)):
                    codes[np.fromiter(reader.postings(field, value).all_ids(), dtype=np.int64)] = n
                    names.append(value.decode("utf-8"))
                self._columns[field] = (codes, names)
            return self._columns[field]

    def mask(self, reader, field: str, value: str) -> np.ndarray:
        """Which docnums have ``value`` in ``field`` (none, for a value the
        generation does not have)."""
        codes, names = self.column(reader, field)
        if value not in names:
            return np.zeros(len(codes), dtype=bool)
        return codes == names.index(value)

    def present(self, reader, field: str) -> list[tuple[str, int]]:
        """Every value of ``field`` in the generation, with its passages."""
        codes, names = self.column(reader, field)
        tally = np.bincount(codes[codes >= 0], minlength=len(names))
        return [(names[n], int(c)) for n, c in enumerate(tally) if c]


def matching(columns: FacetColumns, reader, terms: Iterable[tuple[str, str]]) -> np.ndarray:
    """The live passages that have any of ``terms`` ((field, text) pairs)."""
    hit = np.zeros(reader.doc_count_all(), dtype=bool)
    for field, text in terms:
        if reader.doc_frequency(field, text):
            hit[np.fromiter(reader.postings(field, text).all_ids(), dtype=np.int64)] = True
    return hit & columns.live(reader)


def matching_all(columns: FacetColumns, reader, fields: tuple[str, ...],
                 concepts: Iterable[Iterable[str]]) -> np.ndarray:
    """The live passages that have some term of every concept (each an
    iterable of terms) in one of ``fields``; those with any term when no
    passage has them all. What a reader means by "the passages about it"."""
    every, anywhere = None, np.zeros(reader.doc_count_all(), dtype=bool)
    for terms in concepts:
        has = matching(columns, reader, [(f, t) for t in terms for f in fields])
        every = has if every is None else every & has
        anywhere |= has
    if every is None:
        return anywhere
    return every if every.any() else anywhere


def docs_mask(reader, docnums: Iterable[int]) -> np.ndarray:
    hit = np.zeros(reader.doc_count_all(), dtype=bool)
    hit[np.fromiter(docnums, dtype=np.int64)] = True
    return hit


def counts(columns: FacetColumns, reader, field: str, docs: np.ndarray) -> list[tuple[str, int]]:
    """The values of ``field`` among ``docs`` (a mask), most frequent first."""
    codes, names = columns.column(reader, field)
    chosen = codes[docs & (codes >= 0)]
    tally = np.bincount(chosen, minlength=len(names))
    return sorted(((names[n], int(c)) for n, c in enumerate(tally) if c),
                  key=lambda item: (-item[1], item[0]))
