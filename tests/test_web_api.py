"""The JSON API through Flask's test client: DESIGN's shapes and the one
error shape."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from support import MEDQUAD_CREDIT, READ_AT_URL, TOE_ID, assert_error
from index import MAX_PAGE, MAX_PER_PAGE

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"

RESPONSE_KEYS = {"query", "corrected", "total", "page", "per_page", "took_ms", "results"}
RESULT_KEYS = {"id", "article", "kind", "number", "heading", "snippet", "url", "score",
               "related"}


def get_json(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_search_returns_the_design_shape(client):
    body = get_json(client, "/api/search?q=sciatica")
    assert RESPONSE_KEYS <= set(body)
    assert body["query"] == "sciatica" and body["page"] == 1 and body["per_page"] == 10
    assert body["total"] == len(body["results"]) > 0
    first = body["results"][0]
    assert RESULT_KEYS <= set(first)
    assert first["id"] == f"{SEED_ID}#fact-4"
    assert first["article"] == {"id": SEED_ID, "title": "Why Does My Leg Go Numb When I Lay Down?",
                                "url": f"/articles/{SEED_ID}"}
    assert (first["kind"], first["number"], first["heading"]) == ("fact", 4, "Sciatica")
    assert "<mark>Sciatica</mark>" in first["snippet"]
    assert first["url"] == f"/articles/{SEED_ID}#fact-4"
    assert {"title": "Why Does My Big Toe Nail Hurt", "url": f"/articles/{TOE_ID}"} \
        in first["related"]


def test_search_pages_through_results(client):
    everything = get_json(client, f"/api/search?q=leg&per_page={MAX_PER_PAGE}")
    assert everything["total"] > 10
    first = get_json(client, "/api/search?q=leg")
    second = get_json(client, "/api/search?q=leg&page=2&per_page=10")
    assert len(first["results"]) == 10
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == [r["id"] for r in everything["results"]][:len(ids)]
    assert len(set(ids)) == len(ids)


def test_search_filters_by_kind(client):
    body = get_json(client, "/api/search?q=leg&kind=question&per_page=50")
    assert body["results"] and {r["kind"] for r in body["results"]} == {"question"}


def test_search_reports_the_engines_correction(client, web_index_dir):
    from index import SearchIndex

    engine = SearchIndex(web_index_dir)
    try:
        expected = engine.search("sciatca")
    finally:
        engine.close()
    body = get_json(client, "/api/search?q=sciatca")
    assert body["corrected"] == expected.corrected is not None
    assert [r["id"] for r in body["results"]] == [r.id for r in expected.hits]


def test_search_json_holds_no_raw_angle_brackets(client):
    response = client.get("/api/search?q=" + quote('<script>"') + "&per_page=1")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<" not in text and ">" not in text
    assert response.get_json()["query"] == '<script>"'
    # The snippet's marks survive as data.
    assert "<mark>" in client.get("/api/search?q=sciatica").get_json()["results"][0]["snippet"]


@pytest.mark.parametrize("query_string", [
    "page=abc", "page=0", "page=-1", f"page={MAX_PAGE + 1}", "page=1.5", "page=1e3",
    "page=99999999999999999999999999999", "per_page=0", f"per_page={MAX_PER_PAGE + 1}",
    "per_page=500", "per_page=ten", "kind=bogus", "kind=facts", "kind=%00", "page=%FF",
    "per_article=0", "per_article=x",
])
def test_a_bad_parameter_is_a_400_in_the_error_shape(client, query_string):
    message = assert_error(client.get(f"/api/search?q=leg&{query_string}"), 400)
    name = query_string.partition("=")[0]
    assert name in message


@pytest.mark.parametrize("url", [
    "/api/articles/no-such-article", "/api/articles/Not_A_Slug", "/api/articles/..%2Fx",
    "/api/nowhere", "/api", "/api/search/extra",
])
def test_an_unknown_api_address_is_a_404_in_the_error_shape(client, url):
    assert_error(client.get(url), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_a_wrong_method_is_a_405_in_the_error_shape(client, method):
    response = client.open("/api/search?q=leg", method=method)
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_failure_is_a_500_without_internals(make_app, web_kb_dir, web_index_dir):
    app = make_app(web_kb_dir, web_index_dir)

    def boom():
        raise RuntimeError("secret internals")
    app.add_url_rule("/api/boom", "boom", boom)
    response = app.test_client().get("/api/boom")
    assert_error(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)


def test_a_missing_index_is_a_503_in_the_error_shape(make_app, web_kb_dir, tmp_path):
    client = make_app(web_kb_dir, tmp_path / "no-index").test_client()
    assert_error(client.get("/api/search?q=leg"), 503)


@pytest.mark.parametrize("query", [
    "\x00", "a\x00b", "x" * 100_000, '"', "((", "title:leg", "*?", "-",
    "\u202e", "🦶" * 1000, "", " ",
])
def test_no_query_string_causes_a_server_error(client, query):
    for url in ("/api/search", "/api/suggest"):
        response = client.get(url, query_string={"q": query})
        assert response.status_code == 200, (url, query)
        json.loads(response.get_data(as_text=True))


def test_an_empty_query_has_a_message_and_no_results(client):
    body = get_json(client, "/api/search?q=")
    assert body["results"] == [] and body["total"] == 0 and body["message"]


def test_suggest_offers_headings_the_typed_words_begin(client):
    body = get_json(client, "/api/suggest?q=sciat")
    assert body["suggestions"] == ["Sciatica"]
    assert body["items"] == [{"text": "Sciatica", "kind": "fact"}]
    assert get_json(client, "/api/suggest?q=")["suggestions"] == []


def test_the_article_json_has_sections_with_anchors_and_related_urls(client, seed_article):
    body = get_json(client, f"/api/articles/{SEED_ID}")
    assert (body["id"], body["title"], body["url"]) == (
        seed_article.id, seed_article.title, f"/articles/{SEED_ID}")
    assert [(s["kind"], s["anchor"]) for s in body["sections"]] == [
        (s.kind, s.anchor) for s in seed_article.sections]
    fact4 = next(s for s in body["sections"] if s["anchor"] == "fact-4")
    assert fact4["heading"] == "Sciatica" and fact4["number"] == 4 and fact4["text"]
    question = next(s for s in body["sections"] if s["anchor"] == "q-1")
    assert question["question"] and question["answer"]
    related = {r["title"]: r["url"] for r in body["related"]}
    assert related["Why Does My Big Toe Nail Hurt"] == f"/articles/{TOE_ID}"
    assert related["How to Fix Knee Popping"] == "/search?q=" + quote("How to Fix Knee Popping")


def test_the_article_json_carries_source_credit_and_answer_links(client):
    body = get_json(client, f"/api/articles/{TOE_ID}")
    assert body["source"]["credit"] == MEDQUAD_CREDIT
    assert body["source"]["url"].startswith("https://")
    q2 = next(s for s in body["sections"] if s["anchor"] == "q-2")
    assert q2["answer"] == "" and q2["url"] == READ_AT_URL


def test_the_article_list_json_names_every_article(client):
    body = get_json(client, "/api/articles")
    assert {a["id"] for a in body["articles"]} == {SEED_ID, TOE_ID}
    assert all(a["url"] == f"/articles/{a['id']}" for a in body["articles"])


def test_per_article_caps_passages_of_one_article_and_flat_is_the_default(client):
    # Both articles speak of nails and swelling; the seed article has more.
    query = "nail+swollen+numbness+leg"
    flat = client.get(f"/api/search?q={query}&per_page=50").get_json()
    capped = client.get(f"/api/search?q={query}&per_page=50&per_article=1").get_json()
    assert [r["id"] for r in flat["results"]] != [r["id"] for r in capped["results"]]
    first = [r["article"]["id"] for r in capped["results"]]
    distinct = list(dict.fromkeys(first))
    assert first[:len(distinct)] == distinct


def test_explain_1_adds_the_query_as_read_and_each_results_factors(client):
    body = get_json(client, "/api/search?q=what+causes+sciatica&explain=1")
    explained = body["explain"]
    assert explained["asked"] == ["causes"] and "causes" in explained["qtypes"]
    assert set(explained["factors"]) >= {r["id"] for r in body["results"]}
    assert {"blended", "words", "question_type", "topic", "final"} <= set(
        explained["factors"][body["results"][0]["id"]])


def test_search_has_no_explain_key_unless_asked(client):
    assert "explain" not in get_json(client, "/api/search?q=sciatica")
