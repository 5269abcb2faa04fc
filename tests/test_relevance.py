"""Relevance regression: the judged dev queries over the bundled article.

The floors sit just under what the search reaches (see
tests/benchmarks/relevance.py for the full table beside plain Whoosh); a
change that makes readers' everyday queries rank worse fails here.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from index import build_index
from index import SearchIndex
from kb.store import check_knowledge_base, default_kb_dir
from kb.synonyms import cached_synonyms, synonyms_path
from tests.evaluation import evaluate, load_judgments

pytestmark = pytest.mark.slow  # the real model

JUDGMENTS = Path(__file__).parent / "fixtures" / "eval" / "seed_dev_queries.yaml"
FLOORS = {"nDCG@10": 0.95, "MRR@10": 0.95, "Success@1": 0.90, "Recall@3": 0.90}


@pytest.fixture(scope="module")
def scores(tmp_path_factory, meaning_model, real_queries):
    articles, problems = check_knowledge_base(default_kb_dir())
    assert not problems
    index_dir = tmp_path_factory.mktemp("relevance-index")
    build_index(articles, index_dir, model=meaning_model)
    engine = SearchIndex(index_dir, synonyms=partial(cached_synonyms,
                                                     synonyms_path(default_kb_dir())))
    try:
        yield evaluate(lambda q: [r.id for r in engine.search(q).hits],
                       load_judgments(JUDGMENTS))
    finally:
        engine.close()


@pytest.mark.parametrize("metric", FLOORS)
def test_the_dev_queries_rank_at_least_as_well_as_before(scores, metric):
    assert scores[metric] >= FLOORS[metric], scores


def test_every_dev_query_finds_something(scores):
    assert scores["zero_results"] == 0
