"""index/ranking/impacts.py: numpy BM25F over arrays derived from Whoosh's postings
ranks as Whoosh's own BM25F does."""
from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.query import Or, Phrase, Term

from index import generations
from index.building import impact_files
from index.ranking import impacts
from index.understanding.analysis import terms as analyse
from index.building.build import build_index
from index.ranking.facets import FacetColumns
from index.schema import FIELD_BOOSTS, SEARCH_FIELDS

from support import HASHED_MODEL

QUERIES = [
    {"numb": 1.0, "leg": 1.0},
    {"sciatica": 1.0, "nerv": 0.8, "pain": 1.0},
    {"sleep": 1.0, "posit": 1.0, "arm": 0.7, "circul": 0.35},
    {"blood": 1.0},
    {"what": 1.0, "caus": 1.0, "tingl": 1.0, "feet": 1.0, "night": 1.0},
]


def _generated_articles(make_article, seed_article, count: int, rng: random.Random):
    """Articles of random sentences drawn from the seed's words, so terms
    recur across articles with varied frequencies and field lengths."""
    words = sorted({w for p in seed_article.passages()
                    for w in (p.heading + " " + p.body).split() if w.isalpha()})
    def sentence(n):
        return " ".join(rng.choice(words) for _ in range(n)) + "."
    return [make_article(f"gen-{n}", f"Generated {n} {sentence(2)}",
                         intro=sentence(rng.randint(5, 40)),
                         facts=[(sentence(rng.randint(1, 6)), sentence(rng.randint(3, 80)))
                                for _ in range(rng.randint(1, 4))],
                         questions=[(sentence(rng.randint(3, 12)), sentence(rng.randint(0, 60)))
                                    for _ in range(rng.randint(0, 5))])
            for n in range(count)]


@pytest.fixture(scope="module")
def several_segments(tmp_path_factory, make_article, seed_article):
    """An index of the seed article and generated ones, written by three
    builds (so several segments) with one article changed and one removed
    along the way (so deleted documents in an old segment)."""
    rng = random.Random(12)
    articles = [seed_article, *_generated_articles(make_article, seed_article, 60, rng)]
    folder = tmp_path_factory.mktemp("impacts-index")
    build_index(articles[:40], folder, model=HASHED_MODEL)
    build_index(articles[:55], folder, model=HASHED_MODEL)
    changed = _generated_articles(make_article, seed_article, 1, random.Random(99))[0]
    changed = type(changed)("gen-3", changed.title, changed.sections, changed.related)
    # articles[n + 1] is gen-n: gen-3 changes, gen-50 goes.
    build_index([*articles[:4], changed, *articles[5:51], *articles[52:]], folder,
                model=HASHED_MODEL)
    return folder


def _whoosh_top(folder, weighted: dict, limit: int, filter=None, mask=None):
    ix = whoosh_index.open_dir(str(folder), readonly=True)
    query = Or([Term(field, term, boost=FIELD_BOOSTS[field] * w)
                for term, w in weighted.items() for field in SEARCH_FIELDS])
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        hits = searcher.search(query, limit=limit, filter=filter, mask=mask)
        return [(hit.docnum, hit.score) for hit in hits]


def _open(folder):
    ix = whoosh_index.open_dir(str(folder), readonly=True)
    searcher = ix.searcher()
    return searcher, impacts.Impacts.open(folder, searcher.reader())


def test_the_fixture_has_several_segments_and_deleted_documents(several_segments):
    searcher, _ = _open(generations.current_generation(several_segments))
    with searcher:
        reader = searcher.reader()
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        assert len(leaves) > 1
        assert any(leaf.has_deletions() for leaf in leaves)


@pytest.mark.parametrize("weighted", QUERIES, ids=lambda q: " ".join(q))
def test_the_numpy_top_ten_is_whooshs_bm25f_top_ten_with_the_same_scores(
        several_segments, weighted):
    folder = generations.current_generation(several_segments)
    expected = _whoosh_top(folder, weighted, 10)
    searcher, scorer = _open(folder)
    with searcher:
        found = scorer.score(weighted, 10)
    assert [d for d, _ in expected] == found.docnums.tolist()
    assert found.scores == pytest.approx([s for _, s in expected], rel=1e-9)


def test_every_match_is_counted_and_ranked_as_whoosh_ranks_them(several_segments):
    folder = generations.current_generation(several_segments)
    weighted = QUERIES[2]
    expected = _whoosh_top(folder, weighted, None)
    searcher, scorer = _open(folder)
    with searcher:
        found = scorer.score(weighted, None)
    assert found.total == len(expected) == len(found.docnums)
    assert found.docnums.tolist() == [d for d, _ in expected]


