"""Searching the passage index: ranked passages as the JSON records of DESIGN."""
from __future__ import annotations

import json
import re
import threading
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.searching import Searcher

from index.analysis import terms
from index.build import build_index
from index.search import (EMPTY_QUERY_MESSAGE, MAX_PAGE, MAX_PER_PAGE,
                          SearchIndex)
from kb.article import PASSAGE_KINDS, RelatedTopic
from kb.errors import QueryError
from kb.synonyms import Synonyms

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
TAG = re.compile(r"<[^>]*>")
MARKED = re.compile(r"<mark>(.*?)</mark>")


def ids(response):
    return [r["id"] for r in response["results"]]


def passage_text(article, passage_id):
    passage = next(p for p in article.passages() if p.id == passage_id)
    return f"{passage.heading} {passage.body}"


def passages_with_terms(article, query):
    """The ids of the passages whose heading or body has every term of
    ``query`` (the article title aside)."""
    wanted = set(terms(query))
    return {p.id for p in article.passages() if wanted <= set(terms(f"{p.heading} {p.body}"))}


# --- typo tolerance -----------------------------------------------------------

def test_a_misspelt_word_finds_its_passage_first_with_the_correction(seed_search):
    response = seed_search.search("sciatia")
    assert response["results"][0]["id"] == f"{SEED_ID}#fact-4"
    assert response["results"][0]["heading"] == "Sciatica"
    assert response["corrected"] == "sciatica"
    assert response["correction_applied"] is True


def test_neuropaty_finds_peripheral_neuropathy(seed_search):
    response = seed_search.search("neuropaty")
    assert response["results"][0]["id"] == f"{SEED_ID}#fact-5"
    assert response["corrected"] == "neuropathy"
    assert "<mark>neuropathy</mark>" in response["results"][0]["snippet"]


def test_a_correction_is_only_suggested_when_a_typed_word_is_known(seed_search):
    response = seed_search.search("leg sciatia")
    assert response["corrected"] == "leg sciatica"
    assert response["correction_applied"] is False
    assert response["results"][0]["id"] == f"{SEED_ID}#fact-4"


def test_a_known_word_is_not_corrected(seed_search):
    response = seed_search.search("sciatica")
    assert response["corrected"] is None
    assert response["correction_applied"] is False


def test_short_unknown_words_are_not_corrected(seed_search):
    response = seed_search.search("lgg")
    assert response["corrected"] is None
    assert response["results"] == []


# --- word forms, phrases, synonyms, exclusions, kinds ------------------------

def test_laying_down_in_quotes_finds_lying_down_and_lie_down_marked(seed_search, seed_article):
    response = seed_search.search('"laying down"', per_page=5)
    assert len(response["results"]) == 5
    for hit in response["results"]:
        text = passage_text(seed_article, hit["id"]).lower()
        assert "lying down" in text or "lie down" in text
        # A question's words may be in its heading rather than its answer.
        shown = hit["snippet"] + (hit.get("heading_html") or "")
        marked = [m.lower() for m in MARKED.findall(shown)]
        assert ("lying" in marked or "lie" in marked) and "down" in marked
        assert "laying" not in marked


def test_a_trailing_question_mark_is_the_plain_word(seed_search):
    assert ids(seed_search.search("numb?", per_page=50)) == ids(seed_search.search("numb", per_page=50))
    assert seed_search.search("numb?")["total"] > 0


def test_an_unknown_field_prefix_is_read_as_words(seed_search):
    assert ids(seed_search.search("nosuchfield:sciatica")) == ids(seed_search.search("nosuchfield sciatica"))
    assert seed_search.search("nosuchfield:sciatica")["results"][0]["id"] == f"{SEED_ID}#fact-4"


