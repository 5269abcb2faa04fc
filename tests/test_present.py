"""The JSON contract of DESIGN, made by webapp/present.py from the engine's
values: its shape, escaping and the addresses of results and related topics."""
from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from kb.article import PASSAGE_KINDS, RelatedTopic

from support import HASHED_MODEL

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
TAG = re.compile(r"<[^>]*>")


@pytest.fixture
def api(make_app, web_kb_dir):
    """``api(index_dir)``: a function from a query (and parameters) to the
    /api/search JSON of an app over ``index_dir``."""
    def over(index_dir):
        client = make_app(web_kb_dir, index_dir).test_client()

        def search(query, **params):
            response = client.get("/api/search", query_string={"q": query, **params})
            assert response.status_code == 200, response.get_data(as_text=True)
            return response.get_json()
        return search
    return over


@pytest.fixture
def seed_api(api, seed_index_dir):
    return api(seed_index_dir)


DESIGN_KEYS = {"query", "corrected", "total", "page", "per_page", "took_ms", "results"}
RESULT_KEYS = {"id", "article", "kind", "number", "heading", "snippet", "url", "score",
               "related"}


def check_shape(response):
    assert DESIGN_KEYS <= set(response)
    assert isinstance(response["query"], str)
    assert response["corrected"] is None or isinstance(response["corrected"], str)
    for key in ("total", "page", "per_page"):
        assert type(response[key]) is int
    assert isinstance(response["took_ms"], float)
    for hit in response["results"]:
        assert RESULT_KEYS <= set(hit)
        article_id, _, anchor = hit["id"].partition("#")
        assert hit["article"] == {"id": article_id, "title": hit["article"]["title"],
                                  "url": f"/articles/{article_id}"}
        assert isinstance(hit["article"]["title"], str)
        assert hit["url"] == f"/articles/{article_id}#{anchor}"
        assert hit["kind"] in PASSAGE_KINDS
        if hit["kind"] in ("intro", "conclusion"):
            assert hit["number"] is None and anchor == hit["kind"]
        else:
            assert type(hit["number"]) is int
            prefix = "fact" if hit["kind"] == "fact" else "q"
            assert anchor == f"{prefix}-{hit['number']}"
            assert isinstance(hit["heading"], str) and hit["heading"]
        assert isinstance(hit["snippet"], str)
        assert isinstance(hit["score"], float)
        for topic in hit["related"]:
            assert set(topic) == {"title", "url"}
    assert json.loads(json.dumps(response)) == response


def test_the_response_has_the_design_shape(seed_api):
    response = seed_api("leg numbness lying down", per_page=50)
    assert {hit["kind"] for hit in response["results"]} == set(PASSAGE_KINDS)
    check_shape(response)


def test_fact_four_is_the_design_example(seed_api):
    hit = seed_api("sciatica")["results"][0]
    assert hit["id"] == f"{SEED_ID}#fact-4"
    assert hit["url"] == f"/articles/{SEED_ID}#fact-4"
    assert (hit["kind"], hit["number"], hit["heading"]) == ("fact", 4, "Sciatica")
    assert hit["article"]["title"] == "Why Does My Leg Go Numb When I Lay Down?"


def test_results_are_ranked_by_score(seed_api):
    scores = [hit["score"] for hit in seed_api("leg numbness", per_page=50)["results"]]
    assert scores == sorted(scores, reverse=True)


def test_snippets_and_headings_hold_no_tags_but_marks(seed_api):
    for query in ("leg numbness", "sciatia", '"laying down"', "blood circulation"):
        for hit in seed_api(query, per_page=50)["results"]:
            assert set(TAG.findall(hit["snippet"])) <= {"<mark>", "</mark>"}
            assert "<mark>" in hit["snippet"] or "<mark>" in hit.get("heading_html", "") \
                or query.startswith('"')


