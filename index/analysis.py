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

from whoosh.analysis import (Filter, LowercaseFilter, RegexTokenizer,
                             StemFilter, StopFilter)

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


class WordFormFilter(Filter):
    """Straightens curly apostrophes and replaces irregular word forms with
    their base (see WORD_FORMS)."""

    def __init__(self, forms: dict[str, str] | None = None) -> None:
        self.forms = WORD_FORMS if forms is None else forms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordFormFilter) and self.forms == other.forms

    def __call__(self, tokens):
        forms = self.forms
        for t in tokens:
            text = t.text.replace("’", "'")
            t.text = forms.get(text, text)
            yield t


def text_analyzer():
    """Analyzer of the searchable text fields (positions kept for phrases)."""
    return (RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | WordFormFilter()
            | StopFilter(stoplist=STOP_WORDS, minsize=1)
            | StemFilter(cachesize=50000))


def vocabulary_analyzer():
    """Analyzer of the spelling vocabulary: real words, lower case, unstemmed."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter()


_TEXT = text_analyzer()


def terms(text: str) -> list[str]:
    """The index terms of a piece of text, in order."""
    return [t.text for t in _TEXT(text)]


def term_of(word: str) -> str | None:
    """The index term of one word, or None when it is a stop word."""
    found = terms(word)
    return found[0] if found else None