def test_a_multi_word_synonym_finds_and_marks_its_partner(seed_index_dir, seed_article):
    synonyms = Synonyms(groups=(("tingling", "pins and needles"),))
    engine = SearchIndex(seed_index_dir, synonyms=lambda: synonyms)
    try:
        response = engine.search("pins and needles", per_page=50)
    finally:
        engine.close()
    tingling = passages_with_terms(seed_article, "tingling")
    assert set(ids(response)) == tingling and tingling
    for hit in response["results"]:
        assert "<mark>tingling</mark>" in hit["snippet"]


def test_without_the_synonym_pins_and_needles_does_not_find_tingling(seed_search, seed_article):
    tingling = passages_with_terms(seed_article, "tingling")
    assert not set(ids(seed_search.search('"pins and needles"', per_page=50))) & tingling


def test_a_quoted_phrase_is_required(seed_search, seed_article):
    response = seed_search.search('"restless leg" numbness', per_page=50)
    assert response["total"] > 0
    for hit in response["results"]:
        assert "restless leg" in passage_text(seed_article, hit["id"]).lower()


def test_words_outside_a_phrase_only_rank(seed_search):
    with_word = seed_search.search('"restless leg" numbness', per_page=50)
    alone = seed_search.search('"restless leg"', per_page=50)
    assert set(ids(with_word)) == set(ids(alone))


def test_an_exclusion_masks_passages(seed_search, seed_article):
    excluded = passages_with_terms(seed_article, "sciatica")
    response = seed_search.search("numbness -sciatica", per_page=50)
    assert excluded and response["total"] > 0
    assert not set(ids(response)) & excluded
    assert set(ids(seed_search.search("numbness", per_page=50))) - set(ids(response)) == \
        excluded & set(ids(seed_search.search("numbness", per_page=50)))


def test_an_excluded_phrase_masks_only_passages_with_the_phrase(seed_search, seed_article):
    response = seed_search.search('numbness -"blood circulation"', per_page=50)
    assert response["total"] > 0
    for hit in response["results"]:
        assert "blood circulation" not in passage_text(seed_article, hit["id"]).lower()
    assert any("blood" in passage_text(seed_article, h["id"]).lower()
               for h in response["results"])


def test_only_exclusions_is_an_empty_query(seed_search):
    response = seed_search.search("-sciatica")
    assert response["results"] == [] and response["message"] == EMPTY_QUERY_MESSAGE


@pytest.mark.parametrize("kind", PASSAGE_KINDS)
def test_the_kind_filter_keeps_only_that_kind(seed_search, kind):
    response = seed_search.search("leg numbness lying down", kind=kind, per_page=50)
    assert response["total"] > 0
    assert {hit["kind"] for hit in response["results"]} == {kind}


def test_the_kind_filter_counts_only_that_kind(seed_search, seed_article):
    everything = seed_search.search("leg", per_page=50)
    questions = seed_search.search("leg", kind="question", per_page=50)
    assert questions["total"] == sum(1 for h in everything["results"] if h["kind"] == "question")


# --- paging and parameters ----------------------------------------------------

def test_page_two_continues_page_one(seed_search):
    all_ids = ids(seed_search.search("leg numbness", per_page=15))
    pages = [seed_search.search("leg numbness", page=n, per_page=5) for n in (1, 2, 3)]
    assert [i for p in pages for i in ids(p)] == all_ids
    assert len(set(all_ids)) == len(all_ids) == 15
    assert {p["total"] for p in pages} == {seed_search.search("leg numbness")["total"]}
    assert [p["page"] for p in pages] == [1, 2, 3]


def test_a_page_past_the_end_is_empty_not_an_error(seed_search):
    response = seed_search.search("sciatica", page=50)
    assert response["results"] == [] and response["total"] > 0


@pytest.mark.parametrize("options", [
    {"page": 0}, {"page": -1}, {"page": MAX_PAGE + 1},
    {"per_page": 0}, {"per_page": MAX_PER_PAGE + 1},
    {"kind": "transition"}, {"kind": "video"}, {"kind": ""},
])
def test_parameters_out_of_range_are_query_errors(seed_search, options):
    with pytest.raises(QueryError):
        seed_search.search("leg", **options)