HOSTILE = '<script>alert("x")</script> numbness & <b>bold</b> " onmouseover="alert(1)'


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory, make_article):
    from index import build_index

    folder = tmp_path_factory.mktemp("hostile-index")
    article = make_article(
        "hostile", "Hostile <i>title</i>",
        facts=[('<img src=x onerror="alert(2)"> numbness', HOSTILE)],
        related=['Numbness <script>alert(3)</script>'])
    build_index([article], folder, model=HASHED_MODEL)
    return folder


def test_article_text_is_escaped_in_every_html_field(api, hostile_index):
    hit = api(hostile_index)("numbness")["results"][0]
    assert set(TAG.findall(hit["snippet"])) == {"<mark>", "</mark>"}
    assert "&lt;script&gt;" in hit["snippet"] and "&amp;" in hit["snippet"]
    assert "&quot; onmouseover=&quot;" in hit["snippet"]
    if "heading_html" in hit:
        assert set(TAG.findall(hit["heading_html"])) == {"<mark>", "</mark>"}
    # Plain-text fields stay plain text, for the caller to escape.
    assert hit["heading"] == '<img src=x onerror="alert(2)"> numbness'
    assert hit["related"][0]["url"].startswith("/search?q=")
    assert "<" not in hit["related"][0]["url"] and " " not in hit["related"][0]["url"]


# --- related topics -------------------------------------------------------------

def test_related_topics_not_in_the_index_link_to_a_search(seed_api, seed_article):
    hit = seed_api("sciatica")["results"][0]
    assert [r["title"] for r in hit["related"]] == [r.title for r in seed_article.related]
    for topic in hit["related"]:
        assert topic["url"].startswith("/search?q=")
        assert unquote(topic["url"].removeprefix("/search?q=")) == topic["title"]


@pytest.fixture(scope="module")
def linked_index(tmp_path_factory, seed_article, make_article):
    from index import build_index

    folder = tmp_path_factory.mktemp("linked-index")
    knee = make_article("knee-popping-fix", "How to Fix Knee Popping",
                        facts=[("Popping", "A popping knee is usually harmless.")],
                        related=[RelatedTopic("Leg numbness", id=seed_article.id),
                                 RelatedTopic("Missing topic", id="no-such-article")])
    build_index([seed_article, knee], folder, model=HASHED_MODEL)
    return folder


def test_a_related_topic_in_the_index_links_to_its_article(api, linked_index):
    search = api(linked_index)
    seed_hit = search("sciatica")["results"][0]
    knee_hit = search("popping")["results"][0]
    by_title = {r["title"]: r["url"] for r in seed_hit["related"]}
    # Found by title: the seed names the topic without an id.
    assert by_title["How to Fix Knee Popping"] == "/articles/knee-popping-fix"
    assert by_title["Why Does My Big Toe Nail Hurt"].startswith("/search?q=")
    knee_links = {r["title"]: r["url"] for r in knee_hit["related"]}
    # Found by id, whatever the title says.
    assert knee_links["Leg numbness"] == f"/articles/{SEED_ID}"
    assert knee_links["Missing topic"] == "/search?q=Missing%20topic"




# --- one presenter for the site and the command line ---------------------------

TOOK = re.compile(rb'"took_ms": ?[0-9.]+')


@pytest.mark.parametrize("query", ["sciatica", "sciatia", "leg numbness", "zzqxv", "-x"])
def test_kb_search_json_is_byte_identical_to_the_api(make_app, web_kb_dir, web_index_dir,
                                                     query):
    from click.testing import CliRunner

    from kb.cli import main

    api = make_app(web_kb_dir, web_index_dir).test_client().get(
        "/api/search", query_string={"q": query}).get_data()
    cli = CliRunner().invoke(main, ["search", "--json", "--kb-dir", str(web_kb_dir),
                                    "--index-dir", str(web_index_dir), "--", query])
    assert cli.exit_code == 0, cli.output
    assert TOOK.sub(b"", cli.stdout_bytes) == TOOK.sub(b"", api)
