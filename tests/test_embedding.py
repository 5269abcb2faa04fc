"""The embedding model as shipped (index/meaning/embedding.py)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.meaning import embedding

pytestmark = pytest.mark.slow  # the real model


@pytest.fixture(scope="module")
def model():
    return embedding.embedder()


def test_a_query_is_one_unit_float32_vector_of_the_model_dimension(model):
    v = model.embed_query("why does my leg go numb when I lie down?")
    assert v.shape == (embedding.DIM,)
    assert v.dtype == np.float32
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)


def test_passages_are_unit_rows_in_the_order_given(model):
    texts = ["Sciatica. Pain down the back of the leg.", "A short one.",
             "Pinched nerves. " + "A nerve pressed by bone or muscle. " * 40]
    rows = model.embed_passages(texts)
    assert rows.shape == (3, embedding.DIM)
    assert rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    # Row i is text i whatever the batching (batches are sorted by length):
    # each row is nearest to its own text embedded alone.
    alone = np.stack([model.embed_query(t) for t in texts])
    assert (np.argmax(rows @ alone.T, axis=1) == [0, 1, 2]).all()
    assert np.diag(rows @ alone.T).min() > 0.99


def test_the_same_text_always_gets_the_same_vector(model):
    text = "tingling in the feet after sitting cross-legged"
    assert np.array_equal(model.embed_query(text), model.embed_query(text))
    assert np.array_equal(model.embed_passages([text, "x"])[0],
                          model.embed_passages([text, "x"])[0])


def test_a_paraphrase_is_closer_than_an_unrelated_text(model):
    query = model.embed_query("my leg falls asleep when I lie on my side")
    paraphrase = model.embed_query("lying down makes one leg go numb and tingle")
    unrelated = model.embed_query("how to repay a student loan early")
    assert query @ paraphrase > query @ unrelated + 0.2


def test_a_long_text_is_cut_to_what_the_model_reads(model):
    long_text = "numbness " * 2000
    assert len(model._encode([long_text])[0]) == embedding.MAX_TOKENS
    assert model.embed_query(long_text).shape == (embedding.DIM,)


def test_the_model_loads_on_first_use_and_runs_each_call_on_one_thread():
    fresh = embedding.Embedder(workers=2)
    assert fresh._session is None  # nothing loaded by constructing it
    fresh.embed_query("x")
    options = fresh._session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)


def test_passages_embedded_on_several_workers_equal_those_on_one():
    texts = [f"passage {n}: " + "numb leg " * (n % 7) for n in range(200 + 5)]
    one = embedding.Embedder(workers=1).embed_passages(texts)
    done = []
    two = embedding.Embedder(workers=2).embed_passages(texts, done.append)
    assert np.array_equal(one, two)
    assert sum(done) == len(texts) and len(done) > 1


def test_an_error_in_a_worker_reaches_the_caller(monkeypatch):
    model = embedding.Embedder(workers=2)
    model.embed_query("load")

    def broken(token_ids):
        raise RuntimeError("model failed")
    monkeypatch.setattr(model, "_run", broken)
    with pytest.raises(RuntimeError, match="model failed"):
        model.embed_passages(["a"] * 1000)


def test_one_model_per_process():
    assert embedding.embedder() is embedding.embedder()


def test_an_empty_list_of_passages_embeds_to_no_rows(model):
    assert model.embed_passages([]).shape == (0, embedding.DIM)


REFERENCE = Path(__file__).parent / "fixtures" / "embedding"


def test_passages_get_the_vectors_earlier_builds_stored_for_the_same_text(model):
    """Vectors are reused across builds by text hash (index/meaning/vectors.py): a
    text embedded now must get what earlier versions of the batching gave
    it (reference.npy: one text at a time on one thread, sorted in chunks
    of a shuffle), for texts from 3 to 128 tokens."""
    reference = json.loads((REFERENCE / "reference.json").read_text(encoding="utf-8"))
    assert reference["model"] == embedding.MODEL_ID
    stored = np.load(REFERENCE / "reference.npy")
    # Among many others, so each reference text shares its batch.
    texts = reference["texts"]
    others = [f"filler passage {n} about legs " * (n % 8 + 1) for n in range(60)]
    rows = embedding.Embedder(workers=2).embed_passages([*others, *texts])[len(others):]
    assert (rows * stored).sum(axis=1).min() >= 0.999
