"""Text analysis: the terms indexing, querying and highlighting share."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.understanding.analysis import STOP_WORDS, term_spans, terms, term_of, text_analyzer


def test_every_form_of_lay_and_lie_is_one_term():
    forms = ["lay", "lays", "laying", "laid", "lying", "lie", "lies", "lain"]
    assert len({term_of(form) for form in forms}) == 1
    assert term_of("lay") is not None


def test_lay_down_and_lying_down_have_the_same_terms():
    assert terms("lay down") == terms("lying down") == terms("Lie down")


@pytest.mark.parametrize("word", ["when", "not", "no", "after", "before", "can"])
def test_words_a_health_question_depends_on_are_kept(word):
    assert word not in STOP_WORDS
    assert term_of(word) is not None


@pytest.mark.parametrize("word", ["the", "a", "of", "is", "my"])
def test_stop_words_are_dropped(word):
    assert term_of(word) is None


def test_stop_words_leave_the_other_words_in_order():
    assert terms("The numbness of a leg") == terms("numbness leg")
    assert len(terms("numbness leg")) == 2


def test_stopped_words_leave_no_gap_in_positions():
    # A quoted phrase with a stop word in it must still match the text.
    positions = [t.pos for t in text_analyzer()("numbness of the leg", positions=True)]
    assert positions == [0, 1]


def test_curly_apostrophe_reads_as_a_straight_one():
    assert terms("you’re") == terms("you're")
    assert len(terms("you’re")) == 1
    assert terms("let’s go") == terms("let's go")


def test_stemming_joins_numbness_and_numb():
    assert term_of("numbness") == term_of("numb") == term_of("Numb")


def test_stemming_joins_plurals():
    assert term_of("nerves") == term_of("nerve")
    assert term_of("legs") == term_of("leg")


def test_case_does_not_matter():
    assert terms("SCIATICA Sciatica") == [term_of("sciatica")] * 2


def test_different_words_stay_different():
    assert term_of("leg") != term_of("lie")
    assert term_of("numb") != term_of("nerve")


@given(st.text(alphabet=st.sampled_from("abc’' .-\nÉé1"), max_size=60)
       | st.sampled_from(["Lying down, the legs felt numb.", "You’re laying it on the bed"]))
def test_term_spans_are_the_analysers_tokens_with_their_offsets(text):
    expected = [(t.startchar, t.endchar, t.text)
                for t in text_analyzer()(text, chars=True, positions=False)]
    assert term_spans(text) == expected
