"""Scraped article text in, an Article out: no I/O.

The text is already decoded. Lines end in CRLF, CR or LF; one byte-order
mark at the very start is ignored; line numbers are 1-based, as in an
editor. Text is kept exactly as written, only stripped of the whitespace
around each line.

How the text is read:

* Title: the first non-blank line that is not page furniture. A heading
  that repeats it (ignoring case and trailing punctuation) before any
  content is the title as well; the fuller form is kept.
* Page furniture, wherever it falls: "See also TITLE" becomes a related
  topic (a "See also" line that reads like a sentence, ending in "." or
  longer than a title, stays text); "Scroll to Top" / "Back to top" is
  dropped.
* Markers: "Interesting Fact #N: Heading" ("Interesting", "#" and the colon
  are optional, so "Fact N:" too); "QN:", "QN.", "QN)", "Question N:" and
  the matching "AN:", "AN.", "AN)", "Answer N:". A fact heading is a line
  of its own; a question or answer marker opens the text on its line (or,
  alone on its line, the next line holds the text).
* Each non-blank line is a paragraph (scraped text puts a paragraph on one
  line), so blank lines mean nothing: extra or missing ones change nothing.
  The paragraphs of one section are joined with "\\n\\n".
* Paragraphs before the first fact or question are the intro; paragraphs
  after a fact heading or an answer belong to it, up to the next marker.
* A paragraph ending with ":" right before a fact or question is a
  transition, unless it is the only text of the section it follows.
* After the last fact or answer, its first paragraph is its text and every
  later paragraph is the conclusion.
* A question without an answer marker takes the paragraphs after its own
  as the answer; an answer without a question becomes a question section
  with an empty question. Both are warned about.
* Facts and questions are numbered 1, 2, 3... in reading order, so numbers
  are unique; a source number that differs (a gap, a repeat) is warned
  about.

Nothing is lost: every non-blank line ends up in the title, a section, a
related topic, or ``ParseResult.dropped`` with its line number and reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.article import (MAX_NUMBER_DIGITS, Article, Dropped, ParseResult, ParseWarning,
                        RelatedTopic, Section, number_too_long, shorten, title_id)
from kb.errors import ParseError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A number marker ends at a separator followed by a space (or the line's end),
# so "A 3.5 mg dose" is text, not answer 3.
_FACT = re.compile(
    r"(?:interesting\s+)?fact\s*(?:#\s*)?([0-9]+)"
    r"(?:\s*[:.)\-\u2013\u2014](?=\s|$)|(?=\s|$))\s*(.*)", re.I | re.S)
_QUESTION = re.compile(r"(?:q|question)\s*([0-9]+)\s*[:.)](?=\s|$)\s*(.*)", re.I | re.S)
_ANSWER = re.compile(r"(?:a|answer)\s*([0-9]+)\s*[:.)](?=\s|$)\s*(.*)", re.I | re.S)
_SEE_ALSO = re.compile(r"see\s+also\b[\s:\-\u2013\u2014]*(.*)", re.I | re.S)
_FURNITURE = re.compile(r"(?:scroll|back)\s+to\s+top\W*", re.I)
_RELATED_MAX_WORDS = 15
FURNITURE_REASON = "page furniture"


@dataclass
class _Para:
    """One line of text; ``marker`` is "q" or "a" when it opens with one,
    and then ``text`` is what follows the marker (possibly nothing)."""
    line: int
    text: str
    marker: str | None = None
    number: int | None = None


@dataclass
class _FactHeading:
    line: int
    number: int
    heading: str


@dataclass
class _Block:
    """A fact or a question being assembled from the paragraphs after it."""
    kind: str
    line: int
    number: int | None
    heading: str = ""
    question: list[_Para] = field(default_factory=list)
    answered: bool = False
    orphan_answer: bool = False  # opened by an answer with no question
    body: list[_Para] = field(default_factory=list)


@dataclass
class _Reading:
    title: str
    title_line: int
    items: list[_Para | _FactHeading]
    related: list[RelatedTopic]
    dropped: list[Dropped]


def parse_article(text: str) -> ParseResult:
    """Parse scraped article text; raise ParseError if it cannot be one."""
    lines = _split_lines(text)
    if not any(line for _, line in lines):
        raise ParseError("no article text: the input is empty", line=1)
    reading = _read(lines)
    warnings: list[ParseWarning] = []
    sections = _assemble(reading.items, warnings)
    if not sections:
        raise ParseError("a title but no article text after it",
                         line=reading.title_line)
    if all(section.kind == "intro" for section in sections):
        # An unfamiliar layout reads as one long intro: say so, not silently.
        warnings.append(ParseWarning(
            reading.items[0].line, "only an intro was found: no \"Fact N:\" headings and no "
                                   "\"QN:\"/\"AN:\" pairs (README: Article text)"))
    article_id = title_id(reading.title)
    if not article_id:
        raise ParseError("the title has no letters or digits to make an id from",
                         line=reading.title_line)
    article = Article(id=article_id, title=reading.title, sections=tuple(sections),
                      related=tuple(reading.related))
    warnings.sort(key=lambda w: w.line)
    return ParseResult(article=article, dropped=reading.dropped, warnings=warnings)


def _split_lines(text: str) -> list[tuple[int, str]]:
    text = text.removeprefix("\ufeff")
    return [(number, line.strip())
            for number, line in enumerate(_LINE_BREAK.split(text), start=1)]


def _title_key(text: str) -> str:
    return " ".join(text.split()).rstrip(" ?!.:").casefold()


def _is_related_title(text: str) -> bool:
    return (bool(text) and not text.endswith(".")
            and len(text.split()) <= _RELATED_MAX_WORDS)


def _read(lines: list[tuple[int, str]]) -> _Reading:
    """First pass: furniture and title out, markers and paragraphs in order."""
    title: str | None = None
    title_line = 1
    items: list[_Para | _FactHeading] = []
    related: list[RelatedTopic] = []
    dropped: list[Dropped] = []
    for number, line in lines:
        see_also = _SEE_ALSO.fullmatch(line)
        if not line:
            continue
        if _FURNITURE.fullmatch(line) or (see_also and not see_also[1].strip()):
            dropped.append(Dropped(number, line, FURNITURE_REASON))
        elif see_also and _is_related_title(see_also[1].strip()):
            related.append(RelatedTopic(title=see_also[1].strip()))
        elif title is None:
            _check_title(line, number)
            title, title_line = line, number
        elif not items and _title_key(line) == _title_key(title):
            if len(line) > len(title):
                title = line
        elif fact := _FACT.fullmatch(line):
            items.append(_FactHeading(number, _number(fact[1], "fact", number),
                                      fact[2].strip()))
        elif marked := (_QUESTION.fullmatch(line) or _ANSWER.fullmatch(line)):
            marker = "q" if marked.re is _QUESTION else "a"
            what = "question" if marker == "q" else "answer"
            items.append(_Para(number, marked[2].strip(), marker,
                               _number(marked[1], what, number)))
        else:
            items.append(_Para(number, line))
    if title is None:
        raise ParseError("no title: the text holds only page furniture", line=1)
    return _Reading(title, title_line, items, related, dropped)


def _number(digits: str, what: str, line: int) -> int:
    if number_too_long(digits):
        raise ParseError(f"{what} number {shorten(digits, 12)} is too large: "
                         f"at most {MAX_NUMBER_DIGITS} digits", line=line)
    return int(digits)


def _check_title(line: str, number: int) -> None:
    for pattern, what in ((_FACT, "a fact heading"), (_QUESTION, "a question"),
                          (_ANSWER, "an answer")):
        if pattern.fullmatch(line):
            raise ParseError(f"no title: the first line is {what}", line=number)


def _assemble(items: list[_Para | _FactHeading],
              warnings: list[ParseWarning]) -> list[Section]:
    """Second pass: paragraphs and markers into sections in reading order."""
    intro: list[_Para] = []
    blocks: list[_Block] = []
    for item in items:
        if isinstance(item, _FactHeading):
            blocks.append(_Block("fact", item.line, item.number, heading=item.heading))
        elif item.marker == "q":
            blocks.append(_Block("question", item.line, item.number,
                                 question=[item] if item.text else []))
        elif item.marker == "a":
            _attach_answer(item, blocks, warnings)
        elif not blocks:
            intro.append(item)
        elif blocks[-1].kind == "question" and not blocks[-1].answered:
            blocks[-1].question.append(item)
        else:
            blocks[-1].body.append(item)
    for block in blocks:
        if block.kind == "question":
            _settle_question(block, warnings)

    # Only a paragraph that leads into a block is a transition; with no block
    # after it, it stays in the intro.
    transitions = [_take_transition(intro) if blocks else None]
    transitions += [_take_transition(block.body) for block in blocks[:-1]]
    conclusion: list[_Para] = []
    if blocks:
        conclusion = blocks[-1].body[1:]
        del blocks[-1].body[1:]

    sections = [Section(kind="intro", text=_join(intro))] if intro else []
    counters = {"fact": 0, "question": 0}
    for block, transition in zip(blocks, transitions):
        if transition is not None:
            sections.append(Section(kind="transition", text=transition.text))
        counters[block.kind] += 1
        sections.append(_section(block, counters[block.kind], warnings))
    if conclusion:
        sections.append(Section(kind="conclusion", text=_join(conclusion)))
    return sections


def _attach_answer(para: _Para, blocks: list[_Block],
                   warnings: list[ParseWarning]) -> None:
    last = blocks[-1] if blocks else None
    if last is not None and last.kind == "question" and not last.answered:
        if para.number != last.number:
            warnings.append(ParseWarning(
                para.line, f"answer A{para.number} follows question Q{last.number}"))
    else:
        warnings.append(ParseWarning(
            para.line, f"answer A{para.number} has no question before it; "
                       "kept as a question with an empty question"))
        last = _Block("question", para.line, para.number, orphan_answer=True)
        blocks.append(last)
    last.answered = True
    if para.text:
        last.body.append(para)


def _settle_question(block: _Block, warnings: list[ParseWarning]) -> None:
    """A question with no answer marker: what follows its paragraph answers it."""
    if block.answered:
        return
    block.body = block.question[1:]
    del block.question[1:]
    if block.body:
        warnings.append(ParseWarning(
            block.line, f"question Q{block.number} has no answer marker; "
                        "the text after it is taken as its answer"))
    else:
        warnings.append(ParseWarning(
            block.line, f"question Q{block.number} has no answer"))


def _take_transition(paragraphs: list[_Para]) -> _Para | None:
    """Pop a closing "...:" paragraph that leads into the next block."""
    if len(paragraphs) > 1 and paragraphs[-1].text.endswith(":"):
        return paragraphs.pop()
    return None


def _section(block: _Block, number: int, warnings: list[ParseWarning]) -> Section:
    if block.number != number:
        warnings.append(ParseWarning(
            block.line, f"{block.kind} numbered {block.number} in the text is "
                        f"{block.kind} {number} in reading order"))
    if block.kind == "fact":
        if not block.heading:
            warnings.append(ParseWarning(block.line, f"fact {number} has no heading"))
        if not block.body:
            warnings.append(ParseWarning(block.line, f"fact {number} has no text"))
        return Section(kind="fact", number=number, heading=block.heading or None,
                       text=_join(block.body))
    if not block.question and not block.orphan_answer:
        warnings.append(ParseWarning(block.line, f"question {number} has no question text"))
    return Section(kind="question", number=number, question=_join(block.question),
                   answer=_join(block.body))


def _join(paragraphs: list[_Para]) -> str:
    return "\n\n".join(p.text for p in paragraphs)
