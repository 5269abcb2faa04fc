import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from kb.article import ParseResult
from kb.errors import ParseError
from kb.parse import parse_article

SEED = (Path(__file__).parent / "fixtures" / "seed"
        / "why-does-my-leg-go-numb-when-i-lay-down.txt").read_text(encoding="utf-8")

SEED_HEADINGS = ["Pinched Nerves", "Poor Blood Circulation", "Restless Leg Syndrome",
                 "Sciatica", "Peripheral Neuropathy"]
SEED_QUESTIONS = [
    "Is leg numbness while lying down a cause for concern?",
    "How can I relieve leg numbness when lying down?",
    "Can anxiety cause leg numbness while lying down?",
    "Can dehydration cause leg numbness?",
    "Can certain medications cause leg numbness when lying down?",
    "Is leg numbness while lying down more common in older adults?",
    "Can pregnancy cause leg numbness while lying down?",
    "Can obesity contribute to leg numbness when lying down?",
    "Are there any exercises that can help alleviate leg numbness when lying down?",
    "Can smoking contribute to leg numbness?",
    "Can a sedentary lifestyle cause leg numbness when lying down?",
    "Can a lack of vitamins or minerals cause leg numbness?",
    "Can diabetes cause leg numbness while lying down?",
    "When should I seek medical attention for leg numbness when lying down?",
]
SEED_RELATED = ["Why Does My Big Toe Nail Hurt", "How Much Do Finger Monkeys Cost",
                "How to Fix Knee Popping"]

# What the parser may take off the front of a line without losing a word:
# fact, question and answer markers and the "See also" label, each a whole
# word ("A0A" is a word of text, not answer 0 followed by "A").
_MARKER = re.compile(r"^\s*(?:(?:interesting\s+)?fact\s*#?\s*\d+|q(?:uestion)?\s*\d+"
                     r"|a(?:nswer)?\s*\d+|see\s+also)(?!\w)", re.I)


def unaccounted_words(text: str, result: ParseResult) -> list[str]:
    """Words of the input found nowhere in the article or the dropped lines."""
    article = result.article
    kept = [article.title]
    kept += [part for s in article.sections
             for part in (s.text, s.heading, s.question, s.answer) if part]
    kept += [topic.title for topic in article.related]
    kept += [d.text for d in result.dropped]
    kept_words = set(re.findall(r"\w+", " ".join(kept).casefold()))
    return [word for line in re.split(r"\r\n|\r|\n", text)
            for word in re.findall(r"\w+", _MARKER.sub("", line).casefold())
            if word not in kept_words]


def kinds(result: ParseResult) -> list[str]:
    return [s.kind for s in result.article.sections]


def of_kind(result: ParseResult, kind: str) -> list:
    return [s for s in result.article.sections if s.kind == kind]


def article_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


# --- the seed -------------------------------------------------------------

@pytest.fixture(scope="module")
def seed() -> ParseResult:
    return parse_article(SEED)


def test_seed_title_repeat_heading_becomes_the_fuller_title(seed):
    assert seed.article.title == "Why Does My Leg Go Numb When I Lay Down?"
    assert seed.article.id == "why-does-my-leg-go-numb-when-i-lay-down"
    assert seed.article.source is None


def test_seed_sections_in_reading_order(seed):
    assert kinds(seed) == (["intro"] + ["fact"] * 5 + ["transition"]
                           + ["question"] * 14 + ["conclusion"])


def test_seed_facts_have_numbers_and_headings(seed):
    facts = of_kind(seed, "fact")
    assert [f.number for f in facts] == [1, 2, 3, 4, 5]
    assert [f.heading for f in facts] == SEED_HEADINGS


def test_seed_questions_without_markers(seed):
    questions = of_kind(seed, "question")
    assert [q.number for q in questions] == list(range(1, 15))
    assert [q.question for q in questions] == SEED_QUESTIONS
    assert all(not re.match(r"[QA]\d", q.question + q.answer) for q in questions)


