"""Re-ranking the pool: coverage of the query's concepts, neighbouring words."""
from __future__ import annotations

from index.results import Ranked
from index.understanding.query_plan import Concept
from index.ranking.rerank import cap_per_article, factor, neighbour_pairs, rank


def passage(heading="", body="", title="", article_id="a"):
    return {"heading": heading, "body": body, "title": title, "article_id": article_id}


def concepts(*words):
    return [Concept([w]) for w in words]


def test_a_passage_with_every_concept_outranks_a_better_scored_one_missing_some():
    pool = [(10.0, passage(body="leg leg leg leg")),
            (6.0, passage(body="numb leg at night"))]
    ranked = rank(pool, concepts("numb", "leg"))
    assert ranked[0][1]["body"] == "numb leg at night"


def test_a_passage_missing_a_concept_still_ranks():
    ranked = rank([(1.0, passage(body="leg only"))], concepts("numb", "leg"))
    assert len(ranked) == 1 and ranked[0][0] > 0


def test_neighbouring_query_words_standing_together_earn_a_bonus():
    terms = [(c.terms(), 1.0) for c in concepts("sleeping", "position")]
    pairs = neighbour_pairs(["sleeping", "position"])
    together = factor(passage(body="your sleeping position matters"), terms, pairs)
    apart = factor(passage(body="sleeping well is one thing; your position at a desk "
                                "another entirely"), terms, pairs)
    assert together > apart


def test_a_one_word_query_keeps_bm25_order():
    pool = [(3.0, passage(body="numb")), (2.0, passage(body="numb numb"))]
    assert [s for s, _ in rank(pool, concepts("numb"))] == [3.0, 2.0]


def test_ties_keep_the_pool_order():
    pool = [(1.0, passage(body="numb", article_id=x)) for x in "abc"]
    assert [f["article_id"] for _, f in rank(pool, concepts("numb"))] == ["a", "b", "c"]


def test_cap_per_article_moves_an_articles_extra_passages_after_the_others():
    ranked = [Ranked(5.0, passage(article_id="a")), Ranked(4.0, passage(article_id="a")),
              Ranked(3.0, passage(article_id="b")), Ranked(2.0, passage(article_id="a"))]
    capped = cap_per_article(ranked, 1)
    assert [e.fields["article_id"] for e in capped] == ["a", "b", "a", "a"]
    assert [e.score for e in capped] == [5.0, 3.0, 4.0, 2.0]
