"""Dense retrieval: the passages whose vectors are nearest a query vector.

One ``DenseIndex`` per generation, opened read-only from the vectors that
index/meaning/vectors.py wrote into it. The search is exact: one matrix-vector
product over every passage, then a partial sort. At MedQuAD's 47,000
passages of 384 dimensions that is about 5 ms on one core; the cost grows
with the corpus, so from roughly a million passages (or when a query must
stay under a few milliseconds at a few hundred thousand) an approximate
index is needed: hnswlib (HNSW graphs, a pip package with wheels, inner-
product space) or FAISS (``faiss-cpu``, IVF-PQ when memory matters too).

The file is float16 (half the bytes a host copies); numpy has no fast
float16 product, and widening every row per query costs ten times the
product itself, so the rows a search scans are widened to float32 once,
when the first query needs them. A search over some rows only (the
answered passages: a third of MedQuAD's) keeps a float32 copy of just
those (about 25 MB for MedQuAD, against 70 MB for every row), and scans a
third of the bytes; the similarity of a few chosen rows is read from the
float16 rows themselves.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from index.meaning.vectors import read_vectors


# Row masks whose float32 copy a DenseIndex keeps.
MAX_SUBSETS = 2


def _live_documents(leaf, field: str, term, info) -> list[int]:
    """The undeleted documents of a term in one segment: read from its
    dictionary entry when it has one document (a unique id's usual case)."""
    if info.min_id() == info.max_id():
        docs = [info.min_id()]
    else:
        docs = list(leaf.postings(field, term).all_ids())
    return [d for d in docs if not leaf.is_deleted(d)]


class DenseIndex:
    """A generation's passage vectors; ``ids[row]`` is the passage id of a row."""

    def __init__(self, model: str, ids: list[str], stored: np.ndarray) -> None:
        self.model = model
        self.ids = ids
        self._stored = stored
        self._matrix: np.ndarray | None = None
        # Row masks seen by nearest(), with their rows and float32 copy.
        self._subsets: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._lock = threading.Lock()
        self._rows: dict[str, int] | None = None

    @classmethod
    def open(cls, generation: Path) -> DenseIndex | None:
        """The generation's vectors, or None when it has none (then search
        lexically)."""
        stored = read_vectors(generation)
        if stored is None:
            return None
        return cls(stored.model, stored.ids, stored.matrix)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def matrix(self) -> np.ndarray:
        """(len, dim) float32, unit rows."""
        if self._matrix is None:
            with self._lock:
                if self._matrix is None:
                    self._matrix = np.asarray(self._stored, dtype=np.float32)
        return self._matrix

    def _subset(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of a boolean mask and their float32 copy, made once per
        distinct mask (a generation's few: its answered rows)."""
        for seen, rows, matrix in self._subsets:
            if seen is mask or np.array_equal(seen, mask):
                return rows, matrix
        with self._lock:
            rows = np.flatnonzero(mask)
            matrix = np.asarray(self._stored[rows], dtype=np.float32)
            self._subsets = [*self._subsets[-(MAX_SUBSETS - 1):], (mask.copy(), rows, matrix)]
        return rows, matrix

    def row(self, passage_id: str) -> int | None:
        """The row of a passage id, or None."""
        if self._rows is None:
            self._rows = {pid: i for i, pid in enumerate(self.ids)}
        return self._rows.get(passage_id)

    def documents(self, reader, impacts=None) -> tuple[np.ndarray, np.ndarray]:
        """For each row, its Whoosh document number in ``reader`` (-1 when
        the passage is not there) and whether it is an answered passage
        (not a question whose answer is empty).

        Read from what the build derived of each segment when ``impacts``
        (the generation's scoring arrays, index/ranking/impacts.py) has it:
        each document's passage id and body length, a pass over arrays
        (MedQuAD's 47,457 passages: 0.03 s). A segment derived before the
        ids were kept is read from the index's own term dictionary and
        length columns: each passage id is a unique term whose entry names
        its one document (0.5 s for MedQuAD, against 1.4 s for a pass over
        every stored field). Questions are the postings of
        ``kind:question``, and an empty answer has a body of length 0."""
        docnums = np.full(len(self), -1, np.int64)
        question = np.zeros(reader.doc_count_all(), dtype=bool)
        body_length = np.zeros(reader.doc_count_all(), dtype=np.int64)
        derived = impacts.segment_documents() if impacts is not None else None
        for i, (leaf, offset) in enumerate(reader.leaf_readers()):
            ids = derived[i][1] if derived is not None else None
            if ids is not None:
                self._map_ids(ids, impacts.alive[offset:offset + len(ids)], offset, docnums)
                body_length[offset:offset + len(ids)] = derived[i][2]
            else:
                self._map_terms(leaf, offset, docnums)
                for docnum in range(leaf.doc_count_all()):
                    body_length[offset + docnum] = leaf.doc_field_length(docnum, "body", 0) or 0
            if ("kind", "question") in leaf:
                for docnum in leaf.postings("kind", "question").all_ids():
                    question[offset + docnum] = True
        answered = np.zeros(len(self), dtype=bool)
        found = docnums >= 0
        answered[found] = ~question[docnums[found]] | (body_length[docnums[found]] > 0)
        return docnums, answered

    def _map_ids(self, ids: list[str], alive: np.ndarray, offset: int,
                 docnums: np.ndarray) -> None:
        """Set the document number of each row whose passage is a live
        document of a segment whose ids are ``ids``."""
        for docnum, passage_id in enumerate(ids):
            if alive[docnum]:
                row = self.row(passage_id)
                if row is not None:
                    docnums[row] = offset + docnum

    def _map_terms(self, leaf, offset: int, docnums: np.ndarray) -> None:
        """``_map_ids`` for a segment read through its id terms."""
        for term, info in leaf.iter_field("id"):
            row = self.row(term.decode("utf-8") if isinstance(term, bytes) else term)
            if row is None:
                continue
            # An updated passage's id has a deleted document in an
            # older segment and its live one in a newer segment.
            for docnum in _live_documents(leaf, "id", term, info):
                docnums[row] = offset + docnum

    def similarities(self, query_vector: np.ndarray,
                     rows: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity of the query to every row (or to ``rows``):
        for scoring a lexical pool by meaning."""
        q = np.asarray(query_vector, dtype=np.float32)
        if rows is None:
            return self.matrix @ q
        return np.asarray(self._stored[rows], dtype=np.float32) @ q

    def nearest(self, query_vector: np.ndarray, k: int,
                allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows most similar to the query, best first, and their
        similarities. ``allowed`` limits the search: a boolean mask over the
        rows, or an array of row numbers (a ``kind`` filter, an exclusion).
        Map rows to passages with ``ids[row]`` (to Whoosh documents:
        index/reading/searchers.py's ``Generation.dense_rows``)."""
        q = np.asarray(query_vector, dtype=np.float32)
        allowed = None if allowed is None else np.asarray(allowed)
        if allowed is not None and allowed.dtype == bool:
            candidates, matrix = self._subset(allowed)
            scores = matrix @ q
        elif allowed is not None:
            candidates = allowed.astype(np.int64, copy=False)
            scores = self.similarities(q, candidates)
        else:
            candidates, scores = None, self.matrix @ q
        k = min(k, len(scores))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        rows = top if candidates is None else candidates[top]
        return rows.astype(np.int64), scores[top]
