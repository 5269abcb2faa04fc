"""Searching the passage index: ranked passages as frozen values (index/results.py)."""
from __future__ import annotations

import json
import re
import threading
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.searching import Searcher

from index.understanding.analysis import terms
from index.building.build import build_index
from index import EMPTY_QUERY, MAX_PAGE, MAX_PER_PAGE, SearchIndex, SearchResponse
from kb.article import PASSAGE_KINDS, RelatedTopic
from kb.errors import QueryError
from kb.synonyms import Synonyms

from support import HASHED_MODEL

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
TAG = re.compile(r"<[^>]*>")
MARKED = re.compile(r"<mark>(.*?)</mark>")


def ids(response):
    return [hit.id for hit in response.hits]


def marked_words(marked):
    """The words a Marked text marks."""
    return [marked.text[start:end] for start, end in marked.spans] if marked else []


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
    assert response.hits[0].id == f"{SEED_ID}#fact-4"
    assert response.hits[0].heading.text == "Sciatica"
    assert response.corrected == "sciatica"
    assert response.correction_applied is True


def test_neuropaty_finds_peripheral_neuropathy(seed_search):
    response = seed_search.search("neuropaty")
    assert response.hits[0].id == f"{SEED_ID}#fact-5"
    assert response.corrected == "neuropathy"
    assert "neuropathy" in marked_words(response.hits[0].snippet)


def test_a_correction_is_only_suggested_when_a_typed_word_is_known(seed_search):
    response = seed_search.search("leg sciatia")
    assert response.corrected == "leg sciatica"
    assert response.correction_applied is False
    assert response.hits[0].id == f"{SEED_ID}#fact-4"


def test_a_known_word_is_not_corrected(seed_search):
    response = seed_search.search("sciatica")
    assert response.corrected is None
    assert response.correction_applied is False


def test_only_the_first_few_unknown_words_of_a_query_are_corrected(seed_search):
    from index.understanding.query_plan import MAX_CORRECTED_WORDS

    typos = ["sciatia", "neuropaty", "tinglling", "circulatoin", "numbnes", "pressur"]
    assert len(typos) > MAX_CORRECTED_WORDS
    response = seed_search.search(" ".join(typos))
    assert response.corrected.split() == [
        "sciatica", "neuropathy", "tingling", "circulation", *typos[MAX_CORRECTED_WORDS:]]


def test_a_words_corrections_are_looked_up_once_per_generation(seed_index_dir, monkeypatch):
    from index.understanding import spelling

    looked_up = []
    real = spelling.corrections
    monkeypatch.setattr(spelling, "corrections",
                        lambda word, *args: looked_up.append(word) or real(word, *args))
    engine = SearchIndex(seed_index_dir)
    try:
        for query in ("sciatia", "sciatia leg", "leg sciatia pain"):
            assert engine.search(query).corrected
        assert looked_up == ["sciatia"]
    finally:
        engine.close()


def test_short_unknown_words_are_not_corrected(seed_search):
    response = seed_search.search("lgg")
    assert response.corrected is None
    assert response.hits == ()


# --- word forms, phrases, synonyms, exclusions, kinds ------------------------

def test_laying_down_in_quotes_finds_lying_down_and_lie_down_marked(seed_search, seed_article):
    response = seed_search.search('"laying down"', per_page=5)
    assert len(response.hits) == 5
    for hit in response.hits:
        text = passage_text(seed_article, hit.id).lower()
        assert "lying down" in text or "lie down" in text
        # A question's words may be in its heading rather than its answer.
        marked = [m.lower() for m in marked_words(hit.snippet) + marked_words(hit.heading)]
        assert ("lying" in marked or "lie" in marked) and "down" in marked
        assert "laying" not in marked


def test_a_trailing_question_mark_is_the_plain_word(seed_search):
    assert ids(seed_search.search("numb?", per_page=50)) == ids(seed_search.search("numb", per_page=50))
    assert seed_search.search("numb?").total > 0


def test_an_unknown_field_prefix_is_read_as_words(seed_search):
    assert ids(seed_search.search("nosuchfield:sciatica")) == ids(seed_search.search("nosuchfield sciatica"))
    assert seed_search.search("nosuchfield:sciatica").hits[0].id == f"{SEED_ID}#fact-4"


def test_a_multi_word_synonym_finds_and_marks_its_partner(seed_index_dir, seed_article):
    synonyms = Synonyms(groups=(("tingling", "pins and needles"),))
    engine = SearchIndex(seed_index_dir, synonyms=lambda: synonyms)
    try:
        response = engine.search("pins and needles", per_page=50)
    finally:
        engine.close()
    tingling = passages_with_terms(seed_article, "tingling")
    assert set(ids(response)) == tingling and tingling
    for hit in response.hits:
        assert "tingling" in marked_words(hit.snippet)