def test_deleted_passages_never_score(several_segments):
    folder = generations.current_generation(several_segments)
    searcher, scorer = _open(folder)
    with searcher:
        reader = searcher.reader()
        found = scorer.score({t: 1.0 for t in ("numb", "leg", "blood", "nerv")}, None)
        assert found.total > 0
        assert not any(reader.is_deleted(int(d)) for d in found.docnums)
        removed = {f["id"] for f in (reader.stored_fields(int(d)) for d in found.docnums)
                   if f["article_id"] == "gen-50"}
        assert not removed


def test_a_kind_mask_keeps_that_kind_as_a_whoosh_filter_does(several_segments):
    folder = generations.current_generation(several_segments)
    weighted = QUERIES[1]
    expected = _whoosh_top(folder, weighted, 10, filter=Term("kind", "question"))
    searcher, scorer = _open(folder)
    with searcher:
        allowed = FacetColumns().mask(searcher.reader(), "kind", "question")
        found = scorer.score(weighted, 10, allowed=allowed)
        kinds = {searcher.stored_fields(int(d))["kind"] for d in found.docnums}
    assert kinds == {"question"}
    assert found.docnums.tolist() == [d for d, _ in expected]


def test_an_exclusion_mask_from_a_whoosh_query_removes_its_matches(several_segments):
    folder = generations.current_generation(several_segments)
    weighted = QUERIES[0]
    phrase = Or([Phrase(f, analyse("numb leg")) for f in SEARCH_FIELDS])
    expected = _whoosh_top(folder, weighted, 10, mask=phrase)
    searcher, scorer = _open(folder)
    with searcher:
        excluded = scorer.mask(impacts.docnums(searcher, phrase))
        assert excluded.any()
        found = scorer.score(weighted, 10, excluded=excluded)
    assert found.docnums.tolist() == [d for d, _ in expected]
    assert not excluded[found.docnums].any()


def test_a_group_scores_only_where_all_its_terms_match(several_segments):
    from whoosh.query import And

    folder = generations.current_generation(several_segments)
    group = {"sciatic": 0.8, "nerv": 0.8}
    ix = whoosh_index.open_dir(str(folder), readonly=True)
    query = Or([*(Term(f, "leg", boost=FIELD_BOOSTS[f]) for f in SEARCH_FIELDS),
                And([Or([Term(f, t, boost=FIELD_BOOSTS[f] * w) for f in SEARCH_FIELDS])
                     for t, w in group.items()])])
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        expected = [(h.docnum, h.score) for h in searcher.search(query, limit=10)]
        scorer = impacts.Impacts.open(folder, searcher.reader())
        found = scorer.score({"leg": 1.0}, 10, groups=[group])
    assert found.docnums.tolist() == [d for d, _ in expected]
    assert found.scores == pytest.approx([s for _, s in expected], rel=1e-9)


def test_a_field_pair_searches_that_field_alone(several_segments):
    folder = generations.current_generation(several_segments)
    searcher, scorer = _open(folder)
    with searcher:
        heading = scorer.score({("heading", "sciatica"): 1.0}, None)
        both = scorer.score({"sciatica": 1.0}, None)
        assert 0 < heading.total < both.total
        for d in heading.docnums:
            assert "sciatica" in analyse(searcher.stored_fields(int(d))["heading"])


def test_each_build_publishes_arrays_for_exactly_its_segments(several_segments):
    folder = generations.current_generation(several_segments)
    ix = whoosh_index.open_dir(str(folder), readonly=True)
    with ix.reader() as reader:
        segment_ids = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
    assert {p.name[:-len(impact_files.SUFFIX)] for p in folder.glob("*" + impact_files.SUFFIX)} \
        == segment_ids


def test_a_generation_without_arrays_opens_as_none(tmp_path, seed_article):
    build_index([seed_article], tmp_path, model=HASHED_MODEL)
    folder = generations.current_generation(tmp_path)
    for path in folder.glob("*" + impact_files.SUFFIX):
        path.unlink()
    searcher, scorer = _open(folder)
    with searcher:
        assert scorer is None


def test_unknown_terms_and_zero_weights_match_nothing(several_segments):
    searcher, scorer = _open(generations.current_generation(several_segments))
    with searcher:
        found = scorer.score({"zzzqqq": 1.0, "leg": 0.0}, 10)
    assert found.total == 0 and len(found.docnums) == 0
    assert found.docnums.dtype.kind == "i"
    assert isinstance(found.scores, np.ndarray)