def test_seed_full_texts(seed):
    sections = seed.article.sections
    assert sections[0].text.startswith("Have you ever experienced that tingling")
    assert sections[0].text.endswith("provide you with some interesting facts about it.")
    assert "You\u2019re not alone." in sections[0].text
    assert sections[4].text == (
        "Sciatica is a condition that occurs when the sciatic nerve, which runs from "
        "the lower back down to the legs, becomes compressed or irritated. This "
        "compression can lead to numbness, tingling, or shooting pains in the leg, "
        "particularly when lying down. If you suspect sciatica as the cause of your "
        "leg numbness, it is advisable to seek medical attention.")
    assert sections[6].text == (
        "Now that we have explored some interesting facts about why your leg may go "
        "numb when lying down, let\u2019s address some common questions related to "
        "this topic:")
    assert of_kind(seed, "question")[4].answer == (
        "Yes, some medications, such as cholesterol-lowering drugs and certain "
        "antidepressants, can cause leg numbness as a side effect. If you suspect "
        "your medication is causing this symptom, consult your healthcare provider.")
    assert sections[-1].text.startswith("In conclusion, leg numbness when lying down")
    assert sections[-1].text.endswith("appropriate treatment.")


def test_seed_see_also_lines_become_related_topics(seed):
    assert [t.title for t in seed.article.related] == SEED_RELATED
    assert all(t.id is None for t in seed.article.related)
    assert all("See also" not in (s.text or s.answer or "") for s in seed.article.sections)


def test_seed_drops_only_scroll_to_top(seed):
    assert [(d.line, d.text) for d in seed.dropped] == [(75, "Scroll to Top")]
    assert "furniture" in seed.dropped[0].reason
    assert seed.warnings == []


def test_seed_loses_no_word(seed):
    assert unaccounted_words(SEED, seed) == []


# --- what editors feed it -----------------------------------------------

def blank_lines_removed(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if line.strip())


@pytest.mark.parametrize("variant", [
    pytest.param(SEED.replace("\n", "\r\n"), id="crlf"),
    pytest.param("\ufeff" + SEED, id="bom"),
    pytest.param("\ufeff" + SEED.replace("\n", "\r\n"), id="bom-crlf"),
    pytest.param(blank_lines_removed(SEED), id="no-blank-lines"),
    pytest.param(SEED.replace("\n\n", "\n\n\n \n\t\n"), id="extra-blank-lines"),
    pytest.param(re.sub(r"(?m)^(Interesting Fact #\d+):", r"\1", SEED), id="fact-no-colon"),
    pytest.param(re.sub(r"(?m)^Interesting Fact #(\d+)", r"Fact \1", SEED), id="fact-n-colon"),
    pytest.param(re.sub(r"(?m)^Interesting Fact #", "Fact #", SEED), id="fact-hash"),
    pytest.param(re.sub(r"(?m)^([QA]\d+):", r"\1.", SEED), id="q-dot"),
    pytest.param(re.sub(r"(?m)^([QA]\d+):", r"\1)", SEED), id="q-paren"),
    pytest.param(re.sub(r"(?m)^Q(\d+):", r"Question \1:",
                        re.sub(r"(?m)^A(\d+):", r"Answer \1:", SEED)), id="question-word"),
])
def test_variants_of_the_seed_parse_to_the_same_article(seed, variant):
    result = parse_article(variant)
    assert result.article == seed.article
    assert [d.text for d in result.dropped] == ["Scroll to Top"]
    assert result.warnings == []
    assert unaccounted_words(variant, result) == []


def test_crlf_keeps_line_numbers_of_dropped_lines():
    result = parse_article(SEED.replace("\n", "\r\n"))
    assert [d.line for d in result.dropped] == [75]


def test_fact_heading_directly_followed_by_text_and_question_by_answer():
    result = parse_article(article_text(
        "Cramps", "Cramps happen.", "Interesting Fact #1: Muscles",
        "Muscles tire.", "Q1: Why?", "A1: Because.", "Q2) How?", "", "", "A2) Slowly."))
    assert kinds(result) == ["intro", "fact", "question", "question"]
    fact, q1, q2 = result.article.sections[1:]
    assert (fact.number, fact.heading, fact.text) == (1, "Muscles", "Muscles tire.")
    assert (q1.question, q1.answer) == ("Why?", "Because.")
    assert (q2.number, q2.question, q2.answer) == (2, "How?", "Slowly.")


def test_marker_alone_on_its_line_takes_the_next_line():
    result = parse_article(article_text("Cramps", "Intro.", "Q1:", "Why?", "A1:", "Because."))
    question = of_kind(result, "question")[0]
    assert (question.question, question.answer) == ("Why?", "Because.")


def test_article_without_facts():
    result = parse_article(article_text(
        "Cramps", "Cramps happen at night.", "Some questions people ask:",
        "Q1: Why?", "A1: Tired muscles.", "Q2: When?", "A2: At night.", "So stretch."))
    assert kinds(result) == ["intro", "transition", "question", "question", "conclusion"]
    assert result.article.sections[1].text == "Some questions people ask:"
    assert result.article.sections[-1].text == "So stretch."
    assert result.warnings == []


