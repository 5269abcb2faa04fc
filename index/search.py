"""A query in, ranked passages out, as the JSON records of DESIGN.

How a query becomes a Whoosh query (see ``_build``):

- the words are grouped into *concepts*: a run of words that is a synonym
  entry ("pins and needles") is one concept, any other word is one;
- a concept matches its own terms, its synonyms (weighted below the
  original) and, for a word the index has never seen, its close spellings
  (edit distance scaled by length, weighted lower still); the scores of
  the alternatives a passage matches add up;
- concepts are OR-ed, and the best-scored pool is re-ranked by the share of
  concepts each passage matches, so passages matching more of the query
  rank first and a passage missing one word is still found;
- quoted phrases are required, ``-exclusions`` mask passages out, ``kind``
  filters.

Every field is searched with its boost from index/schema.py under BM25F.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.query import And, AndMaybe, Or, Phrase, Query, Term

from index import generations
from index.analysis import terms as analyse
from index.highlight import mark, snippet
from index.query import ParsedQuery, parse_query
from index.schema import FIELD_BOOSTS, SEARCH_FIELDS
from kb.article import PASSAGE_KINDS
from kb.errors import QueryError, SearchIndexError

MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 10
MAX_PAGE = 1000
SYNONYM_WEIGHT = 0.8
FUZZY_WEIGHT = 0.7
COORDINATION_FLOOR = 0.2
RERANK_POOL = 100
PROXIMITY_WEIGHT = 0.5
PROXIMITY_SLOP = 2
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
        self.ix = whoosh_index.open_dir(str(path), readonly=True)
        manifest = generations.read_manifest(path).get("articles", {})
        self.manifest = manifest
        self.article_ids = set(manifest)
        self.ids_by_title = {}
        for article_id, entry in sorted(manifest.items()):
            self.ids_by_title.setdefault(entry["title"].casefold(), article_id)
        self.titles = {aid: entry["title"] for aid, entry in manifest.items()}


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
               kind: str | None = None) -> dict:
        """The DESIGN search response for ``raw_query``."""
        started = time.perf_counter()
        _check_params(page, per_page, kind)
        parsed = parse_query(raw_query)
        response = {"query": parsed.text, "corrected": None, "correction_applied": False,
                    "message": None, "total": 0, "page": page, "per_page": per_page,
                    "took_ms": 0.0, "results": []}
        if parsed.empty:
            response["message"] = EMPTY_QUERY_MESSAGE
        else:
            generation, searcher = self._searcher()
            self._run(searcher, generation, parsed, response, page, per_page, kind)
        response["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return response

    def _run(self, searcher, generation, parsed: ParsedQuery, response: dict,
             page: int, per_page: int, kind: str | None) -> None:
        reader = searcher.reader()
        concepts = self._concepts(parsed.words, reader)
        query, marked = _build(concepts, parsed.phrases)
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
        # Whoosh ranks a pool by BM25F; the pool is then re-ranked by how
        # many of the query's concepts each passage covers (see _coverage).
        pool = max(RERANK_POOL, page * per_page)
        results = searcher.search(query, limit=pool, terms=True,
                                  filter=kind_filter, mask=mask)
        response["total"] = len(results)
        if not response["total"]:
            response["message"] = "No passages match this query."
            return
        concept_terms = [_concept_terms(c) for c in concepts]
        ranked = sorted(((hit.score * _coverage(hit, concept_terms), hit.rank, hit)
                         for hit in results), key=lambda r: (-r[0], r[1]))
        for score, _, hit in ranked[(page - 1) * per_page:page * per_page]:
            response["results"].append(_record(hit.fields(), score, marked, generation))

    def _concepts(self, words: list[str], reader) -> list[Concept]:
        synonyms = self._synonyms()
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


def _check_params(page: int, per_page: int, kind: str | None) -> None:
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
    for candidate in reader.terms_within("vocab", word, edits, prefix=1):
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


def _coverage(hit, concept_terms: list[set[str]]) -> float:
    """A coordination factor: the share of concepts the passage matches,
    squared so a passage missing one word still ranks, but below those that
    have them all."""
    if len(concept_terms) < 2:
        return 1.0
    matched = {text.decode("utf-8") for _, text in hit.matched_terms()}
    share = sum(1 for terms in concept_terms if terms & matched) / len(concept_terms)
    return COORDINATION_FLOOR + (1 - COORDINATION_FLOOR) * share ** 2


def _alternative(text: str, weight: float, fields=SEARCH_FIELDS,
                 exact: bool = False) -> Query | None:
    """``text`` (a word or several) searched in ``fields``.

    Several words must all match; ``exact`` asks for them as a phrase (a
    quoted phrase, an exclusion). Otherwise each word scores on its own —
    Whoosh scores a phrase below its words — so "sedentary lifestyle" in a
    question outranks a synonym alone in a body.
    """
    words = analyse(text)
    if not words:
        return None
    if len(words) > 1 and not exact:
        return And([_in_fields([w], weight, fields) for w in words])
    return _in_fields(words, weight, fields)


def _in_fields(words: list[str], weight: float, fields) -> Query:
    """Index terms (one, or a phrase) in any of ``fields``, boosted."""
    return Or([Term(name, words[0], boost=FIELD_BOOSTS[name] * weight) if len(words) == 1
               else Phrase(name, words, boost=FIELD_BOOSTS[name] * weight)
               for name in fields])


def _build(concepts: list[Concept], phrases: list[list[str]]) -> tuple[Query | None, set[str]]:
    """The Whoosh query and the set of index terms to mark in snippets."""
    marked: set[str] = set()
    optional = []
    for c in concepts:
        options = [(" ".join(c.words), 1.0)]
        options += [(s, SYNONYM_WEIGHT) for s in c.synonyms]
        options += [(w, FUZZY_WEIGHT / (n + 1)) for n, w in enumerate(c.corrections)]
        queries = []
        for text, weight in options:
            q = _alternative(text, weight)
            if q is not None:
                queries.append(q)
                marked.update(analyse(text))
        if queries:
            # Or sums the alternatives a passage matches. (Whoosh 2.7's
            # DisjunctionMax gives every match the same score.)
            optional.append(queries[0] if len(queries) == 1 else Or(queries))
    optional += _proximity(concepts)
    required = []
    for words in phrases:
        q = _alternative(" ".join(words), 1.0, PASSAGE_FIELDS, exact=True)
        if q is not None:
            required.append(q)
            marked.update(analyse(" ".join(words)))
    should = Or(optional) if len(optional) > 1 else (
        optional[0] if optional else None)
    if required:
        must = And(required) if len(required) > 1 else required[0]
        return (AndMaybe(must, should) if should is not None else must), marked
    return should, marked


def _proximity(concepts: list[Concept]) -> list[Query]:
    """A bonus for passages where two neighbouring query words stand close
    together ("sleeping position" near "sleeping positions")."""
    words = [t for c in concepts for t in analyse(" ".join(c.words))]
    pairs = dict.fromkeys((a, b) for a, b in zip(words, words[1:]) if a != b)
    return [Or([Phrase(name, [a, b], slop=PROXIMITY_SLOP,
                       boost=FIELD_BOOSTS[name] * PROXIMITY_WEIGHT)
                for name in PASSAGE_FIELDS])
            for a, b in pairs]


def _phrase_or_terms_any(groups: list[list[str]]) -> Query | None:
    queries = [q for q in (_alternative(" ".join(g), 1.0, PASSAGE_FIELDS, exact=True)
                           for g in groups)
               if q is not None]
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
