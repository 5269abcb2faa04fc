"""The site's pages through Flask's test client: search, articles, errors,
and the headers and escaping every response must have."""
from __future__ import annotations

import dataclasses
import logging
import re
import shutil
from html import escape
from urllib.parse import quote, urlencode

import markupsafe
import pytest

from index import MAX_QUERY_CHARS
from support import HASHED_MODEL, EXPECTED_HEADERS, MEDQUAD_CREDIT, READ_AT_URL, TOE_ID

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
SEED_URL = f"/articles/{SEED_ID}"


def cards(html: str) -> list[str]:
    """The markup of each result (an article's card), in order."""
    return re.findall(r'<li class="card">(.*?)</li>\s*(?=<li class="card">|</ol>)', html, re.S)


def hits(html: str) -> list[str]:
    """The markup of each passage of the results, in order."""
    return [h for card in cards(html) for h in
            re.findall(r'<li class="hit">(.*?)</li>\s*(?=<li class="hit">|</ul>)', card, re.S)]


def first_link(hit: str) -> str:
    return re.search(r'<a class="hit-link[^"]*" href="([^"]*)"', hit).group(1)


def region(html: str, element_id: str) -> str:
    """The opening tag and content of the element with this id (up to the
    next element of the same tag name closing; enough for our templates)."""
    m = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert m, f"no element with id {element_id}"
    return m.group(0)


def is_hidden(html: str, element_id: str) -> bool:
    tag = re.search(rf'<\w+[^>]*\bid="{element_id}"[^>]*>', html).group(0)
    return re.search(r"\shidden[\s>]", tag) is not None


@pytest.fixture
def engine(client):
    """The API's answers (its JSON), to compare the pages with."""
    class Api:
        @staticmethod
        def search(query, **params):
            return client.get("/api/search", query_string={"q": query, **params}).get_json()
    return Api()


def page_text(client, url: str, status: int = 200) -> str:
    with client.get(url) as response:  # closes a static file's handle
        assert response.status_code == status, url
        return response.get_data(as_text=True)


# --- home ------------------------------------------------------------------

def test_home_has_an_autofocused_labelled_search_box_and_example_queries(client, app):
    html = page_text(client, "/")
    form = re.search(r'<form[^>]*role="search"[^>]*>.*?</form>', html, re.S).group(0)
    assert 'action="/search"' in form and 'method="get"' in form
    assert re.search(r'<input type="search" id="q" name="q"[^>]*autofocus', form)
    assert '<label for="q">' in form
    # Derived from the knowledge base (tests/test_suggest.py has how).
    examples = re.search(r'<ul class="examples">(.*?)</ul>', html, re.S).group(1)
    assert examples.count('href="/search?q=') >= 3
    assert not is_hidden(html, "start")


def test_pages_have_landmarks_and_the_not_medical_advice_footer(client):
    for url in ("/", "/search?q=sciatica", "/articles", SEED_URL, "/no/such/page"):
        html = client.get(url).get_data(as_text=True)
        for landmark in ("<header", "<main", "<footer"):
            assert landmark in html, (url, landmark)
        assert "General information, not medical advice." in html
        assert 'name="viewport"' in html


# --- search results ----------------------------------------------------------

def test_sciatica_lists_fact_4_first_with_the_word_marked(client):
    html = page_text(client, "/search?q=sciatica")
    results = hits(html)
    assert results, "no results"
    first = results[0]
    assert first_link(first) == f"{SEED_URL}?q=sciatica#fact-4"
    assert re.search(r'href="[^"]*#fact-4">\s*<mark>Sciatica</mark>\s*</a>', first)
    snippet = re.search(r'<p class="hit-snippet">(.*?)</p>', first, re.S).group(1)
    assert "<mark>Sciatica</mark>" in snippet
    assert "Why Does My Leg Go Numb When I Lay Down?" in cards(html)[0]


