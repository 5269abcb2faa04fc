"""An answer's text cut into sentences and headings (index/ranking/sentences.py):
the headings scraped answers keep inline, told from names and prose."""
from __future__ import annotations

import pytest

from index.ranking.sentences import segments


def cut(text: str) -> list[tuple[str, bool]]:
    return [(text[s.start:s.end], s.heading) for s in segments(text)]


def test_a_short_question_is_a_heading_and_the_sentence_after_it_prose():
    assert cut("It itches. Is It Catching? It passes by touch.") == [
        ("It itches.", False), ("Is It Catching?", True), ("It passes by touch.", False)]


def test_a_long_question_is_prose():
    question = "Why " + "would anyone " * 12 + "ask this?"
    assert cut(question) == [(question, False)]


def test_a_sentence_ends_after_a_closing_bracket():
    assert cut("(See the chapter on rashes.) It itches.") == [
        ("(See the chapter on rashes.)", False), ("It itches.", False)]


@pytest.mark.parametrize("text, heading, sentence", [
    ("Rashes Usually Do Not Return People who had one rarely get another.",
     "Rashes Usually Do Not Return", "People who had one rarely get another."),
    ("How Tumors Form The body is made of cells.", "How Tumors Form", "The body is made of cells."),
    ("If You Have a Rash If you have a rash, keep it covered.",
     "If You Have a Rash", "If you have a rash, keep it covered."),
    ("Stage I In stage I the tumor is small.", "Stage I", "In stage I the tumor is small."),
])
def test_a_heading_run_into_a_sentence_is_cut_from_it(text, heading, sentence):
    assert cut(text) == [(heading, True), (sentence, False)]


@pytest.mark.parametrize("text", [
    "The Human Phenotype Ontology provides the following list.",
    "In the United States, about one in five people get it.",
    "The National Institutes of Health funds this research.",
    "Children with AS want to know everything.",
    "Treatment of childhood rashes may include creams.",
    "Shingles is a painful rash.",
])
def test_names_and_plain_sentences_are_not_taken_for_headings(text):
    assert cut(text) == [(text, False)]


def test_empty_text_is_one_empty_segment():
    assert cut("") == [("", False)]


def test_a_question_in_prose_asks_and_is_no_heading():
    text = "Have you ever felt your leg go numb when you lie down? You are not alone."
    assert [(s.heading, s.asks) for s in segments(text)] == [(False, True), (False, False)]
