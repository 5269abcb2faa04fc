"""webapp/results_page.py on its own: the engine's pool grouped by article,
duplicates folded, paged — no Flask request involved."""
from __future__ import annotations

from index import Ranked
from webapp.results_page import PageRequest, answered_first, by_topic, collapse, grouped


def passage(article_id: str, heading: str, *, qtype: str | None = "symptoms",
            body: str = "An answer.", title: str | None = None) -> dict:
    return {"id": f"{article_id}#{heading}", "article_id": article_id, "kind": "question",
            "title": title or "Glaucoma", "heading": heading, "qtype": qtype, "body": body}


def test_a_clamped_page_past_the_end_is_the_last_page(seed_search):
    with seed_search.snapshot() as snapshot:
        every = grouped(snapshot, PageRequest("leg", per_page=50, per_article=1))
        response = grouped(snapshot, PageRequest("leg", page=99, per_page=1, per_article=1,
                                                 clamp=True))
    assert response.page == every.total == response.last_page
    assert [g.article_id for g in response.groups] == [every.groups[-1].article_id]


def test_collapse_folds_one_question_of_several_sources_showing_an_answered_copy():
    ranked = [Ranked(3.0, passage("a", "Symptoms of glaucoma?", body="")),
              Ranked(2.0, passage("b", "What are the signs of glaucoma?")),
              Ranked(1.0, passage("c", "Is glaucoma inherited?", qtype="inheritance"))]
    folded = collapse(ranked)
    assert [(e.score, e.fields["article_id"]) for e in folded] == [(3.0, "b"), (1.0, "c")]
    assert [d["article_id"] for d in folded[0].duplicates] == ["a"]


def test_by_topic_makes_one_group_of_a_title_whatever_its_source_in_rank_order():
    entries = [Ranked(5.0, passage("a", "One", title="Flu")),
               Ranked(4.0, passage("b", "One", title="Shingles")),
               Ranked(3.0, passage("c", "Two", title="flu")),
               Ranked(2.0, passage("d", "Three", title="Influenza"))]
    same = {"flu": "flu", "influenza": "flu", "shingles": "shingles"}
    groups = by_topic(entries, lambda title: same[title.casefold()])
    assert [[e.fields["article_id"] for e in g] for g in groups] == [["a", "c", "d"], ["b"]]


def test_topics_that_answer_come_before_topics_that_only_link_out():
    link_only = [Ranked(9.0, passage("a", "Symptoms of flu?", body=""))]
    answering = [Ranked(1.0, passage("b", "Symptoms of flu?"))]
    assert answered_first([link_only, answering]) == [answering, link_only]


def test_a_pages_total_and_pages_are_the_same_on_every_page(medquad_like_index_dir):
    from index import SearchIndex

    engine = SearchIndex(medquad_like_index_dir, meaning=False)
    try:
        with engine.snapshot() as snapshot:
            pages = [grouped(snapshot, PageRequest("syndrome", page=n, clamp=True))
                     for n in (1, 2, 99)]
    finally:
        engine.close()
    assert len({(p.total, p.total_is_estimate, p.last_page) for p in pages}) == 1
    assert [p.page for p in pages] == [1, 2, pages[0].last_page] and pages[0].last_page > 2
    assert all(p.groups for p in pages)


def test_one_question_of_titles_the_synonyms_make_one_topic_folds_showing_the_answer():
    stub = Ranked(3.0, passage("stub", "What is High blood sugar?", qtype="information",
                               body="", title="High blood sugar"))
    answer = Ranked(2.0, passage("hyper", "What is Hyperglycemia?", qtype="information",
                                 title="Hyperglycemia"))
    same = {"high blood sugar": "hyperglycemia", "hyperglycemia": "hyperglycemia"}
    folded = collapse([stub, answer], lambda title: same[title.casefold()])
    assert [(e.score, e.fields["article_id"]) for e in folded] == [(3.0, "hyper")]
    assert [d["article_id"] for d in folded[0].duplicates] == ["stub"]
    # Without the synonyms they are two questions.
    assert len(collapse([stub, answer])) == 2
