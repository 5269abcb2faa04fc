"""Passage vectors in generations (index/meaning/vectors.py): written with each
generation, reused by text hash across generations, optional for readers."""
from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from index import generations
from index.meaning import vectors
from index.building.build import build_index, sync_index
from index.meaning.dense import DenseIndex
from index.reading.search import SearchIndex
from kb.article import Section
from kb.store import write_articles

from hashed_model import HashedModel


class CountingModel(HashedModel):
    """The tests' hashed model, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed_passages(self, texts, progress=None):
        self.texts += texts
        return super().embed_passages(texts, progress)


@pytest.fixture
def model():
    return CountingModel()


def current_vectors(index_dir):
    return vectors.read_vectors(generations.current_generation(index_dir))


def with_answer(article, number, answer):
    """The article with question ``number`` answered differently."""
    sections = tuple(dataclasses.replace(s, answer=answer)
                     if s.kind == "question" and s.number == number else s
                     for s in article.sections)
    return dataclasses.replace(article, sections=sections)


def test_a_build_stores_one_unit_vector_per_passage(tmp_path, seed_article, model):
    report = build_index([seed_article], tmp_path, model=model)
    stored = current_vectors(tmp_path)
    assert sorted(stored.ids) == sorted(p.id for p in seed_article.passages())
    assert stored.matrix.dtype == np.float16
    assert stored.matrix.shape == (len(stored.ids), model.dim)
    assert np.allclose(np.linalg.norm(stored.matrix.astype(np.float32), axis=1), 1, atol=1e-2)
    assert stored.model == model.model_id
    assert report.vectors.embedded == len(model.texts) == len(stored.ids)


def test_an_incremental_build_embeds_only_the_changed_passage(tmp_path, seed_article,
                                                              make_article, model):
    other = make_article("cramps", "Cramps", facts=[("Cramps", "A cramp grips the calf.")])
    build_index([seed_article, other], tmp_path, model=model)
    before = current_vectors(tmp_path)
    before_rows = {pid: np.array(before.matrix[i]) for i, pid in enumerate(before.ids)}
    model.texts.clear()

    changed = with_answer(seed_article, 3, "Crossing your legs presses the peroneal nerve.")
    report = build_index([changed, other], tmp_path, model=model)

    assert len(model.texts) == 1 and "peroneal" in model.texts[0]
    assert (report.vectors.embedded, report.vectors.reused) == (1, len(before.ids) - 1)
    after = current_vectors(tmp_path)
    assert sorted(after.ids) == sorted(before.ids)
    for i, pid in enumerate(after.ids):
        same = np.array_equal(after.matrix[i], before_rows[pid])
        assert same == (pid != f"{seed_article.id}#q-3"), pid


def test_a_full_rebuild_reuses_every_unchanged_vector(tmp_path, seed_article, model):
    build_index([seed_article], tmp_path, model=model)
    model.texts.clear()
    report = build_index([seed_article], tmp_path, full=True, model=model)
    assert model.texts == []
    assert report.vectors.reused == len(seed_article.passages())


def test_removed_articles_leave_the_vectors_and_added_ones_join(tmp_path, seed_article,
                                                                make_article, model):
    other = make_article("cramps", "Cramps", facts=[("Cramps", "A cramp grips the calf.")])
    build_index([seed_article, other], tmp_path, model=model)
    build_index([other], tmp_path, model=model)
    assert current_vectors(tmp_path).ids == ["cramps#fact-1"]
    model.texts.clear()
    build_index([other, seed_article], tmp_path, model=model)
    # The seed's vectors were in the generation before last, not the
    # current one: they are embedded again.
    assert len(model.texts) == len(seed_article.passages())
    assert len(current_vectors(tmp_path).ids) == 1 + len(seed_article.passages())


def test_the_same_text_twice_is_embedded_once(tmp_path, make_article, model):
    twice = make_article("twice", "Twice", questions=[("Is it inherited?", ""),
                                                      ("Is it inherited?", "")])
    twice = dataclasses.replace(twice, sections=tuple(
        dataclasses.replace(s, url="https://example.org") for s in twice.sections))
    build_index([twice], tmp_path, model=model)
    assert len(model.texts) == 1
    assert len(current_vectors(tmp_path).ids) == 2


def test_an_incremental_build_never_changes_the_previous_generations_files(
        tmp_path, seed_article, model):
    build_index([seed_article], tmp_path, model=model)
    old_generation = generations.current_generation(tmp_path)
    old_bytes = (old_generation / vectors.VECTORS).read_bytes()
    old_ids = (old_generation / vectors.VECTOR_IDS).read_bytes()
    build_index([with_answer(seed_article, 1, "Something else entirely.")], tmp_path, model=model)
    assert generations.current_generation(tmp_path) != old_generation
    # The new folder started as hard links to these files.
    assert (old_generation / vectors.VECTORS).read_bytes() == old_bytes
    assert (old_generation / vectors.VECTOR_IDS).read_bytes() == old_ids


def test_an_up_to_date_index_without_vectors_gets_them_from_its_own_text(
        tmp_path, seed_article, model):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    write_articles([seed_article], kb_dir)
    sync_index(kb_dir, index_dir, model=model)
    expected = current_vectors(index_dir)
    # As if built before vectors existed.
    vectors.remove_vectors(generations.current_generation(index_dir))
    assert DenseIndex.open(generations.current_generation(index_dir)) is None
    model.texts.clear()

    report = sync_index(kb_dir, index_dir, model=model)  # no article changed, none is read

    assert report.changed and report.vectors.embedded == len(seed_article.passages())
    rebuilt = current_vectors(index_dir)
    # Text read back from the Whoosh index is the text embedded from the article.
    assert dict(zip(rebuilt.ids, rebuilt.hashes)) == dict(zip(expected.ids, expected.hashes))
    model.texts.clear()
    assert not sync_index(kb_dir, index_dir, model=model).changed
    assert model.texts == []


def test_without_the_model_a_generation_has_no_vectors_and_still_searches(
        tmp_path, seed_article):
    report = build_index([seed_article], tmp_path, model=None)
    generation = generations.current_generation(tmp_path)
    assert report.vectors is None
    assert not (generation / vectors.VECTORS).exists()
    assert DenseIndex.open(generation) is None
    engine = SearchIndex(tmp_path)
    try:
        assert engine.search("sciatica").hits
    finally:
        engine.close()


def test_vectors_of_another_model_are_not_reused(tmp_path, seed_article, model,
                                                monkeypatch):
    build_index([seed_article], tmp_path, model=model)
    model.texts.clear()
    monkeypatch.setattr(CountingModel, "model_id", "another-model")
    report = build_index([seed_article], tmp_path, full=True, model=model)
    assert len(model.texts) == len(seed_article.passages())
    assert current_vectors(tmp_path).model == "another-model"
    assert report.vectors.reused == 0


def test_vectors_not_matching_their_ids_read_as_none(tmp_path, seed_article, model):
    build_index([seed_article], tmp_path, model=model)
    generation = generations.current_generation(tmp_path)
    np.save(generation / vectors.VECTORS, np.zeros((2, model.dim), np.float16))
    assert vectors.read_vectors(generation) is None
    assert DenseIndex.open(generation) is None


def test_embedding_progress_counts_up_to_the_texts_embedded(tmp_path, seed_article, model):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    write_articles([seed_article], kb_dir)
    calls = []
    sync_index(kb_dir, index_dir, embed_progress=lambda done, total: calls.append((done, total)), model=model)
    total = len(seed_article.passages())
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