def test_the_largest_page_size_is_allowed(seed_search):
    assert len(seed_search.search("leg", per_page=MAX_PER_PAGE)["results"]) == 21


@pytest.mark.parametrize("raw", ["", "   ", "*", '"', "-", "()"])
def test_an_empty_query_gives_a_message_and_no_results(seed_search, raw):
    response = seed_search.search(raw)
    assert response["message"] == EMPTY_QUERY_MESSAGE
    assert response["results"] == [] and response["total"] == 0
    assert response["corrected"] is None


def test_a_query_of_unknown_words_gives_a_message(seed_search):
    response = seed_search.search("qqqqqqqqqqqq")
    assert response["results"] == [] and response["message"]


# --- any string is a valid query ---------------------------------------------

NASTY = ['"leg numb', "(leg OR numb", "leg AND NOT", "+leg -", "~leg^2 *", "*",
         "numb?", "title:sciatica", "nosuch:field:value", "leg\x00numb",
         "\u202eleg\u200f numb", "leg 🦵 numb 🤕", "-\"\"", '""""', "\\", "leg\\",
         "a" * 500, "numb " * 20_000, "'", "’", "-\"pins and needles\" leg",
         "%00 %s {0} ${x}", "<script>alert(1)</script>", "\ud800" if False else "\uffff"]


@pytest.mark.parametrize("raw", NASTY)
def test_hostile_strings_are_valid_queries(seed_search, raw):
    response = seed_search.search(raw)
    assert isinstance(response["results"], list)
    json.dumps(response)


def test_a_100_kb_query_still_answers(seed_search):
    response = seed_search.search("sciatica " * 12_000)
    assert response["results"][0]["id"] == f"{SEED_ID}#fact-4"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_string_is_a_valid_query(seed_search, raw):
    response = seed_search.search(raw)
    for hit in response["results"]:
        assert set(TAG.findall(hit["snippet"])) <= {"<mark>", "</mark>"}


# --- the response shape (DESIGN "Contracts") ---------------------------------

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


def test_the_response_has_the_design_shape(seed_search):
    response = seed_search.search("leg numbness lying down", per_page=50)
    assert {hit["kind"] for hit in response["results"]} == set(PASSAGE_KINDS)
    check_shape(response)


def test_fact_four_is_the_design_example(seed_search):
    hit = seed_search.search("sciatica")["results"][0]
    assert hit["id"] == f"{SEED_ID}#fact-4"
    assert hit["url"] == f"/articles/{SEED_ID}#fact-4"
    assert (hit["kind"], hit["number"], hit["heading"]) == ("fact", 4, "Sciatica")
    assert hit["article"]["title"] == "Why Does My Leg Go Numb When I Lay Down?"


def test_results_are_ranked_by_score(seed_search):
    scores = [hit["score"] for hit in seed_search.search("leg numbness", per_page=50)["results"]]
    assert scores == sorted(scores, reverse=True)


def test_snippets_and_headings_hold_no_tags_but_marks(seed_search):
    for query in ("leg numbness", "sciatia", '"laying down"', "blood circulation"):
        for hit in seed_search.search(query, per_page=50)["results"]:
            assert set(TAG.findall(hit["snippet"])) <= {"<mark>", "</mark>"}
            assert "<mark>" in hit["snippet"] or "<mark>" in hit.get("heading_html", "") \
                or query.startswith('"')


HOSTILE = '<script>alert("x")</script> numbness & <b>bold</b> " onmouseover="alert(1)'


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory, make_article):
    folder = tmp_path_factory.mktemp("hostile-index")
    article = make_article(
        "hostile", "Hostile <i>title</i>",
        facts=[('<img src=x onerror="alert(2)"> numbness', HOSTILE)],
        related=['Numbness <script>alert(3)</script>'])
    build_index([article], folder)
    return folder


