"""Each passage's heading, body and article title as index terms, read
from the generation's memory-mapped passage terms (index/building/term_files.py):
what re-ranking (index/ranking/rerank.py) compares with the query, without
analysing the passage's stored text on every search.

Terms are numbered per segment; ``Texts.name`` turns a query's term into
its number there (None when no passage of the segment has it), so a
passage's terms and the query's are compared as numbers.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from index.building import term_files
from index.building.segment_parts import read_file
from index.ranking.impacts import SortedTerms

NAMES_KEPT = 50_000


@dataclass(frozen=True)
class Texts:
    """One passage's ``heading`` and ``body`` terms in order and its
    ``title``'s, as numbers that ``name`` gives a term (the same ``name``
    for every passage of a segment)."""
    heading: list[int]
    body: list[int]
    title: list[int]
    name: Callable[[str], int | None]


class _Segment:
    def __init__(self, path: Path, offset: int, leaf) -> None:
        self.header, self.arrays = read_file(path, term_files.PART.magic)
        self.offset = offset
        if self.header.get("doc_count_all") != leaf.doc_count_all():
            raise ValueError(f"{path}: derived from another segment")
        self.terms = SortedTerms(self.arrays["terms"], self.arrays["term_starts"])
        self.texts = [(self.arrays[f"{t}.starts"], self.arrays[f"{t}.ids"])
                      for t in term_files.TEXTS]
        for starts, ids in self.texts:
            if len(starts) != self.header["doc_count_all"] + 1 or (
                    len(starts) and int(starts[-1]) != len(ids)):
                raise ValueError(f"{path}: damaged")
        self.names: dict[str, int | None] = {}

    def name(self, term: str) -> int | None:
        # The queries' terms are kept (readers reuse a few thousand), up to
        # NAMES_KEPT: a bisection costs 20 reads of the memory map.
        try:
            return self.names[term]
        except KeyError:
            pass
        i = self.terms.find(term.encode("utf-8"))
        if len(self.names) >= NAMES_KEPT:
            self.names = {}
        self.names[term] = found = i if i >= 0 else None
        return found


class PassageTerms:
    """The passage terms of one generation, for one reader's numbering of
    its documents (every searcher of a generation numbers them alike)."""

    def __init__(self, segments: list[_Segment]) -> None:
        self._segments = segments
        self._offsets = [s.offset for s in segments]

    @classmethod
    def open(cls, folder: Path, reader) -> PassageTerms | None:
        """The generation in ``folder``'s passage terms, or None when a
        segment has none (a generation built before they existed:
        re-ranking then analyses stored text). ValueError when a file is
        damaged."""
        segments = []
        for leaf, offset in reader.leaf_readers():
            path = Path(folder) / (leaf.segment().segment_id() + term_files.PART.suffix)
            if not path.exists():
                return None
            segments.append(_Segment(path, offset, leaf))
        return cls(segments)

    def texts(self, docnum: int) -> Texts:
        """The terms of the passage numbered ``docnum``."""
        segment = self._segments[bisect.bisect_right(self._offsets, docnum) - 1]
        local = docnum - segment.offset
        heading, body, title = (ids[int(starts[local]):int(starts[local + 1])].tolist()
                                for starts, ids in segment.texts)
        return Texts(heading, body, title, segment.name)