def test_without_the_synonym_pins_and_needles_does_not_find_tingling(seed_search, seed_article):
    tingling = passages_with_terms(seed_article, "tingling")
    assert not set(ids(seed_search.search('"pins and needles"', per_page=50))) & tingling


def test_a_quoted_phrase_is_required(seed_search, seed_article):
    response = seed_search.search('"restless leg" numbness', per_page=50)
    assert response.total > 0
    for hit in response.hits:
        assert "restless leg" in passage_text(seed_article, hit.id).lower()


def test_words_outside_a_phrase_only_rank(seed_search):
    with_word = seed_search.search('"restless leg" numbness', per_page=50)
    alone = seed_search.search('"restless leg"', per_page=50)
    assert set(ids(with_word)) == set(ids(alone))


def test_an_exclusion_masks_passages(seed_search, seed_article):
    excluded = passages_with_terms(seed_article, "sciatica")
    response = seed_search.search("numbness -sciatica", per_page=50)
    assert excluded and response.total > 0
    assert not set(ids(response)) & excluded
    assert set(ids(seed_search.search("numbness", per_page=50))) - set(ids(response)) == \
        excluded & set(ids(seed_search.search("numbness", per_page=50)))


def test_an_excluded_phrase_masks_only_passages_with_the_phrase(seed_search, seed_article):
    response = seed_search.search('numbness -"blood circulation"', per_page=50)
    assert response.total > 0
    for hit in response.hits:
        assert "blood circulation" not in passage_text(seed_article, hit.id).lower()
    assert any("blood" in passage_text(seed_article, h.id).lower()
               for h in response.hits)


def test_only_exclusions_is_an_empty_query(seed_search):
    response = seed_search.search("-sciatica")
    assert response.hits == () and response.empty_reason == EMPTY_QUERY


@pytest.mark.parametrize("kind", PASSAGE_KINDS)
def test_the_kind_filter_keeps_only_that_kind(seed_search, kind):
    response = seed_search.search("leg numbness lying down", kind=kind, per_page=50)
    assert response.total > 0
    assert {hit.kind for hit in response.hits} == {kind}


def test_the_kind_filter_counts_only_that_kind(seed_search, seed_article):
    everything = seed_search.search("leg", per_page=50)
    questions = seed_search.search("leg", kind="question", per_page=50)
    assert questions.total == sum(1 for h in everything.hits if h.kind == "question")


# --- paging and parameters ----------------------------------------------------

def test_page_two_continues_page_one(seed_search):
    all_ids = ids(seed_search.search("leg numbness", per_page=15))
    pages = [seed_search.search("leg numbness", page=n, per_page=5) for n in (1, 2, 3)]
    assert [i for p in pages for i in ids(p)] == all_ids
    assert len(set(all_ids)) == len(all_ids) == 15
    assert {p.total for p in pages} == {seed_search.search("leg numbness").total}
    assert [p.page for p in pages] == [1, 2, 3]


def test_a_page_past_the_end_is_empty_not_an_error(seed_search):
    response = seed_search.search("sciatica", page=50)
    assert response.hits == () and response.total > 0


def test_no_request_ranks_deeper_than_the_result_window(seed_search):
    assert seed_search.search("leg", page=20, per_page=50).hits == ()
    with pytest.raises(QueryError, match="at most 1000"):
        seed_search.search("leg", page=21, per_page=50)


def test_marks_are_spans_of_the_shown_text(seed_search, seed_article):
    response = seed_search.search("sciatica")
    fact = response.hits[0]
    assert marked_words(fact.heading) == ["Sciatica"]
    words = marked_words(fact.snippet)
    assert words and {w.lower() for w in words} == {"sciatica"}
    assert fact.snippet.text in passage_text(seed_article, fact.id)
    assert response.marked_terms == frozenset(terms("sciatica"))


@pytest.mark.parametrize("options", [
    {"page": 0}, {"page": -1}, {"page": MAX_PAGE + 1},
    {"per_page": 0}, {"per_page": MAX_PER_PAGE + 1},
    {"kind": "transition"}, {"kind": "video"}, {"kind": ""},
])
def test_parameters_out_of_range_are_query_errors(seed_search, options):
    with pytest.raises(QueryError):
        seed_search.search("leg", **options)


def test_the_largest_page_size_is_allowed(seed_search):
    assert len(seed_search.search("leg", per_page=MAX_PER_PAGE).hits) == 21


