"""Snippets and marked text: the spans index/ranking/highlight.py finds, as the
HTML webapp/present.py makes of them (matched words in <mark>, everything
else escaped)."""
from __future__ import annotations

import html
import re

import pytest

from index.understanding.analysis import terms
from index.ranking import highlight
from index.ranking.highlight import SNIPPET_CHARS
from webapp.present import marked_html

TAG = re.compile(r"<[^>]*>")
MARKED = re.compile(r"<mark>(.*?)</mark>")


def mark(text: str, terms) -> str:
    return str(marked_html(highlight.mark(text, terms)))


def snippet(text: str, terms, max_chars: int = SNIPPET_CHARS) -> str:
    return str(marked_html(highlight.snippet(text, terms, max_chars)))


def query_terms(query: str) -> set[str]:
    return set(terms(query))


def visible(html_text: str) -> str:
    """What a reader sees of a snippet, without its ellipses."""
    text = html.unescape(TAG.sub("", html_text))
    return text.removeprefix("… ").removesuffix(" …")


def test_every_matched_word_is_marked():
    text = "Numbness in the leg; the numb leg feels numb."
    out = mark(text, query_terms("numb leg"))
    assert MARKED.findall(out) == ["Numbness", "leg", "numb", "leg", "numb"]


def test_unmatched_words_are_not_marked():
    out = mark("Sciatica is a condition of the sciatic nerve.", query_terms("nerve"))
    assert MARKED.findall(out) == ["nerve"]


def test_mark_keeps_all_the_text():
    text = "When you lie down, your leg may go numb."
    assert html.unescape(TAG.sub("", mark(text, query_terms("leg")))) == text


def test_word_forms_are_marked():
    out = mark("Leg numbness while lying down or when you lie flat.", query_terms("laying"))
    assert MARKED.findall(out) == ["lying", "lie"]


def test_stop_words_in_the_query_are_never_marked():
    out = mark("The leg of the man", query_terms("the leg"))
    assert MARKED.findall(out) == ["leg"]


def test_curly_apostrophe_words_are_marked_whole():
    out = mark("You’re not alone.", query_terms("you're"))
    assert MARKED.findall(out) == ["You’re"]


HOSTILE = ('<script>alert("x")</script> numbness & tingling '
           '" onmouseover="alert(1)" <img src=x onerror=alert(2)> numb\'s')


@pytest.mark.parametrize("render", [mark, snippet])
def test_everything_but_the_marks_is_escaped(render):
    out = render(HOSTILE, query_terms("numbness alert"))
    assert {t for t in TAG.findall(out)} == {"<mark>", "</mark>"}
    assert "&lt;script&gt;" in out
    assert "&amp; tingling" in out
    assert "&quot; onmouseover=&quot;" in out
    assert '"' not in TAG.sub("", out)
    assert "'" not in TAG.sub("", out)
    assert visible(out) == HOSTILE


def test_marked_words_themselves_are_escaped():
    out = mark("a <b>numb</b> leg", query_terms("numb"))
    assert out == "a &lt;b&gt;<mark>numb</mark>&lt;/b&gt; leg"


def test_nothing_to_mark_gives_escaped_text():
    assert mark("a < b & c", set()) == "a &lt; b &amp; c"


def sentences(n: int, filler: str = "This sentence talks about something else entirely") -> list[str]:
    return [f"{filler} number {i}." for i in range(n)]


def test_a_short_text_is_the_whole_snippet_without_ellipses():
    text = "Sciatica can cause leg numbness."
    out = snippet(text, query_terms("sciatica"))
    assert visible(out) == text
    assert "…" not in out


def test_the_best_sentence_is_chosen():
    parts = sentences(8)
    parts[5] = "Sciatica can make the leg numb when lying down."
    out = snippet(" ".join(parts), query_terms("sciatica numb"))
    assert visible(out).startswith("Sciatica can make the leg")
    assert "number 0" not in out
    assert MARKED.findall(out) == ["Sciatica", "numb"]
    assert out.startswith("… ") and out.endswith(" …")


def test_a_sentence_with_more_distinct_words_beats_repetition():
    parts = sentences(6)
    parts[1] = "Numb, numb, numb and numb again."
    parts[4] = "A numb leg is common."
    out = snippet(" ".join(parts), query_terms("numb leg"))
    assert "A <mark>numb</mark> <mark>leg</mark> is common." in out


