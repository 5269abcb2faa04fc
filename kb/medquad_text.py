"""MedQuAD's text made readable: answers with their layout normalised,
questions as a reader writes them, a title for a document without a Focus.

MedQuAD's answer newlines are structural (headings, list items,
paragraphs; the lines are not wrapped at a fixed width), its indentation is
not. So a blank line separates paragraphs (written ``"\\n\\n"``), a single
newline is kept as a line break, a list item run into the text after two or
more spaces (``"...cells.    - Leukemia..."``) starts its own line, and every
other run of whitespace becomes one space. No text is dropped.
"""
from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
# Only after text: indentation before a "- " at a line's start is no break.
_INLINE_LIST_ITEM = re.compile(r"(?<=\S)(?:[ \t]{2,}|\t)(?=- )")
# A template question whose subject (the Focus) is missing: a blank or a
# second "?" where it stood.
_EMPTY_SUBJECT = re.compile(r"\s\s\?|\s\?\s*\?|^\W*$")
_WHAT_IS = re.compile(r"what\s+(?:is|are)\s+(?:\(are\)\s*)?(.*?)[\s?]*", re.I)


def one_line(text: str) -> str:
    """Every run of whitespace as one space."""
    return " ".join(text.split())


def tidy_answer(text: str) -> str:
    """MedQuAD answer text with its layout normalised (see the module doc)."""
    paragraphs = []
    for block in _BLANK_LINE.split(_INLINE_LIST_ITEM.sub("\n", text.strip())):
        lines = (one_line(raw) for raw in block.split("\n"))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def title_from_questions(questions: list[str]) -> str:
    """A title for a document without a Focus: the subject of its first
    "What is X?" question, else its first question that names something
    ("" when none does). ``questions`` are as written, spaces kept:
    MedQuAD's questions are templates around the Focus, so without one they
    read "What is (are)  ?" or "Who is at risk for ? ?": those name nothing
    and are passed over."""
    named = [one_line(q) for q in questions if not _EMPTY_SUBJECT.search(q.strip())]
    for question in named:
        if (subject := _WHAT_IS.fullmatch(question)) and subject[1]:
            return _capitalised(subject[1])
    return _capitalised(named[0].rstrip(" ?")) if named else ""


# MedQuAD's template remnants: "What is (are) X ?", "X? ?".
_TEMPLATE_ARE = re.compile(r"\b(is) \(are\) ", re.IGNORECASE)
_MARKS = re.compile(r"\s*\?(?:\s*\?)*")


def tidy_question(question: str) -> str:
    """A MedQuAD question as a reader would write it, on one line: "What is
    (are) Glaucoma ?" reads "What is Glaucoma?", "...Blood Pressure? ?" ends
    in one question mark. Other questions come out as they are."""
    return _TEMPLATE_ARE.sub(r"\1 ", _MARKS.sub("?", one_line(question)))


def _capitalised(text: str) -> str:
    """Lower-case text with a capital first letter; other text as it is."""
    return text[0].upper() + text[1:] if text.islower() else text
