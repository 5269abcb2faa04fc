"""An answer's text as sentences and the headings between them.

Scraped answers keep their section headings inline, with nothing to mark
them but capitals: "… within 2 to 4 weeks. Is Shingles Contagious? Shingles
cannot be passed from one person to another." or "… lifetime. The Shingles
Vaccine Adults 60 years old or older should …". A snippet shows answers,
not headings, so the text is cut into segments, each a sentence or a
heading:

- a short question in title case is a heading ("Is Shingles Contagious?");
  any other question is a sentence that asks ("Have you ever felt your
  leg go numb?"), and a snippet never ends at one either: the answer
  follows it;
- a run of two or more capitalised words at the start of a sentence is a
  heading when the capitalised word after it opens lower-case prose and is
  a word that opens sentences (a determiner, pronoun, conjunction):
  "Shingles Usually Does Not Return | People who develop shingles …",
  "How Tumors Form | The body is made up …". A run that ends in a name's
  last word ("The Human Phenotype Ontology provides …") is prose: telling
  a heading from a name otherwise would take a parser, and a heading
  missed only costs a snippet its first words.
"""
from __future__ import annotations

import re
from typing import NamedTuple

# A sentence ends at . ! ? or … (a closing bracket or quote may follow)
# and white space, or at a line break.
_SENTENCE_END = re.compile(r"([.!?…][)\]\"'”’]?)\s+|\s*\n\s*")
_WORD = re.compile(r"\S+")
# Words a title keeps lower-case, or capitalises only at its start.
_SMALL = frozenset("a an and as at by for from in into of on or the to with".split())
# Words that open a sentence after a heading: determiners, pronouns,
# conjunctions and quantifiers, never the last word of a name.
_OPENERS = frozenset("""a about after all although an another any as at because before both
by during each every few for he her his how if in it its many most much no once one other
our people she since so some such that the their there these they this those though to
when where whether which while who you your""".split())
# Longer than this, a sentence ending in "?" is prose, not a heading.
QUESTION_HEADING_CHARS = 120


class Segment(NamedTuple):
    start: int
    end: int
    heading: bool
    asks: bool = False  # a sentence ending in "?" that is not a heading


def segments(text: str) -> list[Segment]:
    """``text`` cut into sentences and headings, in order (offsets into it)."""
    found: list[Segment] = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        if sentence.endswith("?"):
            found.append(Segment(start, end, *((True, False) if _titled(sentence)
                                               else (False, True))))
            continue
        body = _after_inline_heading(sentence)
        if body:
            heading_end = start + len(sentence[:body].rstrip())
            found.append(Segment(start, heading_end, True))
            start += body
        found.append(Segment(start, end, False))
    return found or [Segment(0, len(text), False)]


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end(1) if m.group(1) else m.start()
        if end > start:
            bounds.append((start, end))
        start = m.end()
    if start < len(text.rstrip()):
        bounds.append((start, len(text.rstrip())))
    return bounds


def _titled(question: str) -> bool:
    """Whether a question is a title: short, and most of its longer words
    capitalised ("Is Shingles Contagious?", not "How is it inherited?")."""
    if len(question) > QUESTION_HEADING_CHARS:
        return False
    longer = [w for w in _WORD.findall(question)[1:] if len(w) > 3]
    return bool(longer) and 2 * sum(w[0].isupper() for w in longer) >= len(longer)


def _after_inline_heading(sentence: str) -> int:
    """Where the sentence proper begins after a heading run into it, or 0."""
    words = []  # the capitalised run, small words inside it included
    for m in _WORD.finditer(sentence):
        word = m.group()
        if not (word[0].isupper() or (words and word.casefold() in _SMALL)):
            break
        words.append(m)
    else:
        return 0  # capitals to the end: a title, or a shouted sentence
    run = len(words)
    while run and words[run - 1].group() in _SMALL:
        run -= 1  # "Treatment of childhood …": a lower-case small word is the sentence's
    if run < 3:
        return 0
    # The run's last word opens the sentence; it must be a word that opens
    # sentences ("Risk Factors | Some risk factors …"), not the end of a
    # name ("The Human Phenotype | Ontology provides …"), and the words
    # before it the heading.
    opener, heading = words[run - 1], words[:run - 1]
    word = opener.group()
    if word.casefold() not in _OPENERS or (len(word) > 1 and word.isupper()):
        return 0  # "Children with AS want …": an acronym, not "As"
    if any(not w.group()[-1].isalnum() for w in heading):
        return 0  # "Paris, France": punctuation inside a run is prose
    return opener.start()