def test_result_count_is_in_a_polite_live_region(client, engine):
    articles = {r["article"]["id"] for r in engine.search("leg", per_page=50)["results"]}
    summary = region(page_text(client, "/search?q=leg"), "summary")
    assert 'aria-live="polite"' in summary
    assert f"{len(articles)} topic{'s' if len(articles) != 1 else ''}" in summary
    assert len(cards(page_text(client, "/search?q=leg"))) == len(articles)


def test_results_are_an_ordered_list(client):
    html = page_text(client, "/search?q=nerve")
    assert re.search(r'<ol class="results" id="results"[^>]*>\s*<li class="card">', html)


def test_a_related_topic_links_to_its_article_or_is_a_plain_title(client):
    first = cards(page_text(client, "/search?q=sciatica"))[0]
    related = re.search(r'<p class="hit-related">(.*?)</p>', first, re.S).group(1)
    assert f'<a href="/articles/{TOE_ID}" tabindex="-1">Why Does My Big Toe Nail Hurt</a>' \
        in related
    # No article of that name, and a search for it would not find its words.
    assert "<span>How to Fix Knee Popping</span>" in related
    assert "/search?q=How" not in related


@pytest.mark.parametrize("page", ["abc", "0", "-3", "1e3", "99999999999999999999999", "²"])
def test_a_bad_page_number_falls_back_instead_of_failing(client, page):
    html = page_text(client, f"/search?q=leg&page={quote(page)}")
    assert hits(html)


def test_filters_offer_the_kinds_the_query_matches_without_a_count_of_another_unit(client):
    html = page_text(client, "/search?q=leg")
    filters = region(html, "filters")
    offered = re.findall(r'>(Facts|Questions)</a>', filters)
    assert set(offered) == {"Facts", "Questions"} and "filter-count" not in filters
    assert '<a href="/search?q=leg" aria-current="true">All</a>' in filters


def test_the_questions_filter_keeps_only_questions(client):
    html = page_text(client, "/search?q=leg&kind=question")
    assert hits(html) and all("#q-" in first_link(h) for h in hits(html))
    assert '<input type="hidden" name="kind" value="question">' in html
    assert re.search(r'aria-current="true">Questions', region(html, "filters"))


def test_an_unknown_kind_shows_all_passages(client):
    html = page_text(client, "/search?q=leg&kind=bogus")
    anchors = {first_link(h).rpartition("#")[2].split("-")[0] for h in hits(html)}
    assert {"fact", "q"} <= anchors
    assert 'name="kind"' not in html


def test_a_misspelt_query_shows_results_for_the_correction(client, engine):
    expected = engine.search("sciatca")
    assert expected["corrected"] and expected["correction_applied"]
    html = page_text(client, "/search?q=sciatca")
    corrected = expected["corrected"]
    assert re.search(rf'Showing results for\s+<a href="/search\?{re.escape(urlencode({"q": corrected}))}">'
                     rf'{re.escape(corrected)}</a>', region(html, "summary"))
    # The article page highlights what was searched: the correction.
    path, _, anchor = expected["results"][0]["url"].partition("#")
    assert f'href="{path}?{urlencode({"q": corrected})}#{anchor}"' in html


def test_a_partly_misspelt_query_asks_did_you_mean(client, engine):
    expected = engine.search("sciatca nerve")
    assert expected["corrected"] and not expected["correction_applied"]
    summary = region(page_text(client, "/search?q=sciatca+nerve"), "summary")
    assert "Did you mean" in summary
    corrected = expected["corrected"]
    assert f'<a href="/search?{urlencode({"q": corrected}, quote_via=quote)}">{corrected}</a>?' \
        in summary


@pytest.mark.parametrize("url", ["/search?q=sciatica", "/search?q=leg&kind=question&page=2",
                                 "/search?q=sciatca", "/search?q=zzqxv", "/search?q=toenail"])
