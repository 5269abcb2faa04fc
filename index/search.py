"""A query in, ranked passages out, as the JSON records of DESIGN.

How a query becomes a Whoosh query (see ``_build``):

- the words are grouped into *concepts*: a run of words that is a synonym
  entry ("pins and needles") is one concept, any other word is one;
- a concept matches its own terms, its synonyms (weighted below the
  original) and, for a word the index has never seen, its close spellings
  (edit distance scaled by length, weighted lower still);
- all those terms are OR-ed in one flat query, and the best-scored pool is
  re-ranked (index/rerank.py) by the share of concepts each passage matches
  and the query's neighbouring words standing together, so passages
  matching more of the query rank first and a passage missing one word is
  still found; in a large index, words most passages contain are left out of the OR;
- quoted phrases are required, ``-exclusions`` mask passages out, ``kind``
  filters.

Every field is searched with its boost from index/schema.py under BM25F.
"""
from __future__ import annotations

import copy
import re
import threading
from collections import OrderedDict
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from whoosh import scoring
from whoosh.query import And, AndMaybe, Or, Phrase, Query, Term

from index import generations
from index.analysis import terms as analyse
from index import rerank
from index.highlight import mark, snippet
from index.rerank import neighbour_pairs
from index.query import ParsedQuery, parse_query
from index.schema import FIELD_BOOSTS, SEARCH_FIELDS
from kb.article import PASSAGE_KINDS
from kb.errors import QueryError, SearchIndexError

MAX_PER_PAGE = 50
RESPONSE_CACHE_SIZE = 2048
DEFAULT_PER_PAGE = 10
MAX_PAGE = 1000
SYNONYM_WEIGHT = 0.8
FUZZY_WEIGHT = 0.7
RERANK_POOL = 30
# Once an index has COMMON_DOCS passages, terms found in more than
# COMMON_SHARE of them are left out of the OR when rarer ones remain.
COMMON_DOCS = 2000
COMMON_SHARE = 0.05
# Typo tolerance: words shorter than this are never corrected; longer words
# allow one edit, and two from LONG_WORD letters on.
MIN_FUZZY_LENGTH = 4
LONG_WORD = 8
MAX_FUZZY_LENGTH = 30
MAX_EXPANSIONS = 3
# Quoted phrases and exclusions concern the passage's own words, not the
# title its article shares with every other passage.
PASSAGE_FIELDS = ("heading", "body")
EMPTY_QUERY_MESSAGE = "Type a word or a question to search the articles."


class _NoSynonyms:
    max_words = 1

    def lookup(self, phrase: str) -> tuple[str, ...]:
        return ()


@dataclass
class Concept:
    """One idea of the query and the words that may stand for it."""
    words: list[str]                     # as typed (lower case)
    synonyms: tuple[str, ...] = ()
    corrections: list[str] = field(default_factory=list)  # best first


def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if (prev2 is not None and i > 1 and j > 1 and ca == b[j - 2]
                    and a[i - 2] == cb):
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def max_edits(word: str) -> int:
    if len(word) < MIN_FUZZY_LENGTH or len(word) > MAX_FUZZY_LENGTH:
        return 0
    return 2 if len(word) >= LONG_WORD else 1