def test_without_a_match_the_snippet_is_the_opening():
    text = " ".join(sentences(10))
    out = snippet(text, query_terms("sciatica"))
    assert visible(out).startswith("This sentence talks about something else entirely number 0.")
    assert not out.startswith("…") and out.endswith(" …")


def test_a_snippet_is_at_most_about_the_limit_long():
    parts = sentences(40)
    parts[20] = "Here the numb leg is discussed."
    out = snippet(" ".join(parts), query_terms("numb"))
    assert len(visible(out)) <= SNIPPET_CHARS
    assert "<mark>numb</mark>" in out


def test_a_long_sentence_is_cut_around_its_match_at_word_boundaries():
    words = [f"word{i}" for i in range(200)]
    words[120] = "sciatica"
    text = " ".join(words) + "."
    out = snippet(text, query_terms("sciatica"))
    shown = visible(out)
    assert len(shown) <= SNIPPET_CHARS
    assert "<mark>sciatica</mark>" in out
    assert out.startswith("… ") and out.endswith(" …")
    # Cut between words, never inside one.
    assert set(shown.split()) <= set(words)


def test_snippet_marks_word_forms():
    out = snippet("Leg numbness is common while lying down.", query_terms("laying"))
    assert MARKED.findall(out) == ["lying"]


def test_snippet_of_empty_text_is_empty():
    assert snippet("", query_terms("leg")) == ""


def test_a_custom_limit_is_respected():
    out = snippet(" ".join(sentences(10)), set(), max_chars=80)
    assert len(visible(out)) <= 80


# Scraped answers keep their section headings inline: "… 4 weeks. Is
# Measles Catching? Measles spreads …".
SECTIONED = (
    "Measles is an illness caused by a virus. The rash starts on the face and spreads to the body "
    "within a few days, and most children with measles recover in two weeks. "
    "If you have already had measles you cannot catch it again, and the measles vaccine protects "
    "those who have not. (See the chapter on the vaccine for measles.) "
    "Is Measles Contagious? Measles passes easily from one person to another through coughs. "
    "A person can pass it on from four days before the rash appears. "
    "Measles is more contagious than most other illnesses of childhood, and measles spreads in "
    "schools. Caring For a Child With Measles When a child has measles, keep the child at home."
)


def test_a_snippet_starts_at_the_answer_under_the_heading_that_asks_the_query():
    out = snippet(SECTIONED, query_terms("is measles contagious"))
    assert visible(out).startswith("Measles passes easily from one person to another")
    assert "Is Measles Contagious?" not in visible(out)


def test_a_snippet_never_ends_at_a_heading():
    for query in ("measles vaccine", "measles contagious", "child measles home", "rash"):
        shown = visible(snippet(SECTIONED, query_terms(query)))
        assert not shown.endswith("?"), query
        assert "Caring For a Child" not in shown, query


def test_a_heading_run_into_its_first_sentence_is_left_out_of_the_snippet():
    out = snippet(SECTIONED, query_terms("child home"))
    assert visible(out) == "When a child has measles, keep the child at home."


def test_without_headings_the_snippet_is_chosen_as_before():
    parts = sentences(8)
    parts[3] = "Why this matters to a numb leg is told here."
    out = snippet(" ".join(parts), query_terms("numb leg"))
    assert "Why this matters to a <mark>numb</mark> <mark>leg</mark> is told here." in out


def test_a_definition_starts_past_the_heading_it_opens_with():
    marked = highlight.opening("Hearing Devices A hearing device is worn behind the ear. It makes "
                               "sounds louder.", query_terms("hearing device"))
    assert marked.text == "A hearing device is worn behind the ear. It makes sounds louder."
    assert not marked.cut_before and not marked.cut_after


def test_a_snippet_that_reaches_a_question_in_prose_runs_on_to_its_answer():
    parts = sentences(6)
    parts[2] = "Does a numb leg mean a pinched nerve?"
    parts[3] = "Often it does, and rest helps."
    out = visible(snippet(" ".join(parts), query_terms("numb leg nerve")))
    assert out == "Does a numb leg mean a pinched nerve? Often it does, and rest helps."
