"""Text analysis shared by indexing, querying and highlighting.

Terms are made by: words -> lower case -> word-form normalisation -> stop
list -> Porter stemming. The normalisation step joins forms a stemmer
leaves apart: Porter stems lay -> ``lai``, lying -> ``ly`` and lie ->
``lie``, so "lay down" would never meet "lying down". Irregular forms are
mapped to one base word before stemming.

The stop list is deliberately short: articles, a few prepositions and
pronouns. Words a health question depends on ("when", "not", "no", "after",
"before", "can") are kept. Stopped words are renumbered away, so a quoted
phrase that contains one still matches.
"""
from __future__ import annotations

import contextlib
import functools
import re
from contextvars import ContextVar
from typing import Callable, Iterator

from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem

# Word forms the Porter stemmer does not join, mapped to a shared base.
# Grouped by base so an editor can see what meets what.
_FORM_GROUPS: dict[str, tuple[str, ...]] = {
    "lie": ("lay", "lays", "laying", "laid", "lie", "lies", "lying", "lain",
            "lied"),
    "sleep": ("sleep", "sleeps", "sleeping", "slept", "asleep"),
    "feel": ("feel", "feels", "feeling", "felt"),
    "fall": ("fall", "falls", "falling", "fell", "fallen"),
    "bleed": ("bleed", "bleeds", "bleeding", "bled"),
    "swell": ("swell", "swells", "swelling", "swelled", "swollen"),
    "eat": ("eat", "eats", "eating", "ate", "eaten"),
    "drink": ("drink", "drinks", "drinking", "drank", "drunk"),
    "give": ("give", "gives", "giving", "gave", "given"),
    "take": ("take", "takes", "taking", "took", "taken"),
    "get": ("get", "gets", "getting", "got", "gotten"),
    "go": ("go", "goes", "going", "went", "gone"),
    "run": ("run", "runs", "running", "ran"),
    "sit": ("sit", "sits", "sitting", "sat"),
    "stand": ("stand", "stands", "standing", "stood"),
    "break": ("break", "breaks", "breaking", "broke", "broken"),
    "bite": ("bite", "bites", "biting", "bit", "bitten"),
    "sting": ("sting", "stings", "stinging", "stung"),
    "wake": ("wake", "wakes", "waking", "woke", "woken"),
    "grow": ("grow", "grows", "growing", "grew", "grown"),
    "catch": ("catch", "catches", "catching", "caught"),
    "think": ("think", "thinks", "thinking", "thought"),
    "lose": ("lose", "loses", "losing", "lost"),
    "spread": ("spread", "spreads", "spreading"),
    "child": ("child", "children", "childhood"),
    "woman": ("woman", "women"),
    "man": ("man", "men"),
    "foot": ("foot", "feet"),
    "tooth": ("tooth", "teeth"),
    "louse": ("louse", "lice"),
    "mouse": ("mouse", "mice"),
    "person": ("person", "people", "persons"),
    "die": ("die", "dies", "dying", "died", "death", "dead"),
    "numb": ("numb", "numbness", "numbed", "numbing"),
    # Porter makes "tired" the stem of "tire" (a wheel's).
    "tiredness": ("tired", "tiredness", "tiring"),
    "bad": ("bad", "worse", "worst", "worsen", "worsens", "worsening"),
    "good": ("good", "better", "best"),
}
WORD_FORMS: dict[str, str] = {form: base for base, forms in _FORM_GROUPS.items()
                              for form in forms}

STOP_WORDS = frozenset("""
a an the and or of to in on at by for with from as into onto than
is are was were be been being am
i me my mine you your yours he him his she her hers it its we us our
they them their this that these those there here
do does did doing has have had having
so such very just also too some any about
""".split())

# Letters and digits, with inner apostrophes and hyphen-free words; curly
# apostrophes count as apostrophes ("you’re").
WORD_PATTERN = r"\w+(?:['’]\w+)*"
_WORD = re.compile(WORD_PATTERN)


# Distinct words a long-running process (a server) keeps stemmed.
TERM_CACHE_SIZE = 500_000


def _stem_word(word: str) -> str | None:
    """lower case -> straight apostrophes -> word form -> stop list -> stem."""
    text = word.lower().replace("’", "'")
    text = WORD_FORMS.get(text, text)
    if text in STOP_WORDS:
        return None
    return stem(text)


# The stemming cache in use: the process's bounded one, unless a build
# scoped a cache of its own (build_term_cache) to its thread.
_term_cache: ContextVar[Callable[[str], str | None]] = ContextVar(
    "term_cache", default=functools.lru_cache(maxsize=TERM_CACHE_SIZE)(_stem_word))


@contextlib.contextmanager
def build_term_cache() -> Iterator[None]:
    """Stem through a cache of the block's own, without a bound, on this
    thread while the block runs (an index build). A build sees every word
    of the corpus, and an unbounded cache is a plain dictionary: 1.0 µs a
    word against 1.6 µs for the bounded one's bookkeeping. Other threads
    (a server's searches) keep the shared cache; writer processes forked
    inside the block inherit the build's."""
    scope = _term_cache.set(functools.lru_cache(maxsize=None)(_stem_word))
    try:
        yield
    finally:
        _term_cache.reset(scope)


class TermTokenizer(Tokenizer):
    """Words to index terms in one pass.

    Equivalent to RegexTokenizer | LowercaseFilter | word forms | StopFilter
    (renumbering positions) | StemFilter, but with one memoised function per
    word instead of a generator per filter: a corpus has millions of tokens
    and only tens of thousands of distinct words.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TermTokenizer)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        term_of_word = _term_cache.get()
        if not tokenize:
            term = term_of_word(value)
            if term is not None:
                token.text, token.boost, token.stopped = term, 1.0, False
                if positions:
                    token.pos = start_pos
                if chars:
                    token.startchar, token.endchar = start_char, start_char + len(value)
                yield token
            return
        pos = start_pos
        for match in _WORD.finditer(value):
            term = term_of_word(match.group())
            if term is None:
                continue
            token.text, token.boost, token.stopped = term, 1.0, False
            if keeporiginal:
                token.original = match.group()
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


def text_analyzer():
    """Analyzer of the searchable text fields (positions kept for phrases)."""
    return TermTokenizer()


def vocabulary_words(text: str) -> list[str]:
    """The real words of a text, lower case and unstemmed: what typo
    tolerance and completion may offer a reader."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def terms(text: str) -> list[str]:
    """The index terms of a piece of text, in order: what TermTokenizer
    yields, without building a token per word (re-ranking reads whole
    answers on every search)."""
    return [term for term in map(_term_cache.get(), _WORD.findall(text)) if term is not None]


def term_spans(text: str) -> list[tuple[int, int, str]]:
    """Each word's offsets and index term, stop words left out: what
    TermTokenizer yields with ``chars=True``, without a token per word
    (highlighting reads every shown answer)."""
    spans = []
    term_of_word = _term_cache.get()
    for match in _WORD.finditer(text):
        term = term_of_word(match.group())
        if term is not None:
            spans.append((match.start(), match.end(), term))
    return spans


def term_of(word: str) -> str | None:
    """The index term of one word, or None when it is a stop word."""
    found = terms(word)
    return found[0] if found else None


_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


def folded(text: str) -> str:
    """``text`` as titles, headings and typed words are compared: lower
    case, every run of characters other than letters and digits one space."""
    return _NOT_LETTER_OR_DIGIT.sub(" ", text.casefold()).strip()
