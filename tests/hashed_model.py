"""A small deterministic stand-in for the embedding model, for the tests
that are not about meaning.

It has the interface of index/meaning/embedding.py's Embedder (``model_id``,
``dim``, ``max_chars``, ``embed_passages``, ``embed_query``) and costs
microseconds a text: each word adds ±1 at a position its hash picks, and
the sum is scaled to unit length. Texts that share words are near each
other, texts that share none are nearly orthogonal: enough for a build to
write, reuse and publish vectors and for a search to fuse them, with no
claim to meaning. The tests about meaning use the real model.
"""
from __future__ import annotations

import hashlib
import re
from typing import Callable, Sequence

import numpy as np

_WORD = re.compile(r"\w+")


class HashedModel:
    model_id = "hashed-words-test/1"
    dim = 64
    max_chars = 1024

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: Sequence[str],
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        rows = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            rows[row] = self._vector(text)
        if progress and texts:
            progress(len(texts))
        return rows

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, np.float32)
        for word in _WORD.findall(text.lower()):
            code = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
            vector[code % self.dim] += 1.0 if code & (1 << 31) else -1.0
        norm = np.linalg.norm(vector)
        if norm == 0:
            vector[0], norm = 1.0, 1.0
        return vector / norm