class _Generation:
    """One published index generation, opened read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ix = generations.open_generation(path)  # damage: SearchIndexError
        manifest = generations.read_manifest(path).get("articles", {})
        self.manifest = manifest
        self.article_ids = set(manifest)
        self.ids_by_title = {}
        for article_id, entry in sorted(manifest.items()):
            self.ids_by_title.setdefault(entry["title"].casefold(), article_id)
        self.titles = {aid: entry["title"] for aid, entry in manifest.items()}


class ResponseCache:
    """Recent responses, valid for one generation and one synonyms list.

    Readers repeat queries ("diabetes", "high blood pressure"); answering a
    repeat from memory leaves the threads to new ones. A new generation or an
    edited synonyms list empties it. Copies go in and out, so no caller can
    change a cached answer.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._entries: OrderedDict = OrderedDict()

    def get(self, version: tuple, key: tuple) -> dict | None:
        with self._lock:
            if version != self._version or key not in self._entries:
                return None
            self._entries.move_to_end(key)
            found = self._entries[key]
        return copy.deepcopy(found)

    def put(self, version: tuple, key: tuple, response: dict) -> None:
        with self._lock:
            if version != self._version:
                self._version, self._entries = version, OrderedDict()
            self._entries[key] = copy.deepcopy(response)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class SearchIndex:
    """Searches the current generation of an index folder.

    Safe to share between threads: each thread gets its own Whoosh searcher
    (searchers are not thread-safe), reopened when a new generation is
    published; ``close()`` closes them all.
    """

    def __init__(self, index_dir: Path,
                 synonyms: Callable[[], object] | None = None) -> None:
        self.index_dir = Path(index_dir)
        self._synonyms = synonyms or _NoSynonyms
        self._lock = threading.Lock()
        self._generation: _Generation | None = None
        self._local = threading.local()
        self._open: list = []
        self._cache = ResponseCache(RESPONSE_CACHE_SIZE)

    # -- resources ---------------------------------------------------------

    def _current(self) -> _Generation:
        path = generations.current_generation(self.index_dir)
        if path is None:
            raise SearchIndexError("there is no search index yet; run `kb index`",
                                   self.index_dir)
        with self._lock:
            if self._generation is None or self._generation.path != path:
                self._generation = _Generation(path)
            return self._generation

    def _searcher(self):
        generation = self._current()
        local = self._local
        if getattr(local, "generation", None) is not generation:
            old = getattr(local, "searcher", None)
            if old is not None:
                self._forget(old)
            searcher = generation.ix.searcher(weighting=scoring.BM25F())
            with self._lock:
                self._open.append(searcher)
            local.generation, local.searcher = generation, searcher
        return local.generation, local.searcher

    def _forget(self, searcher) -> None:
        with self._lock:
            if searcher not in self._open:
                return  # close() has closed it; Whoosh refuses a second close
            self._open.remove(searcher)
        searcher.close()

    def close(self) -> None:
        """Close every searcher this object opened (in any thread)."""
        with self._lock:
            searchers, self._open = self._open, []
            self._generation = None
        for s in searchers:
            s.close()

    # -- searching ---------------------------------------------------------

    def search(self, raw_query: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE,
               kind: str | None = None, per_article: int | None = None) -> dict:
        """The DESIGN search response for ``raw_query``.

        ``per_article`` caps how many passages of one article the ranking
        shows before other articles' passages: with thousands of articles,
        one article's questions can otherwise fill a page. Passages over the
        cap follow, in rank order. None keeps the flat ranking.
        """
        started = time.perf_counter()
        _check_params(page, per_page, kind, per_article)
        parsed = parse_query(raw_query)
        response = {"query": parsed.text, "corrected": None, "correction_applied": False,
                    "message": None, "total": 0, "page": page, "per_page": per_page,
                    "took_ms": 0.0, "results": []}
        if parsed.empty:
            response["message"] = EMPTY_QUERY_MESSAGE
        else:
            generation, searcher = self._searcher()
            synonyms = self._synonyms()
            key = (parsed.text, page, per_page, kind, per_article)
            cached = self._cache.get((generation, synonyms), key)
            if cached is not None:
                response = cached
            else:
                self._run(searcher, generation, synonyms, parsed, response,
                          page, per_page, kind, per_article)
                self._cache.put((generation, synonyms), key, response)
        response["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return response

    def _run(self, searcher, generation, synonyms, parsed: ParsedQuery, response: dict,
             page: int, per_page: int, kind: str | None, per_article: int | None) -> None:
        reader = searcher.reader()
        concepts = self._concepts(parsed.words, reader, synonyms)
        query, marked = _build(concepts, parsed.phrases, reader)
        if query is None:
            response["message"] = "None of these words are in the articles."
            return
        corrected = _corrected_text(parsed, concepts)
        response["corrected"] = corrected
        if corrected:
            # Only corrections can match when no typed word is known.
            response["correction_applied"] = not any(
                _known(c, reader) for c in concepts) and not parsed.phrases
        mask = _phrase_or_terms_any(parsed.excluded)
        kind_filter = Term("kind", kind) if kind else None
        # Whoosh ranks a pool by BM25F, skipping passages that cannot reach
        # it; index/rerank.py then re-orders the pool.
        pool = max(RERANK_POOL, page * per_page)
        results = searcher.search(query, limit=pool, filter=kind_filter, mask=mask)
        if results.scored_length() < pool:
            response["total"] = results.scored_length()
        else:
            # Counting tens of thousands of matches would cost more than the
            # search: report the lower bound the index knows without counting.
            response["total"] = max(query.estimate_min_size(reader), results.scored_length())
            response["total_is_estimate"] = True
        # Not list(results): list() asks len() first, which counts every match.
        hits = [results[i] for i in range(results.scored_length())]
        if not hits:
            response["message"] = "No passages match this query."
            return
        concept_terms = [_concept_terms(c) for c in concepts]
        pairs = neighbour_pairs(" ".join(c.words) for c in concepts)
        ranked = sorted(((hit.score * rerank.factor(fields, concept_terms, pairs), hit.rank, fields)
                         for hit in hits for fields in (hit.fields(),)),
                        key=lambda r: (-r[0], r[1]))
        if per_article:
            ranked = _cap_per_article(ranked, per_article)
        for score, _, fields in ranked[(page - 1) * per_page:page * per_page]:
            response["results"].append(_record(fields, score, marked, generation))

    def _concepts(self, words: list[str], reader, synonyms) -> list[Concept]:
        longest = max(1, getattr(synonyms, "max_words", 1))
        concepts, i = [], 0
        while i < len(words):
            for size in range(min(longest, len(words) - i), 0, -1):
                phrase = " ".join(words[i:i + size])
                alternatives = synonyms.lookup(phrase)
                if alternatives or size == 1:
                    concept = Concept(words[i:i + size], tuple(alternatives))
                    i += size
                    break
            if len(concept.words) == 1 and not _known(concept, reader):
                concept.corrections = _corrections(concept.words[0], reader)
            concepts.append(concept)
        return concepts

    def articles(self) -> list[dict]:
        """Every indexed article as ``{"id", "title", "url", "passages"}``,
        by title.

        Read from the generation's manifest, so listing ten thousand
        articles costs no file reads."""
        generation = self._current()
        return [{"id": aid, "title": entry["title"], "url": article_url(aid),
                 "passages": entry["passages"]}
                for aid, entry in sorted(generation.manifest.items(),
                                         key=lambda item: (item[1]["title"].casefold(), item[0]))]

    def topic_url(self, title: str, article_id: str | None = None) -> str:
        """Where a related topic links: its article when the index has it,
        else a search for its title."""
        return _related(title, article_id, self._current())["url"]

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of the last word of ``prefix``: article titles that
        start with the whole prefix first, then frequent index words."""
        cleaned = parse_query(prefix).text.lower()
        if not cleaned:
            return []
        generation, searcher = self._searcher()
        titles = sorted(t for t in generation.titles.values()
                        if t.casefold().startswith(cleaned))[:limit]
        head, _, last = cleaned.rpartition(" ")
        words = []
        if len(last) >= 2:
            reader = searcher.reader()
            candidates = [(reader.doc_frequency("vocab", w), w.decode("utf-8"))
                          for w in reader.expand_prefix("vocab", last)]
            candidates.sort(key=lambda c: (-c[0], c[1]))
            words = [(head + " " + w).strip() for _, w in candidates[:limit]]
        seen, out = set(), []
        for s in (*titles, *words):
            if s.casefold() not in seen:
                seen.add(s.casefold())
                out.append(s)
        return out[:limit]


def _cap_per_article(ranked: list, cap: int) -> list:
    """The first ``cap`` passages of each article in rank order, then the
    rest in rank order."""
    seen: dict[str, int] = {}
    first, later = [], []
    for entry in ranked:
        article_id = entry[2]["article_id"]
        seen[article_id] = seen.get(article_id, 0) + 1
        (first if seen[article_id] <= cap else later).append(entry)
    return first + later


def _check_params(page: int, per_page: int, kind: str | None,
                  per_article: int | None = None) -> None:
    if per_article is not None and not 1 <= per_article <= MAX_PER_PAGE:
        raise QueryError(f"per_article must be a whole number from 1 to {MAX_PER_PAGE}")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"page must be a whole number from 1 to {MAX_PAGE}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}")
    if kind is not None and kind not in PASSAGE_KINDS:
        raise QueryError(f"kind must be one of {', '.join(PASSAGE_KINDS)}")


def _known(concept: Concept, reader) -> bool:
    """Whether the index has any word of the concept or of its synonyms."""
    for text in (" ".join(concept.words), *concept.synonyms):
        for term in analyse(text):
            if any(reader.doc_frequency(f, term) for f in FIELD_BOOSTS):
                return True
    return False


def _corrections(word: str, reader) -> list[str]:
    """Close spellings of ``word`` in the index vocabulary, best first:
    fewest edits, then the word more passages use ("sciatia" is one edit
    from both "sciatic" and "sciatica"; the condition is named more often)."""
    edits = max_edits(word)
    if not edits:
        return []
    scored = []
    # Per segment: a multi-segment reader's terms_within computes the edit
    # distance to every word sharing the prefix; a segment's walks an automaton.
    candidates = {c for leaf, _ in reader.leaf_readers()
                  for c in leaf.terms_within("vocab", word, edits, prefix=1)}
    for candidate in candidates:
        if candidate == word:
            continue
        scored.append((_edit_distance(word, candidate), -_passage_frequency(candidate, reader),
                       -reader.doc_frequency("vocab", candidate), candidate))
    scored.sort()
    return [c for *_, c in scored[:MAX_EXPANSIONS]]


def _passage_frequency(word: str, reader) -> int:
    return sum(reader.doc_frequency(f, t) for t in analyse(word) for f in ("heading", "body"))


def _concept_terms(concept: Concept) -> set[str]:
    """Every index term that stands for ``concept``."""
    texts = (" ".join(concept.words), *concept.synonyms, *concept.corrections)
    return {t for text in texts for t in analyse(text)}


def _in_fields(term: str, weight: float) -> Query:
    return Or([Term(name, term, boost=FIELD_BOOSTS[name] * weight) for name in SEARCH_FIELDS])


def _without_common(weights: dict[str, float], reader) -> dict[str, float]:
    passages = reader.doc_count()
    if passages < COMMON_DOCS:
        return weights
    limit = passages * COMMON_SHARE
    rare = {t: w for t, w in weights.items()
            if max(reader.doc_frequency(f, t) for f in PASSAGE_FIELDS) <= limit}
    return rare or weights


def _phrase(text: str) -> Query | None:
    """``text`` as a phrase (or a single word) in the passage's own fields."""
    words = analyse(text)
    if not words:
        return None
    return Or([Term(name, words[0], boost=FIELD_BOOSTS[name]) if len(words) == 1
               else Phrase(name, words, boost=FIELD_BOOSTS[name])
               for name in PASSAGE_FIELDS])


def _build(concepts: list[Concept], phrases: list[list[str]],
           reader) -> tuple[Query | None, set[str]]:
    """The Whoosh query and the set of index terms to mark in snippets.

    One flat OR of weighted terms, each in every field: Whoosh can then skip
    passages that cannot reach the pool, which a tree of nested queries
    defeats. A term that stands for several alternatives keeps its best
    weight. In a large index, terms most passages contain ("what" in
    "what causes high blood pressure") are left out of the OR while rarer
    ones remain: they would cost a walk through most of the index and tell
    little apart; the re-ranking still counts them. Quoted phrases are
    required around it.
    """
    weights: dict[str, float] = {}
    together: list[Query] = []  # a synonym of several words: all of them
    marked_together: set[str] = set()
    for c in concepts:
        options = [(" ".join(c.words), 1.0)]
        options += [(s, SYNONYM_WEIGHT) for s in c.synonyms]
        options += [(w, FUZZY_WEIGHT / (n + 1)) for n, w in enumerate(c.corrections)]
        for n, (text, weight) in enumerate(options):
            found = analyse(text)
            if n and len(found) > 1:
                # "sciatic nerve pain" stands for "sciatica" only as a whole:
                # its words alone would match every passage about pain.
                together.append(And([_in_fields(t, weight) for t in found]))
                marked_together.update(found)
                continue
            for term in found:
                weights[term] = max(weight, weights.get(term, 0.0))
    marked = set(weights) | marked_together
    searched = _without_common(weights, reader)
    clauses = [_in_fields(term, weight) for term, weight in searched.items()] + together
    should = Or(clauses) if clauses else None
    required = []
    for words in phrases:
        q = _phrase(" ".join(words))
        if q is not None:
            required.append(q)
            marked.update(analyse(" ".join(words)))
    if required:
        must = And(required) if len(required) > 1 else required[0]
        return (AndMaybe(must, should) if should is not None else must), marked
    return should, marked


def _phrase_or_terms_any(groups: list[list[str]]) -> Query | None:
    queries = [q for q in (_phrase(" ".join(g)) for g in groups) if q is not None]
    return Or(queries) if queries else None


def _corrected_text(parsed: ParsedQuery, concepts: list[Concept]) -> str | None:
    """The query with each unknown word replaced by its best correction."""
    text = parsed.text
    for c in concepts:
        if c.corrections:
            text = re.sub(rf"(?<!\w){re.escape(c.words[0])}(?!\w)", c.corrections[0],
                          text, flags=re.IGNORECASE)
    return text if text != parsed.text else None


def article_url(article_id: str) -> str:
    return f"/articles/{quote(article_id)}"


def _record(fields: dict, score: float, marked: set[str], generation: _Generation) -> dict:
    article_id = fields["article_id"]
    anchor = fields["id"].partition("#")[2]
    heading = fields["heading"] if fields["kind"] in ("fact", "question") else None
    return {
        "id": fields["id"],
        "article": {"id": article_id, "title": fields["title"],
                    "url": article_url(article_id)},
        "kind": fields["kind"],
        "number": fields.get("number"),
        "heading": heading,
        "heading_html": mark(heading, marked) if heading else None,
        "snippet": snippet(fields.get("body") or fields.get("heading") or "", marked),
        "url": f"{article_url(article_id)}#{anchor}",
        "source_url": fields.get("url"),
        "score": round(score, 3),
        "related": [_related(title, rid, generation)
                    for title, rid in fields.get("related") or ()],
    }


def _related(title: str, related_id: str | None, generation: _Generation) -> dict:
    """A related topic links to its article when the index has it, else to
    a search for its title."""
    target = related_id if related_id in generation.article_ids else \
        generation.ids_by_title.get(title.casefold())
    url = article_url(target) if target else f"/search?q={quote(title)}"
    return {"title": title, "url": url}