def test_the_search_plans_flat_or_converts_and_scores_as_whoosh_runs_it(several_segments):
    from whoosh.query import And

    from index.understanding.query_plan import _in_fields

    folder = generations.current_generation(several_segments)
    query = Or([_in_fields("leg", 1.0), _in_fields("numb", 0.8), _in_fields("leg", 0.5),
                And([_in_fields("sciatic", 0.8), _in_fields("nerv", 0.8)])])
    flat = impacts.flat_or(query)
    assert flat is not None and len(flat.groups) == 1
    ix = whoosh_index.open_dir(str(folder), readonly=True)
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        expected = [(h.docnum, h.score) for h in searcher.search(query, limit=10)]
        scorer = impacts.Impacts.open(folder, searcher.reader())
        found = scorer.score(flat.terms, 10, groups=flat.groups)
    assert found.docnums.tolist() == [d for d, _ in expected]
    assert found.scores == pytest.approx([s for _, s in expected], rel=1e-9)


def test_a_required_phrase_is_not_a_flat_or():
    from whoosh.query import AndMaybe

    phrase = Or([Phrase(f, ["numb", "leg"]) for f in SEARCH_FIELDS])
    assert impacts.flat_or(AndMaybe(phrase, Or([Term("body", "leg")]))) is None
    assert impacts.flat_or(phrase) is None


# --- SearchIndex scores the flat OR with the arrays: the same ranking as Whoosh

def _without_arrays(index_dir, tmp_path):
    """A copy of the index whose current generation has no arrays, as one
    built before they existed: SearchIndex then ranks with Whoosh."""
    import shutil

    copy = tmp_path / "whoosh-only"
    shutil.copytree(index_dir, copy)
    for path in generations.current_generation(copy).glob("*" + impact_files.SUFFIX):
        path.unlink()
    return copy


def _search_queries() -> list[dict]:
    from medquad_like import topic_names

    names = topic_names()
    return [
        *({"query": f"{name.split()[0].lower()} symptoms"} for name in names[:12]),
        *({"query": f"What causes {name}?"} for name in names[12:20]),
        {"query": "my son is very tired and has joint pain, is it inherited from us"},
        {"query": "treatmnt for syndrom"},
        {"query": "symptoms joint pain -rash"},
        {"query": "syndrome", "kind": "question", "page": 3},
        {"query": "syndrome tired", "qtype": "treatment"},
        {"query": "tired weak", "per_page": 50, "page": 2},
        {"query": "rare condition", "per_article": 3},
    ]


def test_search_ranks_with_the_arrays_as_with_whoosh(medquad_like_index_dir, tmp_path):
    from index import SearchIndex, SearchRequest

    with_arrays = SearchIndex(medquad_like_index_dir, meaning=False)
    whoosh_only = SearchIndex(_without_arrays(medquad_like_index_dir, tmp_path), meaning=False)
    try:
        for options in _search_queries():
            request = SearchRequest(**options)
            ours, theirs = with_arrays.search(request), whoosh_only.search(request)
            assert ours.passages, options
            assert [(h.id, h.score) for h in ours.passages] == \
                [(h.id, h.score) for h in theirs.passages], options
            if not theirs.total_is_estimate:
                assert (ours.total, ours.total_is_estimate) == (theirs.total, False), options
            else:
                # Whoosh only estimated (and its estimate ignores filters);
                # the arrays count every match.
                assert not ours.total_is_estimate and ours.total >= 100, options
    finally:
        with_arrays.close()
        whoosh_only.close()


@pytest.mark.parametrize("damage", ["truncated", "emptied", "overwritten"])
def test_damaged_arrays_leave_the_search_to_whoosh(medquad_like_index_dir, tmp_path, damage):
    import shutil

    from index import SearchIndex

    copy = tmp_path / "damaged"
    shutil.copytree(medquad_like_index_dir, copy)
    path = next(generations.current_generation(copy).glob("*" + impact_files.SUFFIX))
    data = path.read_bytes()
    path.write_bytes({"truncated": data[:len(data) // 2], "emptied": b"",
                      "overwritten": b"\0" * len(data)}[damage])
    damaged = SearchIndex(copy, meaning=False)
    whoosh_only = SearchIndex(_without_arrays(medquad_like_index_dir, tmp_path), meaning=False)
    try:
        ours, theirs = damaged.search("tired weak"), whoosh_only.search("tired weak")
        assert ours.hits and [h.id for h in ours.hits] == [h.id for h in theirs.hits]
    finally:
        damaged.close()
        whoosh_only.close()