def test_article_without_questions():
    result = parse_article(article_text(
        "Cramps", "Cramps happen.", "Fact 1: Muscles", "Muscles tire.",
        "Fact 2: Water", "Drink water.", "In short, stretch."))
    assert kinds(result) == ["intro", "fact", "fact", "conclusion"]
    assert [f.heading for f in of_kind(result, "fact")] == ["Muscles", "Water"]
    assert result.article.sections[-1].text == "In short, stretch."


def test_article_with_only_an_intro_is_kept_with_a_warning_about_its_layout():
    result = parse_article(article_text("Cramps", "First paragraph.", "Second paragraph."))
    assert kinds(result) == ["intro"]
    assert result.article.sections[0].text == "First paragraph.\n\nSecond paragraph."
    assert [w.line for w in result.warnings] == [2]
    assert result.warnings[0].message.startswith("only an intro was found")


def test_numbering_gap_is_renumbered_with_a_warning():
    result = parse_article(article_text(
        "Cramps", "Intro.", "Q1: a?", "A1: a.", "Q2: b?", "A2: b.", "Q4: c?", "A4: c."))
    assert [q.number for q in of_kind(result, "question")] == [1, 2, 3]
    assert [w.line for w in result.warnings] == [7]
    assert "4" in result.warnings[0].message


def test_repeated_number_never_gives_two_sections_one_number():
    result = parse_article(article_text(
        "Cramps", "Intro.", "Fact 1: A", "a.", "Fact 2: B", "b.", "Fact 2: C", "c.",
        "Fact 3: D", "d."))
    facts = of_kind(result, "fact")
    assert [f.number for f in facts] == [1, 2, 3, 4]
    assert [f.heading for f in facts] == ["A", "B", "C", "D"]
    assert {w.line for w in result.warnings} == {7, 9}


def test_answer_number_differing_from_its_question_is_warned():
    result = parse_article(article_text("Cramps", "Intro.", "Q1: a?", "A2: a."))
    assert of_kind(result, "question")[0].answer == "a."
    assert [w.line for w in result.warnings] == [4]


def test_unicode_text_is_kept_exactly():
    intro = "\u201cCramps\u201d aren\u2019t rare \u2014 caf\u00e9 owners\u00a0say so \U0001F9B5."
    heading = "Na\u00efve \u2018myths\u2019"
    result = parse_article(article_text(
        "  \u00bfPor qu\u00e9?  ", f"  {intro}\t", f"Fact 1: {heading}", "Text \u00bd.",
        "Q1: \u201cWhy?\u201d", "A1: \u00c0 cause."))
    sections = result.article.sections
    assert result.article.title == "\u00bfPor qu\u00e9?"
    assert sections[0].text == intro
    assert sections[1].heading == heading
    assert (sections[2].question, sections[2].answer) == ("\u201cWhy?\u201d", "\u00c0 cause.")


def test_question_without_answer_is_kept_and_warned():
    result = parse_article(article_text(
        "Cramps", "Intro.", "Q1: Unanswered?", "Q2: Answered?", "A2: Yes."))
    questions = of_kind(result, "question")
    assert [(q.question, q.answer) for q in questions] == [
        ("Unanswered?", ""), ("Answered?", "Yes.")]
    assert [w.line for w in result.warnings] == [3]


def test_question_without_answer_marker_takes_the_next_line_as_answer():
    result = parse_article(article_text(
        "Cramps", "Intro.", "Q1: Why?", "Tired muscles.", "Q2: When?", "A2: Night."))
    assert of_kind(result, "question")[0].answer == "Tired muscles."
    assert [w.line for w in result.warnings] == [3]


def test_answer_without_question_is_kept_and_warned():
    result = parse_article(article_text(
        "Cramps", "Intro.", "Q1: Why?", "A1: Muscles.", "A2: Orphaned answer."))
    questions = of_kind(result, "question")
    assert [(q.number, q.question, q.answer) for q in questions] == [
        (1, "Why?", "Muscles."), (2, "", "Orphaned answer.")]
    assert [w.line for w in result.warnings] == [5]


def test_paragraphs_after_a_fact_belong_to_it():
    result = parse_article(article_text(
        "Cramps", "Intro.", "Fact 1: A", "First.", "", "Second.", "Fact 2: B", "b.",
        "End."))
    assert of_kind(result, "fact")[0].text == "First.\n\nSecond."
    assert result.article.sections[-1].text == "End."


