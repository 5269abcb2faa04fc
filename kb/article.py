"""The article model: sections in reading order, related topics, passages.

A *passage* is the searchable unit derived from a section: the intro, each
fact, each question together with its answer, the conclusion. Transitions
are kept in the article (nothing an editor wrote is lost) but are not
passages. Anchors (``intro``, ``fact-N``, ``q-N``, ``conclusion``) are the
fragment a result links to inside the article page.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

SECTION_KINDS = ("intro", "fact", "transition", "question", "conclusion")
PASSAGE_KINDS = ("intro", "fact", "question", "conclusion")

_SLUG_DROP = re.compile(r"[^a-z0-9]+")
# \Z, not $: "$" also matches before a final newline.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
MAX_ID_LENGTH = 80
"""The longest article id: with ".yaml" and a temporary file's affixes it
stays far below the 255 bytes a file name may have."""
_ID_HASH_LENGTH = 8

MAX_SECTION_NUMBER = 999_999
"""The largest fact or question number read from a source: numbers count
sections of one article (MedQuAD's longest document has a few dozen), and
a bound keeps a runaway one (a 5,000-digit "Fact 999...") out of ``int``,
anchors and URLs."""
MAX_NUMBER_DIGITS = len(str(MAX_SECTION_NUMBER))


def number_too_long(digits: str) -> bool:
    """Whether ASCII ``digits`` spell a number past ``MAX_SECTION_NUMBER``,
    decided on their length before any ``int()``."""
    return len(digits.lstrip("0")) > MAX_NUMBER_DIGITS


def shorten(text: str, limit: int = 40) -> str:
    """``text`` cut for a message: '99999999…(5000 characters)'."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text)} characters)"


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: 'Why Does…?' -> 'why-does'."""
    ascii_text = (unicodedata.normalize("NFKD", text)
                  .encode("ascii", "ignore").decode("ascii"))
    return _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")


def is_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.match(text))


def cap_id(slug: str) -> str:
    """``slug`` if it is at most ``MAX_ID_LENGTH`` characters long; else a
    readable prefix of it (cut at a hyphen) and a hyphen and 8 hex digits of
    its SHA-256, so two long titles that share the prefix still differ."""
    if len(slug) <= MAX_ID_LENGTH:
        return slug
    room = MAX_ID_LENGTH - _ID_HASH_LENGTH - 1
    head = slug[:room]
    if slug[room] != "-" and "-" in head[room // 2:]:
        head = head[:head.rindex("-")]
    digest = hashlib.sha256(slug.encode("utf-8")).hexdigest()[:_ID_HASH_LENGTH]
    return f"{head.rstrip('-')}-{digest}"


def title_id(title: str) -> str:
    """The article id a title gives: its slug, capped (``cap_id``). A
    title whose letters are all outside the Latin script ("Грипп",
    "インフルエンザ") keeps its digits, if any, and takes 8 hex digits of
    its SHA-256, after "article" when nothing else is left: ids stay
    ASCII (URLs, file names on any system) and the same title always gives
    the same id. "" for a title with no letter or digit at all."""
    slug = slugify(title)
    if any(c.isalpha() for c in title) and not any(c.isalpha() for c in slug):
        text = unicodedata.normalize("NFC", " ".join(title.split()))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_ID_HASH_LENGTH]
        slug = f"{slug or 'article'}-{digest}"
    return cap_id(slug)


@dataclass(frozen=True)
class Source:
    """Where an imported article came from.

    ``path`` and ``sha256`` identify the imported file; ``url`` is the page
    the text was published at, ``credit`` the attribution its licence asks
    for (both optional).
    """
    path: str
    sha256: str
    url: str | None = None
    credit: str | None = None


@dataclass(frozen=True)
class Section:
    """One section of an article.

    Which fields are used depends on ``kind``: intro, transition and
    conclusion have ``text``; a fact has ``number``, ``heading`` and
    ``text``; a question has ``number``, ``question`` and ``answer`` (an
    empty answer is allowed only with a ``url`` to read it at), plus
    optional provenance ``qid``, ``qtype``, ``url`` and ``original`` (the
    question as its source wrote it, where the importer tidied it).
    """
    kind: str
    text: str | None = None
    number: int | None = None
    heading: str | None = None
    question: str | None = None
    answer: str | None = None
    qid: str | None = None
    qtype: str | None = None
    url: str | None = None
    original: str | None = None

    @property
    def anchor(self) -> str | None:
        """The passage anchor, or None for a section that is no passage."""
        return passage_anchor(self.kind, self.number)


def passage_anchor(kind: str, number: int | None) -> str | None:
    """The anchor of a passage on its article's page (``fact-2``, ``q-3``,
    ``intro``, ``conclusion``); None for a kind that is no passage."""
    if kind in ("intro", "conclusion"):
        return kind
    if kind == "fact":
        return f"fact-{number}"
    if kind == "question":
        return f"q-{number}"
    return None


def is_answered(kind: str | None, body: str | None) -> bool:
    """Whether a passage answers in its own text: every passage but a
    question whose answer is only at its source (MedQuAD's removed answers)."""
    return kind != "question" or bool((body or "").strip())


def anchor_of(passage_id: str) -> str:
    """The anchor part of a passage id (``<article-id>#<anchor>``)."""
    return passage_id.partition("#")[2]


@dataclass(frozen=True)
class RelatedTopic:
    """A "See also" topic; ``id`` names the article when it is known."""
    title: str
    id: str | None = None


@dataclass(frozen=True)
class Passage:
    """One searchable unit: ``heading`` is the fact heading or the question,
    ``body`` the fact text, the answer, or the intro/conclusion text."""
    article_id: str
    kind: str
    number: int | None
    heading: str
    body: str
    url: str | None = None      # where a question's answer is published
    qtype: str | None = None    # what a question asks (MedQuAD: symptoms, treatment, ...)

    @property
    def anchor(self) -> str:
        return passage_anchor(self.kind, self.number)

    @property
    def id(self) -> str:
        return f"{self.article_id}#{self.anchor}"

    @property
    def answered(self) -> bool:
        return is_answered(self.kind, self.body)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    sections: tuple[Section, ...]
    related: tuple[RelatedTopic, ...] = ()
    source: Source | None = None

    def passages(self) -> list[Passage]:
        """The searchable passages, in reading order."""
        out = []
        for s in self.sections:
            if s.kind in ("intro", "conclusion"):
                out.append(Passage(self.id, s.kind, None, "", s.text or ""))
            elif s.kind == "fact":
                out.append(Passage(self.id, "fact", s.number, s.heading or "", s.text or ""))
            elif s.kind == "question":
                out.append(Passage(self.id, "question", s.number, s.question or "",
                                   s.answer or "", url=s.url, qtype=s.qtype))
        return out


@dataclass
class Dropped:
    """A source line the parser left out of the article, and why."""
    line: int
    text: str
    reason: str


@dataclass
class ParseWarning:
    line: int
    message: str


@dataclass
class ParseResult:
    """An article and the parser's account of what it did not keep."""
    article: Article
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