def test_article_text_is_escaped_in_every_html_field(hostile_index):
    engine = SearchIndex(hostile_index)
    try:
        hit = engine.search("numbness")["results"][0]
    finally:
        engine.close()
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

def test_related_topics_not_in_the_index_link_to_a_search(seed_search, seed_article):
    hit = seed_search.search("sciatica")["results"][0]
    assert [r["title"] for r in hit["related"]] == [r.title for r in seed_article.related]
    for topic in hit["related"]:
        assert topic["url"].startswith("/search?q=")
        assert unquote(topic["url"].removeprefix("/search?q=")) == topic["title"]


@pytest.fixture(scope="module")
def linked_index(tmp_path_factory, seed_article, make_article):
    folder = tmp_path_factory.mktemp("linked-index")
    knee = make_article("knee-popping-fix", "How to Fix Knee Popping",
                        facts=[("Popping", "A popping knee is usually harmless.")],
                        related=[RelatedTopic("Leg numbness", id=seed_article.id),
                                 RelatedTopic("Missing topic", id="no-such-article")])
    build_index([seed_article, knee], folder)
    return folder


def test_a_related_topic_in_the_index_links_to_its_article(linked_index):
    engine = SearchIndex(linked_index)
    try:
        seed_hit = engine.search("sciatica")["results"][0]
        knee_hit = engine.search("popping")["results"][0]
    finally:
        engine.close()
    by_title = {r["title"]: r["url"] for r in seed_hit["related"]}
    # Found by title: the seed names the topic without an id.
    assert by_title["How to Fix Knee Popping"] == "/articles/knee-popping-fix"
    assert by_title["Why Does My Big Toe Nail Hurt"].startswith("/search?q=")
    knee_links = {r["title"]: r["url"] for r in knee_hit["related"]}
    # Found by id, whatever the title says.
    assert knee_links["Leg numbness"] == f"/articles/{SEED_ID}"
    assert knee_links["Missing topic"] == "/search?q=Missing%20topic"


# --- suggestions ------------------------------------------------------------------

def test_suggest_completes_the_last_word_from_the_index(seed_search):
    suggestions = seed_search.suggest("sci")
    assert "sciatica" in suggestions and "sciatic" in suggestions
    assert all(s.startswith("sci") for s in suggestions)


def test_suggest_keeps_the_words_before_the_last(seed_search):
    suggestions = seed_search.suggest("leg numb")
    assert suggestions and all(s.startswith("leg numb") for s in suggestions)
    assert "leg numbness" in suggestions


def test_suggest_offers_titles_that_start_with_the_prefix_first(seed_search):
    assert seed_search.suggest("why does my")[0] == "Why Does My Leg Go Numb When I Lay Down?"


def test_suggest_respects_the_limit(seed_search):
    assert len(seed_search.suggest("s", limit=3)) <= 3
    assert len(seed_search.suggest("co", limit=2)) == 2


@pytest.mark.parametrize("prefix", ["", "   ", "*", "\x00", "qqqqz"])
def test_suggest_without_candidates_is_empty(seed_search, prefix):
    assert seed_search.suggest(prefix) == []


# --- threads and resources ------------------------------------------------------------

THREAD_QUERIES = ["sciatia", "neuropaty", '"laying down"', "leg numbness", "blood circulation",
                  "pregnancy", "numbness -sciatica", "restless"]


def test_eight_threads_searching_at_once_get_correct_results(seed_index_dir):
    engine = SearchIndex(seed_index_dir)
    expected = {q: ids(engine.search(q, per_page=50)) for q in THREAD_QUERIES}
    start = threading.Barrier(8)
    failures, done = [], []

    def work(offset):
        try:
            start.wait()
            for n in range(20):
                query = THREAD_QUERIES[(offset + n) % len(THREAD_QUERIES)]
                got = ids(engine.search(query, per_page=50))
                if got != expected[query]:
                    failures.append((query, got))
            done.append(offset)
        except Exception as exc:  # reported below, not lost in the thread
            failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        engine.close()
    assert failures == []
    assert sorted(done) == list(range(8))


