"""Meaning and words together: the lexical pool fused with the passages
whose vectors are nearest the query's.

A reader's words often miss the article's ("worried all the time" for
anxiety); the embedding model (index/meaning/embedding.py) places them near it.
Each candidate — the BM25F pool and the query's nearest passages — gets

    alpha * bm25 / best bm25  +  (1 - alpha) * (similarity - floor) / (best - floor)

(0 for the part a candidate lacks: a meaning-only neighbour has no BM25
score), which index/ranking/rerank.py then multiplies by its coverage, topic and
question-type factors. A score blend measured better than reciprocal-rank
fusion on the judged queries (README, Relevance): it keeps how far ahead
the best lexical match is, where ranks forget it. Exact terms keep their
strength: the coverage factor counts each concept by its rarity, so a
neighbour without the query's gene or drug name ranks far below a passage
with it; and with a quoted phrase, no neighbour is added at all. Only
answered passages join by meaning: a question whose answer is elsewhere
(65% of MedQuAD's) says little beyond its question, and crowded the nearest
passages out (dense alone on the judged queries: nDCG@10 0.570 over every
passage, 0.735 over the answered ones).
"""
from __future__ import annotations

import functools
import logging
from typing import Protocol

import numpy as np

ALPHA = 0.7
SIMILARITY_FLOOR = 0.1
NEIGHBOURS = 100
# A passage joins the results by meaning alone only this close to the query
# (cosine): nearer than unrelated health texts come, so a query whose words
# match nothing is not answered with whatever is least far.
NEIGHBOUR_SIMILARITY = 0.45

log = logging.getLogger(__name__)



class QueryModel(Protocol):
    """What search needs of the model (index/meaning/embedding.py's Embedder)."""
    model_id: str

    def embed_query(self, text: str) -> np.ndarray:
        """The text's unit vector."""


# The model this process embeds queries with; None: the shipped one.
_query_model: QueryModel | None = None


def use_query_model(model: QueryModel | None) -> None:
    """Embed this process's queries with ``model`` (None: the shipped
    model, the default). For an entry point that builds its passage
    vectors with another model (the test suite's small one): a query must
    be embedded by the model that embedded the passages."""
    global _query_model
    _query_model = model


def query_vector(text: str, passages_model: str) -> np.ndarray | None:
    """The query's unit vector, by the model that embedded the passages
    (``passages_model``, the generation's); None when that model cannot run
    here or is another (a generation built by another model): the search
    is then lexical."""
    return _query_vector(_query_model, text, passages_model)


@functools.lru_cache(maxsize=4096)
def _query_vector(model: QueryModel | None, text: str,
                  passages_model: str) -> np.ndarray | None:
    try:
        if model is None:
            from index.meaning.embedding import embedder

            model = embedder()
        if model.model_id != passages_model:
            _warn_other_model(model.model_id, passages_model)
            return None
        return model.embed_query(text)
    except Exception:  # a missing or broken model must never stop search
        log.exception("query embedding failed; searching by words only")
        return None


@functools.lru_cache(maxsize=None)
def _warn_other_model(query_model: str, passages_model: str) -> None:
    """Said once per pair of models."""
    log.warning("the passages were embedded by %s, queries are by %s: searching by words "
                "only (`kb index --full` embeds them again)", passages_model, query_model)


def blend(lexical: list[tuple[float, dict]], similarity: dict[str, float],
          alpha: float = ALPHA) -> list[tuple[float, dict]]:
    """``lexical`` ((bm25, fields) pairs, the neighbours among them with
    bm25 0) scored by the blend above; ``similarity`` maps passage ids to
    their cosine similarity to the query; ``alpha`` the words' weight, per
    query (index/understanding/understanding.py's ``blend_weight``)."""
    best_bm25 = max((score for score, _ in lexical), default=0.0) or 1.0
    best_similarity = max(similarity.values(), default=0.0)
    span = max(best_similarity - SIMILARITY_FLOOR, 1e-6)
    return [(alpha * score / best_bm25
             + (1 - alpha) * max(0.0, similarity.get(fields["id"], 0.0) - SIMILARITY_FLOOR) / span,
             fields)
            for score, fields in lexical]


def neighbours(dense, vector: np.ndarray, searcher, *, known: set[str], accept,
               docnums: np.ndarray, allowed: np.ndarray | None = None
               ) -> tuple[list[tuple[int, dict]], dict[str, float]]:
    """The document numbers and stored fields of the query's nearest
    passages (among the rows ``allowed``; ``docnums[row]``: a row's
    document in ``searcher``) that are not in ``known`` and that
    ``accept(docnum, fields)`` lets through (the filters and exclusions),
    and the similarity of every passage in ``known`` and found."""
    rows, sims = dense.nearest(vector, NEIGHBOURS, allowed=allowed)
    similarity = {dense.ids[row]: float(sim) for row, sim in zip(rows, sims)}
    added = []
    for row, sim in zip(rows, sims):
        passage_id = dense.ids[row]
        if passage_id in known or sim < NEIGHBOUR_SIMILARITY:
            continue
        docnum = int(docnums[row])
        if docnum < 0:
            continue
        fields = searcher.stored_fields(docnum)
        if accept(docnum, fields):
            added.append((docnum, fields))
    missing = [pid for pid in known if pid not in similarity]
    found = [(pid, dense.row(pid)) for pid in missing]
    found = [(pid, row) for pid, row in found if row is not None]
    if found:
        values = dense.similarities(vector, np.array([row for _, row in found], dtype=np.int64))
        similarity.update({pid: float(v) for (pid, _), v in zip(found, values)})
    return added, similarity
