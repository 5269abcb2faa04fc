"""The topics a query names (index/understanding/topics.py): one topic per
title and its synonyms, those the query says whole first."""
from __future__ import annotations

from index import Ranked
from index.understanding.analysis import terms
from index.understanding.query_plan import NO_SYNONYMS
from index.understanding.topics import named
from kb.synonyms import Synonyms


def entry(article_id: str, title: str) -> Ranked:
    return Ranked(1.0, {"article_id": article_id, "title": title, "kind": "question"})


def test_a_title_the_query_says_whole_comes_before_one_it_names_up_to_common_words():
    pool = [entry("children", "Kidney Stones in Children"), entry("stones", "Kidney stones"),
            entry("ency", "Kidney Stones")]
    asked = frozenset(terms("what causes kidney stones"))
    found = named(["Kidney Stones in Children", "Kidney stones"], pool, NO_SYNONYMS, asked)
    assert [t.title for t in found] == ["Kidney stones", "Kidney Stones in Children"]
    assert found[0].article_ids == ("stones", "ency")  # one title, whatever its case


def test_titles_the_synonyms_list_makes_one_are_one_topic_of_every_source():
    pool = [entry("stub", "High blood sugar"), entry("hyper", "Hyperglycemia")]
    synonyms = Synonyms((("high blood sugar", "hyperglycemia"),))
    found = named(["Hyperglycemia"], pool, synonyms, frozenset(terms("high blood sugar")))
    assert len(found) == 1 and found[0].article_ids == ("stub", "hyper")
    assert named(["Hyperglycemia"], pool, NO_SYNONYMS, frozenset())[0].article_ids == ("hyper",)
