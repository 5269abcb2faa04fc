"""Meaning fused with words (index/meaning/fusion.py), on the seed article's index
with the model as shipped."""
from __future__ import annotations

import pytest

from index import SearchIndex, build_index

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"

pytestmark = [pytest.mark.usefixtures("real_queries"), pytest.mark.slow]  # the real model


@pytest.fixture(scope="module")
def seed_search(seed_meaning_index_dir):
    engine = SearchIndex(seed_meaning_index_dir)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def words_only(seed_meaning_index_dir):
    engine = SearchIndex(seed_meaning_index_dir, meaning=False)
    yield engine
    engine.close()


def ids(response):
    return [h.id for h in response.hits]


def test_a_reader_s_own_words_find_the_passage_by_meaning(seed_search, words_only):
    query = "eight months along and my leg is numb"
    pregnancy = f"{SEED_ID}#q-7"
    assert pregnancy not in ids(words_only.search(query, per_page=3))
    assert pregnancy in ids(seed_search.search(query, per_page=3))


def test_a_quoted_phrase_decides_alone(seed_search, words_only):
    for query in ('"restless leg" worried', '"blood circulation"'):
        assert set(ids(seed_search.search(query, per_page=50))) == \
            set(ids(words_only.search(query, per_page=50)))


def test_exclusions_and_filters_hold_for_meaning_only_neighbours(seed_search, seed_article):
    response = seed_search.search("nervous and stressed, my legs tingle -anxiety", per_page=50)
    assert response.hits
    for hit in response.hits:
        passage = next(p for p in seed_article.passages() if p.id == hit.id)
        assert "anxiety" not in f"{passage.heading} {passage.body}".lower()
    facts = seed_search.search("nervous and stressed, my legs tingle", kind="fact", per_page=50)
    assert facts.hits and {h.kind for h in facts.hits} == {"fact"}


def test_a_rare_exact_term_is_never_lost_to_neighbours(tmp_path, seed_article, make_article,
                                                       meaning_model):
    gene = make_article("mecp2", "Rett syndrome", facts=[
        ("The MECP2 gene", "Changes in the MECP2 gene cause Rett syndrome, which makes legs "
                           "weak and numb.")])
    build_index([seed_article, gene], tmp_path, model=meaning_model)
    engine = SearchIndex(tmp_path)
    try:
        assert ids(engine.search("MECP2 numb legs"))[0] == "mecp2#fact-1"
    finally:
        engine.close()


def test_an_index_without_vectors_searches_by_words(tmp_path, seed_article):
    build_index([seed_article], tmp_path, model=None)
    engine = SearchIndex(tmp_path)
    try:
        assert ids(engine.search("sciatica"))[0] == f"{SEED_ID}#fact-4"
        assert engine._searchers.current().dense is None
    finally:
        engine.close()


def test_passages_embedded_by_another_model_are_searched_by_words_with_one_warning(
        seed_index_dir, words_only, caplog):
    from index.meaning import fusion

    # seed_index_dir's vectors are the tests' hashed model's; queries here
    # are by the shipped model: their vectors cannot be compared.
    fusion._warn_other_model.cache_clear()  # said once a process: count from here
    engine = SearchIndex(seed_index_dir)
    try:
        for query in ("sciatica", "pins and needles", "sciatica"):
            assert ids(engine.search(query)) == ids(words_only.search(query))
    finally:
        engine.close()
    warned = [r for r in caplog.records if "searching by words only" in r.getMessage()]
    assert len(warned) == 1 and "hashed-words-test" in warned[0].getMessage()
