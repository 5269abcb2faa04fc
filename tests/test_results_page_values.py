"""webapp/results_page.py on its own: the engine's pool grouped by article,
duplicates folded, paged — no Flask request involved."""
from __future__ import annotations

from index import Ranked
from webapp.results_page import PageRequest, by_article, collapse, grouped


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


def test_by_article_keeps_article_order_a_cap_and_one_of_each_heading():
    entries = [Ranked(5.0, passage("a", "One")), Ranked(4.0, passage("b", "One")),
               Ranked(3.0, passage("a", "One")), Ranked(2.0, passage("a", "Two")),
               Ranked(1.0, passage("a", "Three"))]
    groups = by_article(entries, per_article=2)
    assert [[(e.fields["article_id"], e.fields["heading"]) for e in g] for g in groups] == \
        [[("a", "One"), ("a", "Two")], [("b", "One")]]