@pytest.mark.parametrize("raw", ["", "   ", "*", '"', "-", "()"])
def test_an_empty_query_gives_a_message_and_no_results(seed_search, raw):
    response = seed_search.search(raw)
    assert response.empty_reason == EMPTY_QUERY
    assert response.hits == () and response.total == 0
    assert response.corrected is None


def test_a_query_of_unknown_words_gives_a_message(seed_search):
    response = seed_search.search("qqqqqqqqqqqq")
    assert response.hits == () and response.empty_reason


# --- any string is a valid query ---------------------------------------------

NASTY = ['"leg numb', "(leg OR numb", "leg AND NOT", "+leg -", "~leg^2 *", "*",
         "numb?", "title:sciatica", "nosuch:field:value", "leg\x00numb",
         "\u202eleg\u200f numb", "leg 🦵 numb 🤕", "-\"\"", '""""', "\\", "leg\\",
         "a" * 500, "numb " * 20_000, "'", "’", "-\"pins and needles\" leg",
         "%00 %s {0} ${x}", "<script>alert(1)</script>", "\ud800" if False else "\uffff"]


@pytest.mark.parametrize("raw", NASTY)
def test_hostile_strings_are_valid_queries(seed_search, raw):
    response = seed_search.search(raw)
    assert isinstance(response, SearchResponse) and isinstance(response.hits, tuple)


def test_a_100_kb_query_still_answers(seed_search):
    response = seed_search.search("sciatica " * 12_000)
    assert response.hits[0].id == f"{SEED_ID}#fact-4"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_string_is_a_valid_query(seed_search, raw):
    response = seed_search.search(raw)
    for hit in response.hits:
        for start, end in hit.snippet.spans:
            assert 0 <= start < end <= len(hit.snippet.text)


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


@pytest.fixture
def runs(monkeypatch):
    """How many searches ran in the index (not answered from the cache)."""
    from index.ranking import pool as pool_module

    count = [0]
    real_plan = pool_module.plan

    def counting_plan(*args, **kwargs):
        count[0] += 1
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(pool_module, "plan", counting_plan)
    return count


@pytest.mark.parametrize("with_synonyms", [False, True])
def test_a_repeated_query_is_answered_from_the_cache(seed_index_dir, runs, with_synonyms):
    synonyms = Synonyms(groups=(("tingling", "pins and needles"),))
    engine = SearchIndex(seed_index_dir, synonyms=(lambda: synonyms) if with_synonyms else None)
    try:
        first = engine.search("sciatica")
        again = engine.search("sciatica")
        assert runs[0] == 1
        assert again.hits is first.hits and ids(again)[0].endswith("#fact-4")
        # Another page of the same pool is cut from the pool remembered.
        engine.search("sciatica", page=2, per_page=5)
        assert runs[0] == 1
        engine.search("sciatica", kind="fact")
        assert runs[0] == 2
    finally:
        engine.close()


def test_cached_responses_are_frozen(seed_search):
    import dataclasses

    response = seed_search.search("sciatica")
    with pytest.raises(dataclasses.FrozenInstanceError):
        response.total = -1
    with pytest.raises(dataclasses.FrozenInstanceError):
        response.hits[0].score = 0.0


def test_cached_answers_follow_a_new_generation(tmp_path, seed_article, make_article):
    from index.building.build import build_index
    from index.reading.search import SearchIndex

    build_index([seed_article], tmp_path, model=HASHED_MODEL)
    engine = SearchIndex(tmp_path)
    try:
        assert engine.search("hiccups").total == 0
        build_index([seed_article, make_article("hiccups", "Hiccups", intro="Hiccups happen.")],
                    tmp_path, model=HASHED_MODEL)
        assert ids(engine.search("hiccups")) == ["hiccups#intro"]
    finally:
        engine.close()


def test_cached_answers_follow_an_edited_synonyms_list(seed_index_dir):
    from index.reading.search import SearchIndex
    from kb.synonyms import Synonyms

    current = [Synonyms.empty()]
    engine = SearchIndex(seed_index_dir, synonyms=lambda: current[0])
    try:
        assert engine.search("paresthesiaz").total == 0
        current[0] = Synonyms(groups=(("paresthesiaz", "tingling"),))
        assert engine.search("paresthesiaz").total > 0
    finally:
        engine.close()


def test_per_article_caps_one_articles_passages_before_others(tmp_path, seed_article,
                                                              make_article):
    from index.building.build import build_index
    from index.reading.search import SearchIndex

    other = make_article("knee", "Knee pain", intro="Numbness in the leg and knee.")
    build_index([seed_article, other], tmp_path, model=HASHED_MODEL)
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
