"""Dense retrieval over a generation's passage vectors (index/meaning/dense.py)."""
from __future__ import annotations

import numpy as np
import pytest

from index import generations
from index.meaning.dense import DenseIndex
from support import HASHED_MODEL


@pytest.fixture(scope="module")
def dense(seed_meaning_index_dir):
    return DenseIndex.open(generations.current_generation(seed_meaning_index_dir))


def unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def toy():
    rows = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1]], np.float16)
    return DenseIndex("toy", ["a#q-1", "a#q-2", "b#q-1", "c#intro"], rows)


def test_nearest_ranks_rows_by_dot_product_best_first():
    rows, sims = toy().nearest(unit([1, 0.1, 0]), k=3)
    assert rows.tolist() == [0, 1, 2]
    assert (np.diff(sims) <= 0).all()
    assert sims[0] == pytest.approx(unit([1, 0.1, 0]) @ [1, 0, 0], abs=1e-3)


def test_nearest_searches_only_the_allowed_rows_mask_or_numbers():
    index = toy()
    q = unit([1, 0.1, 0])
    mask = np.array([False, True, False, True])
    assert index.nearest(q, k=5, allowed=mask)[0].tolist() == [1, 3]
    assert index.nearest(q, k=1, allowed=np.array([2, 3]))[0].tolist() == [2]
    assert index.nearest(q, k=3, allowed=np.zeros(4, bool))[0].tolist() == []
    # Each mask keeps its own rows, however often masks alternate.
    other = np.array([True, False, True, False])
    for _ in range(3):
        assert index.nearest(q, k=5, allowed=other)[0].tolist() == [0, 2]
        assert index.nearest(q, k=5, allowed=mask)[0].tolist() == [1, 3]


def test_k_larger_than_the_index_returns_every_row():
    assert sorted(toy().nearest(unit([0, 0, 1]), k=50)[0].tolist()) == [0, 1, 2, 3]


def test_rows_map_to_passage_ids_and_back():
    index = toy()
    assert index.ids[index.row("b#q-1")] == "b#q-1"
    assert index.row("nowhere#q-9") is None


@pytest.mark.slow  # the real model
def test_rows_map_to_the_whoosh_documents_of_the_same_generation(seed_meaning_index_dir,
                                                                 dense):
    from index.reading.searchers import Generation

    generation = Generation(generations.current_generation(seed_meaning_index_dir))
    with generation.ix.searcher() as searcher:
        docnums, answered = generation.dense_rows(searcher.reader())
        assert (docnums >= 0).all()
        for row in range(len(dense)):
            fields = searcher.stored_fields(int(docnums[row]))
            assert fields["id"] == generation.dense.ids[row]
            assert answered[row] == bool(fields["kind"] != "question" or fields["body"])
    generation.ix.close()


@pytest.mark.slow  # the real model
def test_a_reader_question_in_other_words_finds_its_passage(dense, seed_article, meaning_model):
    query = meaning_model.embed_query("my back hurts and the pain shoots down my leg")
    rows, _ = dense.nearest(query, k=3)
    assert f"{seed_article.id}#fact-4" in [dense.ids[r] for r in rows]  # Sciatica


@pytest.mark.slow  # the real model
def test_similarities_of_chosen_rows_match_the_full_ranking(dense, meaning_model):
    query = meaning_model.embed_query("numb arm in the morning")
    rows, sims = dense.nearest(query, k=4)
    assert np.allclose(dense.similarities(query, rows), sims)


def test_documents_read_from_the_ids_a_build_kept_or_the_term_dictionary_match_the_stored_fields(
        tmp_path, make_article):
    """After an incremental build (an updated passage has a deleted document
    in an older segment), with a question whose answer is only at its source:
    the rows mapped through the passage ids the scoring arrays keep, and
    through the term dictionary (a generation derived before they were kept)."""
    from dataclasses import replace

    from index.building.build import sync_index
    from index.reading.searchers import Generation
    from kb.article import Section
    from kb.store import write_article

    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    knee = make_article("knee", "Knee Pain", facts=[("Popping", "The knee pops.")],
                        questions=[("Why does my knee hurt?", "Strain, mostly.")])
    pointer = replace(make_article("hip", "Hip Pain", intro="Hips ache."), sections=(
        Section("intro", text="Hips ache."),
        Section("question", number=1, question="What is hip pain?", answer="",
                url="https://example.org/hip")))
    for article in (knee, pointer):
        write_article(article, kb_dir)
    sync_index(kb_dir, index_dir, model=HASHED_MODEL)
    write_article(replace(knee, title="Knee Pain and Popping"), kb_dir, force=True)
    assert sync_index(kb_dir, index_dir, model=HASHED_MODEL).changed
    generation = Generation(generations.current_generation(index_dir))
    with generation.ix.searcher() as searcher:
        reader = searcher.reader()
        assert reader.has_deletions()
        impacts = generation.impacts(reader)
        assert all(ids is not None for _, ids, _ in impacts.segment_documents())
        docnums, answered = generation.dense.documents(reader, impacts)
        assert (docnums >= 0).all()
        for row, docnum in enumerate(docnums.tolist()):
            fields = searcher.stored_fields(docnum)
            assert fields["id"] == generation.dense.ids[row]
            assert answered[row] == bool(fields["kind"] != "question" or fields["body"])
        assert not answered.all()
        from_terms = generation.dense.documents(reader)
        assert from_terms[0].tolist() == docnums.tolist()
        assert from_terms[1].tolist() == answered.tolist()
    generation.ix.close()
