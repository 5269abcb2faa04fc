"""Each passage's kind and question type as a per-generation column of
codes: the masks a filtered search scores within, and the question types a
generation offers as filters."""
from __future__ import annotations

import threading
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
