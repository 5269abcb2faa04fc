"""What a search answers: plain, frozen values, free of HTML, URLs and
sentences for a reader (the web site and the terminal present them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kb.article import anchor_of

Span = tuple[int, int]  # start and end offsets of a marked word in a text

# Why a response has no hits (None when it has some).
EMPTY_QUERY = "empty_query"      # nothing searchable was typed
UNKNOWN_WORDS = "unknown_words"  # no word of the query is in the index
NO_MATCH = "no_match"            # the words are known, no passage matches all required parts
COMMON_WORDS = "common_words"    # every word is one the search ignores ("have", "what")


@dataclass(frozen=True)
class Marked:
    """A text with the query's words marked. ``cut_before``/``cut_after``
    say the text is an excerpt of a longer one, cut there."""
    text: str
    spans: tuple[Span, ...] = ()
    cut_before: bool = False
    cut_after: bool = False


@dataclass(frozen=True)
class Topic:
    """A related topic: its title, the indexed article it names, if any, and
    whether a search for its title would find passages with all its words."""
    title: str
    article_id: str | None = None
    findable: bool = True
    answered: bool = True   # False: its article only links to answers elsewhere


@dataclass(frozen=True)
class Elsewhere:
    """The same question answered in another article (a collapsed duplicate)."""
    hit_id: str
    article_id: str
    publisher: str | None
    source_url: str | None
    answered: bool


@dataclass(frozen=True)
class Ranked:
    """A passage of a ranked pool: its score and stored fields, and the
    copies of the same question in other articles a front end folded into
    it (their stored fields)."""
    score: float
    fields: Mapping[str, Any]
    duplicates: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class NamedTopic:
    """A topic the query names (index/understanding/topics.py): its key (the folded
    title, or the first of its synonyms'), its title as one of its articles
    writes it, and its articles in the pool, in rank order."""
    key: str
    title: str
    article_ids: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    """Why a query's passages ranked as they did (asked for with
    ``explain``): what the engine read in the query (index/understanding/understanding.py)
    and, per passage id, the factors of its score."""
    topics: tuple[str, ...]           # the titles the query names
    topic_words: tuple[str, ...]      # its words that name the topic
    asked: tuple[str, ...]            # the reader's question types asked
    qtypes: tuple[str, ...]           # the MedQuAD labels that answer them
    words_weight: float               # the words' share of the blend with meaning
    factors: tuple[tuple[str, Mapping[str, float]], ...] = ()

    def factors_of(self, passage_id: str) -> Mapping[str, float]:
        return dict(self.factors).get(passage_id, {})


@dataclass(frozen=True)
class Pool:
    """What a query found, best first: the ranked passages a request asked
    for (at most its depth), how many matched in all, and how the query was
    read. Front ends page, group and fold it (webapp/results_page.py)."""
    query: str                        # the query as cleaned and cut
    ranked: tuple[Ranked, ...] = ()
    total: int = 0                    # passages that matched
    total_is_estimate: bool = False   # total is a lower bound
    corrected: str | None = None
    correction_applied: bool = False
    empty_reason: str | None = None
    marked_terms: frozenset[str] = field(default_factory=frozenset)
    # (field, value, passages) of what the query is about: "qtype" values,
    # or "kind" values in an index without question types; when asked for.
    facets: tuple[tuple[str, str, int], ...] = ()
    topics: tuple[NamedTopic, ...] = ()   # the topics the query names, best first
    ignored: tuple[str, ...] = ()     # typed words too common to search for
    explained: Explanation | None = None

    @property
    def cut(self) -> bool:
        """Whether more passages matched than the pool holds."""
        return self.total_is_estimate or self.total > len(self.ranked)


@dataclass(frozen=True)
class Hit:
    """One ranked passage."""
    id: str                      # "<article-id>#<anchor>"
    article_id: str
    article_title: str
    kind: str                    # intro, fact, question, conclusion
    number: int | None
    heading: Marked | None       # fact heading or question; None for intro/conclusion
    snippet: Marked
    score: float
    source_url: str | None = None   # the page a question came from
    credit: str | None = None       # who the article's content comes from
    credit_url: str | None = None
    related: tuple[Topic, ...] = ()
    qtype: str | None = None        # what the question asks (symptoms, treatment, ...)
    publisher: str | None = None    # who publishes it ("MedlinePlus")
    answered: bool = True           # False: only a link to the answer at its source
    also_at: tuple[Elsewhere, ...] = ()  # the same question in other articles

    @property
    def anchor(self) -> str:
        return anchor_of(self.id)


@dataclass(frozen=True)
class Source:
    """One article of a topic: who publishes it, where, and whether any of
    its passages answers (else it only links to answers at its source)."""
    article_id: str
    title: str
    publisher: str | None
    source_url: str | None
    answered: bool


@dataclass(frozen=True)
class TopicAnswer:
    """A kind of question a topic's articles answer, and the passage that
    answers it."""
    qtype: str
    hit_id: str
    article_id: str
    answered: bool

    @property
    def anchor(self) -> str:
        return anchor_of(self.hit_id)


@dataclass(frozen=True)
class TopicCard:
    """The best bet for a query that names a topic: its sources (the best
    answering first), its definition (the answered "What is" passage, or
    the first answered one) and the kinds of question it answers."""
    title: str
    sources: tuple[Source, ...]
    definition: Hit | None
    answers: tuple[TopicAnswer, ...]

    @property
    def answered(self) -> bool:
        return any(s.answered for s in self.sources)


@dataclass(frozen=True)
class ArticleResult:
    """One article's best passages, for results grouped by article."""
    article_id: str
    title: str
    hits: tuple[Hit, ...]
    related: tuple[Topic, ...] = ()
    also_from: tuple[Source, ...] = ()   # the topic's other articles, other sources

    @property
    def answered(self) -> bool:
        return any(h.answered for h in self.hits)

    @property
    def publishers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h.publisher for h in self.hits if h.publisher))


@dataclass(frozen=True)
class SearchResponse:
    query: str                   # the query as cleaned and cut
    page: int = 1
    per_page: int = 10
    hits: tuple[Hit, ...] = ()
    groups: tuple[ArticleResult, ...] = ()  # the hits by article, when asked for
    total: int = 0                    # passages, or articles when grouped
    total_is_estimate: bool = False   # total is a lower bound
    corrected: str | None = None      # the query with misspelt words corrected
    correction_applied: bool = False  # hits are for ``corrected``: nothing typed was known
    empty_reason: str | None = None   # EMPTY_QUERY, UNKNOWN_WORDS or NO_MATCH when no hits
    marked_terms: frozenset[str] = field(default_factory=frozenset)
    # (field, value, passages) of what the query matches: "qtype" values, or
    # "kind" values in an index without question types; when asked for.
    facets: tuple[tuple[str, str, int], ...] = ()
    topic: TopicCard | None = None    # the best bet, when the query names a topic
    ignored: tuple[str, ...] = ()     # typed words too common to search for
    took_ms: float = 0.0
    explained: Explanation | None = None  # when asked for (``explain``)

    @property
    def passages(self) -> tuple[Hit, ...]:
        """The hits, in rank order, grouped or not."""
        return self.hits or tuple(h for group in self.groups for h in group.hits)

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class ArticleEntry:
    """An indexed article, as the generation's manifest lists it."""
    id: str
    title: str
    passages: int
    source_url: str | None = None   # the page it was imported from, if any
