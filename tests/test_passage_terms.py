"""Re-ranking from the passage terms a build writes (index/building/term_files.py,
index/ranking/passage_terms.py) ranks exactly as analysing the stored text
did; a generation without them, or with damaged ones, still answers."""
from __future__ import annotations

import logging
import shutil

import pytest
from whoosh import index as whoosh_index

from index import SearchIndex, SearchRequest, build_index, generations
from index.building import term_files
from kb.store import load_knowledge_base
from support import HASHED_MODEL

QUERIES = [
    {"query": "symptoms joint pain"},
    {"query": "what causes tired weak muscles"},
    {"query": "is it inherited from parents"},
    {"query": "treatmnt for syndrom"},
    {"query": "rare condition -rash", "per_page": 50},
    {"query": "syndrome", "kind": "question", "page": 2},
    {"query": "syndrome tired", "qtype": "treatment"},
]


@pytest.fixture(scope="module")
def several_segments(tmp_path_factory, medquad_like_kb_dir):
    """The medquad-like articles written by three builds (several segments),
    one article removed by the last (a deleted document in an old one)."""
    articles = load_knowledge_base(medquad_like_kb_dir)
    folder = tmp_path_factory.mktemp("passage-terms-index")
    half = len(articles) // 2
    build_index(articles[:half], folder, model=HASHED_MODEL)
    build_index(articles, folder, model=HASHED_MODEL)
    build_index([*articles[:3], *articles[4:]], folder, model=HASHED_MODEL)
    return folder


def _copy(index_dir, tmp_path, change) -> object:
    """A copy of the index whose current generation's passage terms files
    ``change(path)`` has changed."""
    copy = tmp_path / "copy"
    shutil.copytree(index_dir, copy)
    for path in generations.current_generation(copy).glob("*" + term_files.PART.suffix):
        change(path)
    return copy


def _ranked(index_dir) -> list[list]:
    found = []
    ix = SearchIndex(index_dir, meaning=False)
    try:
        for options in QUERIES:
            response = ix.search(SearchRequest(**{"per_page": 20, **options}))
            found.append([(h.id, h.score) for h in response.passages])
    finally:
        ix.close()
    return found


def test_each_build_writes_passage_terms_for_exactly_its_segments(several_segments):
    folder = generations.current_generation(several_segments)
    ix = whoosh_index.open_dir(str(folder), readonly=True)
    with ix.reader() as reader:
        segment_ids = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
    suffix = term_files.PART.suffix
    assert len(segment_ids) > 1
    assert {p.name[:-len(suffix)] for p in folder.glob("*" + suffix)} == segment_ids


def test_passages_rank_from_their_terms_as_from_their_analysed_text(several_segments, tmp_path):
    with_terms = _ranked(several_segments)
    analysed = _ranked(_copy(several_segments, tmp_path, lambda path: path.unlink()))
    assert all(with_terms), with_terms
    assert with_terms == analysed


def test_passage_terms_are_read_from_the_generation(several_segments, monkeypatch):
    from index.ranking import rerank

    def analysing(*args):
        raise AssertionError("stored text analysed")
    monkeypatch.setattr(rerank, "_from_text", analysing)
    assert all(_ranked(several_segments))


@pytest.mark.parametrize("damage", ["truncated", "emptied", "overwritten"])
def test_damaged_passage_terms_are_logged_once_and_search_ranks_from_the_text(
        several_segments, tmp_path, caplog, damage):
    def spoil(path):
        data = path.read_bytes()
        path.write_bytes({"truncated": data[:len(data) // 2], "emptied": b"",
                          "overwritten": b"\0" * len(data)}[damage])
    expected = _ranked(several_segments)
    with caplog.at_level(logging.ERROR):
        assert _ranked(_copy(several_segments, tmp_path, spoil)) == expected
    logged = [r for r in caplog.records if "passage terms" in r.getMessage()]
    assert len(logged) == 1
