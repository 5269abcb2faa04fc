"""Reading a reader's query string: any string is a valid query."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.understanding.query import MAX_QUERY_CHARS, MAX_QUERY_WORDS, parse_query


def test_plain_words_are_lower_case_words_in_order():
    parsed = parse_query("Leg Numbness Sciatica")
    assert parsed.words == ["leg", "numbness", "sciatica"]
    assert parsed.phrases == [] and parsed.excluded == []


def test_a_quoted_phrase_is_a_phrase():
    parsed = parse_query('"lying down" leg')
    assert parsed.phrases == [["lying", "down"]]
    assert parsed.words == ["leg"]


def test_a_quoted_single_word_is_a_plain_word():
    assert parse_query('"sciatica"').words == ["sciatica"]
    assert parse_query('"sciatica"').phrases == []


def test_minus_word_is_an_exclusion():
    parsed = parse_query("numbness -sciatica")
    assert parsed.words == ["numbness"]
    assert parsed.excluded == [["sciatica"]]


def test_minus_quoted_phrase_is_an_excluded_phrase():
    parsed = parse_query('leg -"pins and needles"')
    assert parsed.words == ["leg"]
    assert parsed.excluded == [["pins", "and", "needles"]]
    assert parsed.phrases == []


def test_a_hyphen_inside_a_word_is_no_exclusion():
    parsed = parse_query("x-ray")
    assert parsed.excluded == []
    assert parsed.words == ["x", "ray"]


def test_only_exclusions_is_an_empty_query():
    assert parse_query("-leg -numb").empty


@pytest.mark.parametrize("raw", ["", "   ", "\t\n", "*", "-", '"', '""', "?", "()", "+-~^"])
def test_a_query_without_words_is_empty(raw):
    assert parse_query(raw).empty


def test_trailing_question_mark_means_the_word_not_a_wildcard():
    assert parse_query("numb?").words == ["numb"]
    assert parse_query("why does my leg go numb?").words[-1] == "numb"


def test_a_lone_star_is_no_wildcard():
    assert parse_query("numb*").words == ["numb"]
    assert parse_query("leg *").words == ["leg"]


@pytest.mark.parametrize("raw", ['"lying down', 'lying down"', '"lying" "down'])
def test_an_unbalanced_quote_quotes_nothing_unbalanced(raw):
    parsed = parse_query(raw)
    assert parsed.phrases == []
    assert parsed.words == ["lying", "down"]


def test_a_balanced_phrase_survives_a_later_unbalanced_quote():
    parsed = parse_query('"lying down" "leg')
    assert parsed.phrases == [["lying", "down"]]
    assert parsed.words == ["leg"]


@pytest.mark.parametrize("raw", ["(leg numb", "leg) numb)", "((leg)) (numb"])
def test_parentheses_are_ignored(raw):
    parsed = parse_query(raw)
    assert parsed.words == ["leg", "numb"]
    assert parsed.phrases == [] and parsed.excluded == []


@pytest.mark.parametrize("raw, words", [
    ("leg AND numb", ["leg", "and", "numb"]),
    ("leg OR numb", ["leg", "or", "numb"]),
    ("NOT leg", ["not", "leg"]),
    ("+leg +numb", ["leg", "numb"]),
    ("leg~ numb~2", ["leg", "numb", "2"]),
    ("leg^3", ["leg", "3"]),
    ("leg - numb", ["leg", "numb"]),
])
def test_operators_are_read_as_plain_words(raw, words):
    parsed = parse_query(raw)
    assert parsed.words == words
    assert parsed.excluded == [] and parsed.phrases == []


@pytest.mark.parametrize("raw, words", [
    ("title:sciatica", ["title", "sciatica"]),
    ("nosuchfield:sciatica", ["nosuchfield", "sciatica"]),
    ("kind:fact sciatica", ["kind", "fact", "sciatica"]),
])
def test_field_prefixes_are_plain_words(raw, words):
    assert parse_query(raw).words == words


@pytest.mark.parametrize("raw", [
    "leg\x00numb", "leg\x07numb", "leg\u200fnumb\u200e", "\u202eleg numb",
    "leg\u2028numb", "leg 🦵 numb", "leg\u200dnumb", "\ufeffleg numb",
])
def test_control_format_and_symbol_characters_do_not_make_words(raw):
    parsed = parse_query(raw)
    assert parsed.words in (["leg", "numb"], ["legnumb"])
    for ch in "\x00\x07\u200f\u200e\u202e\u2028\u200d\ufeff":
        assert ch not in parsed.text


def test_nul_and_controls_separate_words():
    assert parse_query("leg\x00numb").words == ["leg", "numb"]
    assert parse_query("leg\u2028numb").words == ["leg", "numb"]


def test_curly_apostrophes_join_a_word():
    assert parse_query("you’re numb").words == ["you're", "numb"]


def test_a_100_kb_query_is_cut_to_the_documented_limits():
    parsed = parse_query("numbness " * 12_000)
    assert len(parsed.text) <= MAX_QUERY_CHARS
    assert len(parsed.words) <= MAX_QUERY_WORDS
    assert parsed.words and set(parsed.words) == {"numbness"}


def test_many_short_words_are_cut_at_the_word_limit():
    parsed = parse_query("a b c d e f g h i j k l m n o p q r s t u v w x y z " * 3)
    assert len(parsed.words) == MAX_QUERY_WORDS


def test_phrase_words_count_towards_the_word_limit():
    parsed = parse_query('"lying down with a numb leg" ' * 20)
    assert sum(map(len, parsed.phrases)) + len(parsed.words) <= MAX_QUERY_WORDS
    assert parsed.phrases[0] == ["lying", "down", "with", "a", "numb", "leg"]


def test_text_is_the_cleaned_query():
    assert parse_query("  leg \n\t numb  ").text == "leg numb"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_string_parses_within_limits(raw):
    parsed = parse_query(raw)
    assert len(parsed.text) <= MAX_QUERY_CHARS
    assert len(parsed.words) + sum(map(len, parsed.phrases)) <= MAX_QUERY_WORDS
    for word in parsed.words + [w for group in parsed.phrases + parsed.excluded for w in group]:
        assert word and word == word.lower()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(['"', "-", "(", ")", "*", "?", ":", "~", "^", "+",
                                 "AND", "OR", "NOT", "leg", "numb", " ", "\x00", "\u200f"]),
                max_size=30))
def test_any_mix_of_operators_parses(pieces):
    parsed = parse_query("".join(pieces))
    # Words are only ever made of the words typed, never of operators.
    assert set("".join(parsed.words)) <= set("legnumbandornot")


def test_a_common_word_of_the_topic_is_marked_though_left_out_of_the_search(
        medquad_like_index_dir, monkeypatch):
    from medquad_like import topic_names

    from index.generations import current_generation, open_generation
    from index.understanding import query_plan
    from index.understanding.query import parse_query
    from index.understanding.query_plan import NO_SYNONYMS, plan

    # "syndrome" is in every title here: as common as "blood" in MedQuAD.
    monkeypatch.setattr(query_plan, "COMMON_DOCS", 10)
    ix = open_generation(current_generation(medquad_like_index_dir))
    with ix.searcher() as searcher:
        work = plan(parse_query(f"what is {topic_names()[0].lower()}"), searcher.reader(),
                    NO_SYNONYMS)
    from index.understanding.analysis import terms

    searched = {term.text for term in work.query.leaves()} if work.query else set()
    common, = terms("syndrome")
    assert common not in searched and common in work.marked
    assert not set(terms("what")) & work.marked  # a template word stays unmarked
    ix.close()