def test_the_live_results_fragment_is_the_pages_results_area(client, url):
    page = page_text(client, url)
    fragment = page_text(client, url.replace("/search?", "/search/results?"))
    area = re.search(r'<section class="results-area" id="results-area"[^>]*>(.*?)</section>\s*'
                     r'<section class="start"', page, re.S).group(1)
    assert fragment.strip() == area.strip()
    assert "<html" not in fragment and hits(fragment) == hits(page)


def test_no_results_offers_searches_that_find_something_never_an_alphabetical_list(
        client, engine):
    html = page_text(client, "/search?q=zzqxv")
    assert hits(html) == []
    assert engine.search("zzqxv")["message"] in region(html, "summary")
    assert not is_hidden(html, "empty-help")
    help_section = region(html, "empty-help")
    offered = re.findall(r'<a href="(/search\?q=[^"]+)">', help_section)
    assert offered and 'href="/articles"' in help_section
    for url in offered:
        assert hits(page_text(client, url.replace("&amp;", "&"))), url


def test_a_query_of_words_too_common_to_search_says_so_and_offers_searches(client):
    html = page_text(client, "/search?q=have")
    summary = region(html, "summary")
    assert "leaves out words as common as “have”" in summary
    assert "None of these words are in the articles" not in summary
    assert re.search(r'<a href="/search\?q=[^"]+">', region(html, "empty-help"))


def test_an_empty_query_shows_the_examples(client):
    html = page_text(client, "/search?q=+")
    assert hits(html) == []
    assert not is_hidden(html, "start")
    assert is_hidden(html, "empty-help")


def test_results_from_a_credited_article_credit_it_below_the_results(client):
    html = page_text(client, "/search?q=toenail")
    assert any(f"/articles/{TOE_ID}" in first_link(h) for h in hits(html))
    assert MEDQUAD_CREDIT in region(html, "credits")
    seed_only = page_text(client, "/search?q=sciatica")
    assert MEDQUAD_CREDIT not in seed_only


def test_a_query_longer_than_the_limit_is_cut_not_refused(client):
    html = page_text(client, "/search?q=" + "sciatica+" * 2000)
    value = re.search(r'<input type="search" id="q" name="q" value="([^"]*)"', html).group(1)
    assert 0 < len(value) <= MAX_QUERY_CHARS
    assert hits(html)


@pytest.mark.parametrize("query", [
    "\x00", "sciatica\x00", "\x00" * 50, "x" * 100_000, '"unbalanced', "((((", "title:leg",
    "*", "?", "-", "--", "-sciatica", "\u202e\u200b", "%", "💥" * 400, " " * 5000,
])
def test_no_query_string_breaks_the_search_page(client, query):
    response = client.get("/search", query_string={"q": query, "page": "2", "kind": query})
    assert response.status_code == 200


def test_raw_bytes_in_the_query_string_do_not_break_pages(client):
    for url in ("/search?q=%ED%A0%80%FF%00", "/search?q=%", "/search?page=%FF&kind=%00",
                f"{SEED_URL}?q=%FF%00"):
        assert client.get(url).status_code == 200, url


# --- escaping ----------------------------------------------------------------

SCRIPT = '<script>alert("x")</script>'


@pytest.mark.parametrize("url", [
    "/search?q={}", "/search?q=sciatica+{}", "/search?q={}&page=abc&kind={}",
    f"{SEED_URL}?q={{}}", "/articles/{}", "/nowhere/{}",
])
def test_script_in_the_query_is_escaped_on_every_page(client, url):
    html = client.get(url.format(quote(SCRIPT), quote(SCRIPT))).get_data(as_text=True)
    assert "<script>alert" not in html
    assert '<script src="/static/search.js"' in html or "<script" not in html


def test_the_query_is_shown_escaped_in_the_search_box(client):
    html = page_text(client, "/search?q=" + quote(SCRIPT))
    assert f'value="{markupsafe.escape(SCRIPT)}"' in html