def test_colon_paragraph_before_a_block_is_a_transition_only_after_other_text():
    lone = parse_article(article_text("Cramps", "Here are the facts:", "Fact 1: A", "a."))
    assert kinds(lone) == ["intro", "fact"]
    after = parse_article(article_text(
        "Cramps", "Intro.", "Here are the facts:", "Fact 1: A", "a.", "Now questions:",
        "Q1: q?", "A1: a."))
    assert kinds(after) == ["intro", "transition", "fact", "transition", "question"]


def test_colon_paragraph_with_no_block_after_it_stays_in_the_intro():
    # Found by the property below: a closing "...:" line was taken as a
    # transition and, with no fact or question to lead into, lost.
    result = parse_article("1\n00\n0:")
    assert kinds(result) == ["intro"]
    assert result.article.sections[0].text == "00\n\n0:"


def test_marker_letters_inside_a_word_are_text():
    result = parse_article(article_text("Cramps", "A0A", "Q1A", "Fact 2x"))
    assert kinds(result) == ["intro"]
    assert result.article.sections[0].text == "A0A\n\nQ1A\n\nFact 2x"


def test_paragraphs_after_the_last_answer_are_the_conclusion():
    result = parse_article(article_text(
        "Cramps", "Intro.", "Q1: q?", "A1: a.", "To sum up.", "", "", "Stretch daily."))
    assert result.article.sections[-1].kind == "conclusion"
    assert result.article.sections[-1].text == "To sum up.\n\nStretch daily."
    assert of_kind(result, "question")[0].answer == "a."


def test_title_repeated_identically_is_not_content():
    result = parse_article(article_text("Cramps", "", "Cramps", "Intro."))
    assert result.article.title == "Cramps"
    assert result.article.sections[0].text == "Intro."
    assert result.dropped == []


def test_see_also_reading_like_a_sentence_stays_text():
    result = parse_article(article_text(
        "Cramps", "See also the section on sciatica in our guide.", "See also: Knees"))
    assert result.article.sections[0].text == "See also the section on sciatica in our guide."
    assert [t.title for t in result.article.related] == ["Knees"]


@pytest.mark.parametrize("text, line", [
    ("", 1),
    ("  \n\t\n\r\n", 1),
    ("\ufeff", 1),
    ("Cramps\n", 1),
    ("\n\nCramps\n\nSee also Knees\nScroll to Top\n", 3),
    ("Q1: Why?\nA1: Because.\n", 1),
    ("\nInteresting Fact #1: Nerves\nText.\n", 2),
    ("Scroll to Top\n", 1),
    ("???\nSome text.\n", 1),
])
def test_text_that_cannot_be_an_article_raises_parse_error(text, line):
    with pytest.raises(ParseError) as caught:
        parse_article(text)
    assert caught.value.line == line


# --- properties -----------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_parse_error(text):
    try:
        assert isinstance(parse_article(text), ParseResult)
    except ParseError as error:
        assert error.line is not None and error.line >= 1


_words = st.text(st.characters(categories=["L", "N"]) | st.sampled_from(" ?.:,\u2019\u00a0"),
                 min_size=1, max_size=25)
_number = st.integers(min_value=0, max_value=12)
_line = st.one_of(
    st.just(""), _words, _words.map(lambda t: t + ":"),
    st.builds("Interesting Fact #{}: {}".format, _number, _words),
    st.builds("Fact {} {}".format, _number, _words),
    st.builds("Q{}: {}".format, _number, _words),
    st.builds("Question {}. {}".format, _number, _words),
    st.builds("A{}) {}".format, _number, _words),
    st.builds("Answer {}: {}".format, _number, _words),
    _words.map("See also\u00a0 {}".format),
    st.just("Scroll to Top"),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, min_size=1, max_size=25), st.sampled_from(["\n", "\r\n"]))
def test_article_shaped_text_loses_no_word_and_numbers_stay_unique(lines, line_end):
    text = line_end.join(lines)
    try:
        result = parse_article(text)
    except ParseError:
        return
    assert unaccounted_words(text, result) == []
    for kind in ("fact", "question"):
        numbers = [s.number for s in of_kind(result, kind)]
        assert numbers == list(range(1, len(numbers) + 1))
    assert all(1 <= note.line <= len(lines) for note in result.warnings + result.dropped)
