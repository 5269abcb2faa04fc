"""Properties of the web surface for any input (hypothesis): no query string
and no paging parameter makes the site fail, the API always answers JSON,
and engine HTML carries no markup but <mark>."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# The app fixture is read-only, so one app serves every example.
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

WHOOSH_SYNTAX = ["AND", "OR", "NOT", "(", ")", '"', "*", "?", "~", "^", ":", "[", "]",
                 "{", "}", "title:x", "body:", "-", "--", "\\", "TO", "*:*", "~2", "^3",
                 "sciatica", "leg", "numb", "<mark>", "</mark>", "<script>", "&amp;"]
ODD_CHARACTERS = ["\x00", "\x1b", "\x7f", "\u0085", "\u200b", "\u200e", "\u200f", "\u202e",
                  "\u2028", "\ufeff", "\ufffd", "🦶", "👩‍⚕️", "\U0010ffff", "é", "ﬁ", "İ"]

# Any text without surrogates (hypothesis never draws them: a query string
# cannot carry one), control characters and NUL included.
any_text = st.text(max_size=200)
syntax_soup = st.lists(st.sampled_from(WHOOSH_SYNTAX) | st.text(max_size=4),
                       max_size=40).map(" ".join)
odd_text = st.lists(st.sampled_from(ODD_CHARACTERS) | st.sampled_from(WHOOSH_SYNTAX),
                    max_size=60).map("".join)
# About 100 KB: ASCII filler with any text at the end. (Non-ASCII filler
# is as valid but costs the test client seconds to percent-encode; one
# such query is in HUGE_QUERIES.)
huge_text = st.builds(lambda filler, tail: (filler * 100_000)[:100_000] + tail,
                      st.sampled_from(["x", "leg ", "sciatica ", "( ", '"', "-", "a\tb "]),
                      st.text(max_size=20))
HUGE_QUERIES = ["é" * 50_000, "🦶" * 25_000, "\x00" * 100_000]
queries = st.one_of(any_text, syntax_soup, odd_text, huge_text)

numbers = st.one_of(st.integers(-5, 60).map(str), st.integers(0, 10**25).map(str),
                    st.sampled_from(["", " 1", "1.0", "1e3", "0x10", "²", "١", "+2", "-0",
                                     "NaN", "\x00", "99999999999999999999"]),
                    st.text(max_size=6))
kinds = st.one_of(st.sampled_from(["", "intro", "fact", "question", "conclusion",
                                   "FACT", "facts", " fact", "transition"]),
                  st.text(max_size=6))
paging = st.fixed_dictionaries({}, optional={"page": numbers, "per_page": numbers,
                                              "kind": kinds})


def only_marks(html: str | None) -> bool:
    """True when ``html`` has no markup except <mark> and </mark>."""
    return "<" not in re.sub(r"</?mark>", "", html or "")


def get(client, url: str, args: dict):
    response = client.get(url, query_string=args)
    assert response.status_code in (200, 400), (url, args, response.status_code)
    return response


def check_api_search(client, args: dict) -> None:
    response = get(client, "/api/search", args)
    body = json.loads(response.get_data(as_text=True))
    if response.status_code == 400:
        assert set(body) == {"error"} and body["error"]["status"] == 400
        return
    assert body["total"] >= len(body["results"])
    for hit in body["results"]:
        assert only_marks(hit["snippet"]), hit["snippet"]
        assert only_marks(hit["heading_html"]), hit["heading_html"]


@SETTINGS
@given(q=queries, extra=paging)
def test_any_query_and_paging_gets_json_from_the_search_api(client, q, extra):
    check_api_search(client, {"q": q, **extra})


@SETTINGS
@given(q=queries)
def test_any_query_gets_json_suggestions(client, q):
    response = get(client, "/api/suggest", {"q": q})
    assert response.status_code == 200
    body = json.loads(response.get_data(as_text=True))
    assert all(isinstance(s, str) for s in body["suggestions"])


@SETTINGS
@given(q=queries, extra=paging)
def test_any_query_and_paging_gets_a_search_page_with_inert_snippets(client, q, extra):
    response = get(client, "/search", {"q": q, **extra})
    assert response.status_code == 200  # the page is lenient: never a 400
    html = response.get_data(as_text=True)
    for fragment in re.findall(r'<p class="hit-snippet">(.*?)</p>', html, re.S):
        assert only_marks(fragment), fragment
    for fragment in re.findall(r"</span> · (.*?)\s*</a>", html, re.S):
        assert only_marks(fragment), fragment
    # Nothing typed becomes a tag or an event handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


@pytest.mark.parametrize("q", HUGE_QUERIES, ids=["accents", "emoji", "nul"])
def test_a_100_kb_query_of_any_characters_is_answered(client, q):
    check_api_search(client, {"q": q})
    assert get(client, "/api/suggest", {"q": q}).status_code == 200
    assert get(client, "/search", {"q": q}).status_code == 200


@pytest.mark.parametrize("q", ["sciatica", "leg numb pins", "toe nail", "sciatca"])
def test_the_marked_html_property_holds_for_queries_that_find_passages(client, q):
    # The properties above hold trivially when nothing is found; these
    # queries do find passages, so the check of their HTML is real.
    body = client.get("/api/search", query_string={"q": q}).get_json()
    assert body["results"]
    assert any("<mark>" in hit["snippet"] for hit in body["results"])
    check_api_search(client, {"q": q})