@pytest.fixture
def opened(monkeypatch):
    """Every Whoosh searcher opened while the test runs."""
    found = []
    real_init = Searcher.__init__

    def recording_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        found.append(self)

    monkeypatch.setattr(Searcher, "__init__", recording_init)
    return found


def test_close_closes_every_searcher_of_every_thread(seed_index_dir, opened):
    engine = SearchIndex(seed_index_dir)
    engine.search("leg")
    others = [threading.Thread(target=engine.search, args=("numbness",)) for _ in range(3)]
    for t in others:
        t.start()
    for t in others:
        t.join()
    top_level = [s for s in opened if s.parent is None]
    assert len(top_level) == 4
    assert not any(s.is_closed for s in top_level)
    engine.close()
    assert all(s.is_closed for s in top_level)


def test_a_thread_reuses_its_searcher(seed_index_dir, opened):
    engine = SearchIndex(seed_index_dir)
    try:
        for query in ("leg", "numbness", "sciatica"):
            engine.search(query)
        assert len([s for s in opened if s.parent is None]) == 1
    finally:
        engine.close()


def test_a_search_index_can_search_again_after_close(seed_index_dir):
    engine = SearchIndex(seed_index_dir)
    first = ids(engine.search("sciatica"))
    engine.close()
    try:
        assert ids(engine.search("sciatica")) == first
    finally:
        engine.close()


def test_a_repeated_query_is_answered_alike_and_callers_cannot_change_the_cache(seed_search):
    first = seed_search.search("sciatica")
    first["results"].clear()
    first["total"] = -1
    again = seed_search.search("sciatica")
    assert again["total"] > 0 and ids(again)[0].endswith("#fact-4")
    assert {k: v for k, v in again.items() if k != "took_ms"} == \
        {k: v for k, v in seed_search.search("sciatica").items() if k != "took_ms"}


def test_cached_answers_follow_a_new_generation(tmp_path, seed_article, make_article):
    from index.build import build_index
    from index.search import SearchIndex

    build_index([seed_article], tmp_path)
    engine = SearchIndex(tmp_path)
    try:
        assert engine.search("hiccups")["total"] == 0
        build_index([seed_article, make_article("hiccups", "Hiccups", intro="Hiccups happen.")],
                    tmp_path)
        assert ids(engine.search("hiccups")) == ["hiccups#intro"]
    finally:
        engine.close()


def test_cached_answers_follow_an_edited_synonyms_list(seed_index_dir):
    from index.search import SearchIndex
    from kb.synonyms import Synonyms

    current = [Synonyms.empty()]
    engine = SearchIndex(seed_index_dir, synonyms=lambda: current[0])
    try:
        assert engine.search("paresthesiaz")["total"] == 0
        current[0] = Synonyms(groups=(("paresthesiaz", "tingling"),))
        assert engine.search("paresthesiaz")["total"] > 0
    finally:
        engine.close()


def test_per_article_caps_one_articles_passages_before_others(tmp_path, seed_article,
                                                              make_article):
    from index.build import build_index
    from index.search import SearchIndex

    other = make_article("knee", "Knee pain", intro="Numbness in the leg and knee.")
    build_index([seed_article, other], tmp_path)
    engine = SearchIndex(tmp_path)
    try:
        flat = ids(engine.search("leg numbness", per_page=50))
        capped = ids(engine.search("leg numbness", per_page=50, per_article=2))
        assert sorted(flat) == sorted(capped)
        seed_first = [i for i in capped[:3] if i.startswith(seed_article.id)]
        assert len(seed_first) == 2 and "knee#intro" in capped[:3]
        assert [i for i in capped[3:] if i.startswith(seed_article.id)] == \
            [i for i in flat if i.startswith(seed_article.id)][2:]
        with pytest.raises(QueryError):
            engine.search("leg", per_article=0)
    finally:
        engine.close()