def test_no_inline_script_or_style_anywhere(client):
    for url in ("/", "/search?q=sciatica", "/search?q=zzqxv", "/articles", SEED_URL,
                f"/articles/{TOE_ID}", "/missing"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


# --- articles ----------------------------------------------------------------

def test_the_article_list_links_every_article(client):
    html = page_text(client, "/articles")
    assert f'href="{SEED_URL}"' in html
    assert f'href="/articles/{TOE_ID}"' in html


def test_the_article_page_has_an_anchor_per_passage(client, seed_article):
    html = page_text(client, SEED_URL)
    ids = re.findall(r'<section class="passage[^"]*" id="([^"]+)"', html)
    assert ids == [p.anchor for p in seed_article.passages()]
    assert "<h1>Why Does My Leg Go Numb When I Lay Down?</h1>" in html


def test_the_article_page_keeps_the_transition_text(client, seed_article):
    html = page_text(client, SEED_URL)
    transition = next(s for s in seed_article.sections if s.kind == "transition")
    assert escape(transition.text.splitlines()[0], quote=True) in html


def test_arriving_from_a_result_marks_the_query_words(client):
    html = page_text(client, f"{SEED_URL}?q=sciatica")
    fact4 = region(html, "fact-4")
    assert "<mark>Sciatica</mark>" in fact4
    assert fact4.count("<mark>") >= 2
    assert "<mark>" not in region(html, "fact-1")
    assert 'href="/search?q=sciatica"' in html  # back to the results


def test_the_article_page_without_a_query_marks_nothing(client):
    assert "<mark>" not in page_text(client, SEED_URL)


def test_the_target_passage_is_styled(client):
    css = page_text(client, "/static/style.css")
    assert re.search(r"\.passage:target\s*\{[^}]*background", css)


def test_the_article_page_links_related_topics_and_names_its_json(client):
    html = page_text(client, SEED_URL)
    related = re.search(r'<aside class="related".*?</aside>', html, re.S).group(0)
    assert f'<a href="/articles/{TOE_ID}">Why Does My Big Toe Nail Hurt</a>' in related
    assert "<li>How to Fix Knee Popping</li>" in related
    assert f'<link rel="alternate" type="application/json" href="/api/articles/{SEED_ID}">' \
        in html
    assert "as JSON" not in html


def test_a_medquad_article_shows_its_credit_and_where_to_read_a_missing_answer(client):
    html = page_text(client, f"/articles/{TOE_ID}")
    assert f"Source: {MEDQUAD_CREDIT}" in html
    assert 'href="https://medlineplus.gov/toenailinjuries.html"' in html
    q2 = region(html, "q-2")
    assert f'<a href="{READ_AT_URL}" rel="noopener">Read the answer at MedlinePlus' in q2


def test_a_non_web_link_in_an_article_is_not_made_a_link(make_app, tmp_path, toe_article,
                                                         web_index_dir):
    from support import write_web_kb

    sections = tuple(dataclasses.replace(s, url="javascript:alert(1)") if s.url else s
                     for s in toe_article.sections)
    source = dataclasses.replace(toe_article.source, url="javascript:alert(2)")
    write_web_kb(tmp_path, [dataclasses.replace(toe_article, sections=sections, source=source)])
    html = page_text(make_app(tmp_path, web_index_dir).test_client(), f"/articles/{TOE_ID}")
    assert 'href="javascript:' not in html
    assert "Read the answer at javascript:alert(1)." in html


@pytest.mark.parametrize("article_id", [
    "no-such-article", "Why-Upper-Case", "..", "..%2F..%2Fetc%2Fpasswd", "a_b", "synonyms",
    "%2Fetc%2Fpasswd", "-leading", "x" * 300,
])
def test_an_unknown_or_malformed_article_id_is_a_404_page(client, article_id):
    response = client.get(f"/articles/{article_id}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and 'role="search"' in html


def test_an_edited_article_shows_on_the_next_request(make_app, tmp_path, web_kb_dir,
                                                     web_index_dir, toe_article):
    from kb.store import write_article

    from index import sync_index

    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    shutil.copytree(web_kb_dir, kb_dir)
    client = make_app(kb_dir, index_dir).test_client()
    sync_index(kb_dir, index_dir, model=HASHED_MODEL)
    assert "Why Does My Big Toe Nail Hurt</h1>" in page_text(client, f"/articles/{TOE_ID}")
    write_article(dataclasses.replace(toe_article, title="Sore Big Toes"), kb_dir, force=True)
    assert "<h1>Sore Big Toes</h1>" in page_text(client, f"/articles/{TOE_ID}")
    # The list of articles is the index's: it follows the next `kb index`.
    assert ">Sore Big Toes</a>" not in page_text(client, "/articles")
    sync_index(kb_dir, index_dir, model=HASHED_MODEL)
    assert ">Sore Big Toes</a>" in page_text(client, "/articles")


def test_a_broken_article_file_is_skipped_and_logged(make_app, tmp_path, web_kb_dir,
                                                    web_index_dir, caplog):
    kb_dir = tmp_path / "kb"
    shutil.copytree(web_kb_dir, kb_dir)
    (kb_dir / "broken-article.yaml").write_text("id: broken-article\ntitle: [unclosed\n",
                                               encoding="utf-8")
    client = make_app(kb_dir, web_index_dir).test_client()
    with caplog.at_level(logging.WARNING, logger="webapp.articles"):
        listing = page_text(client, "/articles")
        assert f'href="{SEED_URL}"' in listing
        assert "broken-article" not in listing
        assert client.get("/articles/broken-article").status_code == 404
        assert page_text(client, SEED_URL)
    assert any("broken-article.yaml" in r.getMessage() for r in caplog.records)


# --- errors and headers ------------------------------------------------------

@pytest.fixture
def failing_app(make_app, web_kb_dir, web_index_dir):
    """The app with routes that fail as a bug would."""
    app = make_app(web_kb_dir, web_index_dir)

    def boom():
        raise RuntimeError("secret internals")
    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    return app


@pytest.mark.parametrize("method,url,status", [
    ("GET", "/", 200), ("GET", "/search?q=sciatica", 200), ("GET", "/articles", 200),
    ("GET", SEED_URL, 200), ("GET", "/static/style.css", 200), ("GET", "/static/search.js", 200),
    ("GET", "/static/missing.css", 404), ("GET", "/nowhere", 404),
    ("POST", "/search", 405), ("GET", "/api/search?q=leg", 200), ("GET", "/api/nowhere", 404),
    ("GET", "/api/search?page=abc", 400), ("POST", "/api/search", 405),
    ("GET", "/boom", 500), ("GET", "/api/boom", 500), ("HEAD", "/", 200),
])
def test_every_response_carries_the_security_headers(failing_app, method, url, status):
    with failing_app.test_client().open(url, method=method) as response:
        assert response.status_code == status
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, name


def test_a_server_error_page_shows_no_internals(failing_app):
    response = failing_app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in html and "Traceback" not in html
    assert "Something went wrong" in html


def test_a_missing_index_is_a_clear_503_page(make_app, web_kb_dir, tmp_path):
    response = make_app(web_kb_dir, tmp_path / "no-index").test_client().get("/search?q=leg")
    assert response.status_code == 503
    assert "search index is missing" in response.get_data(as_text=True)


def test_live_results_leave_out_a_half_typed_last_word_and_never_correct_it(client):
    whole = page_text(client, "/search/results?q=sciatica&partial=1")
    assert hits(whole) and "Did you mean" not in whole and "Showing results for" not in whole
    # "sciat" is no word of the articles: the live results are those of the
    # words before it, never a correction of it.
    half = page_text(client, "/search/results?q=leg+sciat&partial=1")
    assert half == page_text(client, "/search/results?q=leg")
    assert client.get("/search/results?q=sciat&partial=1").status_code == 204
    # Typed on with a space, or submitted, the word is searched as typed.
    assert "sciatica" in page_text(client, "/search/results?q=sciat+&partial=1").lower()
    assert "sciatica" in page_text(client, "/search?q=sciat").lower()
