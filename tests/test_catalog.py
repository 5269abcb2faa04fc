"""The article list: letters, pages, titles told apart; its page and JSON."""
from __future__ import annotations

import pytest

from support import GARD, GHR, TOE_ID, assert_error
from index import ArticleEntry
from kb.sources import page_address, source_name
from webapp.catalog import OTHER, catalog, letter_of, page_of


@pytest.mark.parametrize("title, letter", [
    ("Glaucoma", "G"), ("glaucoma", "G"), ("Écho", "E"), ("  (Acute) pain", "A"),
    ("17-beta deficiency", OTHER), ("Ωmega", OTHER), ("", OTHER),
])
def test_each_title_is_under_its_first_letter(title, letter):
    assert letter_of(title) == letter


def test_letters_are_those_that_have_articles_with_their_counts():
    entries = [ArticleEntry(str(n), title, 1) for n, title in
               enumerate(["10 ways", "Acne", "acne scars", "Zinc"])]
    assert catalog(entries).letters == ((OTHER, 1), ("A", 2), ("Z", 1))


def test_titles_shared_by_articles_are_told_apart_by_source_then_by_page():
    entries = [
        ArticleEntry("a", "Glaucoma", 3, GHR),
        ArticleEntry("b", "glaucoma", 2, GARD),
        ArticleEntry("c", "Breast cancer", 5, "https://www.cancer.gov/types/breast/treatment"),
        ArticleEntry("d", "Breast cancer", 4, "https://www.cancer.gov/types/breast/screening"),
        ArticleEntry("e", "Breast cancer", 1),
        ArticleEntry("f", "Sciatica", 5, GHR),
    ]
    details = {a.id: a.detail for a in catalog(entries).articles}
    assert details == {
        "a": "Genetics Home Reference",
        "b": "Genetic and Rare Diseases Information Center",
        "c": "National Cancer Institute: cancer.gov/types/breast/treatment",
        "d": "National Cancer Institute: cancer.gov/types/breast/screening",
        "e": "e",   # no source page: its id
        "f": None,  # a title of its own needs nothing
    }


@pytest.mark.parametrize("url, name", [
    ("https://www.nlm.nih.gov/medlineplus/ency/article/000913.htm", "MedlinePlus Encyclopedia"),
    ("https://www.nlm.nih.gov/medlineplus/druginfo/meds/a699012.html", "MedlinePlus Drugs"),
    ("https://www.nlm.nih.gov/medlineplus/breastcancer.html", "MedlinePlus"),
    ("HTTP://GHR.NLM.NIH.GOV", "Genetics Home Reference"),
    ("https://user@www.example.org:8080/x?y#z", "example.org"),
    ("javascript:alert(1)", None), ("", None), (None, None),
])
def test_a_source_is_named_as_readers_know_it(url, name):
    assert source_name(url) == name


def test_a_page_address_reads_without_scheme_or_www():
    assert page_address("https://www.cancer.gov/types/breast/?q=1#top") == "cancer.gov/types/breast"


@pytest.mark.parametrize("asked, page, shown", [(1, 1, ["0", "1"]), (3, 3, ["4"]),
                                                (9, 3, ["4"]), (0, 1, ["0", "1"])])
def test_a_page_past_either_end_is_the_nearest_page(asked, page, shown):
    listed = catalog([ArticleEntry(str(n), f"T{n}", 1) for n in range(5)]).articles
    got = page_of(listed, asked, per_page=2)
    assert (got.page, got.last_page, got.total) == (page, 3, 5)
    assert [a.id for a in got.articles] == shown


# --- the page and its JSON ------------------------------------------------------

@pytest.fixture
def list_client(make_app, list_kb):
    return make_app(*list_kb).test_client()


def test_the_list_shows_a_hundred_articles_a_page_with_links_to_the_rest(list_client):
    html = list_client.get("/articles").get_data(as_text=True)
    assert html.count('href="/articles/topic-') + html.count('href="/articles/ten-ways') == 100
    assert "250 articles · page 1 of 3" in html
    assert 'href="/articles?page=2"' in html and 'rel="next"' in html
    assert "passage" not in html


def test_a_letter_lists_only_its_articles_and_says_which(list_client):
    html = list_client.get("/articles?letter=g").get_data(as_text=True)
    assert "<h1>Articles: G</h1>" in html
    assert html.count('href="/articles/glaucoma-') == 2
    assert "— Genetics Home Reference" in html
    assert "— Genetic and Rare Diseases Information Center" in html
    assert 'href="/articles?letter=G" aria-current="page"' in html


def test_an_unknown_letter_or_page_falls_back_to_the_whole_list(list_client):
    for url in ("/articles?letter=%3Cscript%3E", "/articles?letter=Q", "/articles?page=x"):
        html = list_client.get(url).get_data(as_text=True)
        assert "<h1>All articles</h1>" in html and "page 1 of 3" in html
    assert "page 3 of 3" in list_client.get("/articles?page=99").get_data(as_text=True)


def test_the_list_links_its_json_in_the_head_only(list_client):
    html = list_client.get("/articles?page=2").get_data(as_text=True)
    assert ('<link rel="alternate" type="application/json" '
            'href="/api/articles?page=2">') in html
    assert "as JSON" not in html


def test_the_article_list_json_without_paging_is_unchanged(client):
    body = client.get("/api/articles").get_json()
    assert set(body) == {"articles"}
    assert {tuple(sorted(a)) for a in body["articles"]} == {("id", "passages", "title", "url")}
    assert TOE_ID in {a["id"] for a in body["articles"]}


def test_the_article_list_json_pages_by_letter(list_client):
    body = list_client.get("/api/articles?letter=g&per_page=1&page=2").get_json()
    assert (body["letter"], body["total"], body["page"], body["per_page"], body["last_page"]) \
        == ("G", 2, 2, 1, 2)
    # Same titles are in id order: glaucoma-gard, then glaucoma-ghr.
    assert body["articles"] == [{"id": "glaucoma-ghr", "title": "Glaucoma",
                                 "detail": "Genetics Home Reference",
                                 "url": "/articles/glaucoma-ghr"}]
    assert {"letter": OTHER, "count": 1} in body["letters"]


@pytest.mark.parametrize("query", ["letter=AB", "letter=%3C", "page=0", "page=x",
                                   "per_page=1001", "per_page=-1"])
def test_bad_article_list_parameters_get_a_400(list_client, query):
    assert_error(list_client.get(f"/api/articles?{query}"), 400)
