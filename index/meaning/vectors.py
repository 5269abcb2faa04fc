"""Passage vectors as part of a generation, cached across generations.

A generation that has vectors holds two files beside its Whoosh segments:

- ``vectors.npy``: one float16 row per passage, unit length (float16 halves
  the file every host copies; readers widen it once, see index/meaning/dense.py);
- ``vectors.json``: the model id, the passage ids in row order and, per
  row, the hash of the text that was embedded.

A build writes both inside the new generation's folder before it is
published (index/generations.py), so a generation's text index and vectors
are always of the same passages. Vectors are reused by text hash: every
row of the previous generation whose text is unchanged is copied, not
embedded again, whether the build is incremental or full; only new or
changed passages go through the model. A generation built before vectors
existed has no such files: readers then search lexically, and the next
build embeds its passages (their text is read back from the Whoosh index).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from index.generations import VECTOR_IDS, VECTORS, GenerationWriter
from kb.article import Article
FORMAT = 1
STORED_DTYPE = np.float16



class PassageModel(Protocol):
    """What a build needs of the model (index/meaning/embedding.py's Embedder)."""
    model_id: str
    dim: int
    max_chars: int

    def embed_passages(self, texts: Sequence[str],
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(len(texts), dim) float32 unit rows."""

# progress(done, total): (0, total) once before embedding starts, then after each batch
Progress = Callable[[int, int], None]


def passage_text(title: str, heading: str, body: str, max_chars: int) -> str:
    """What is embedded for a passage: the article title, the question or
    fact heading, then the start of the answer or text (the model reads
    only its first tokens, so the rest is cut before tokenizing)."""
    head = heading if heading and heading != title else ""
    text = " ".join(part for part in (f"{title}.", head, body) if part)
    return text[:max_chars]


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class StoredVectors:
    """A generation's vectors as written: ``matrix`` row i is ``ids[i]``."""
    model: str
    ids: list[str]
    hashes: list[str]
    matrix: np.ndarray  # (len(ids), dim), STORED_DTYPE, memory-mapped


def read_vectors(generation: Path | None, *, mmap: bool = True) -> StoredVectors | None:
    """The vectors of a generation, or None when it has none (built before
    vectors existed, or without the model) or they are unreadable."""
    if generation is None:
        return None
    try:
        meta = json.loads((generation / VECTOR_IDS).read_text(encoding="utf-8"))
        matrix = np.load(generation / VECTORS, mmap_mode="r" if mmap else None)
    except (OSError, ValueError):
        return None
    if (meta.get("format") != FORMAT or matrix.ndim != 2
            or matrix.shape[0] != len(meta["ids"]) or len(meta["hashes"]) != len(meta["ids"])):
        return None
    return StoredVectors(meta["model"], meta["ids"], meta["hashes"], matrix)


@dataclass
class VectorReport:
    passages: int   # rows of the new generation
    embedded: int   # texts that went through the model
    reused: int     # rows copied from the previous generation
    seconds: float


def _article_of(passage_id: str) -> str:
    return passage_id.split("#", 1)[0]


def _article_texts(article: Article, max_chars: int) -> list[tuple[str, str]]:
    """(passage id, text) for an article, as its index documents hold them
    (index/building/build.py: an intro or conclusion is headed by the title)."""
    return [(p.id, passage_text(article.title, p.heading or article.title, p.body, max_chars))
            for p in article.passages()]


def _stored_texts(reader, article_ids: set[str], max_chars: int) -> list[tuple[str, str]]:
    """(passage id, text) of those articles' passages, read back from the
    Whoosh index just written (for articles whose vectors the previous
    generation lacks but whose files this build did not read)."""
    out = []
    for _, fields in reader.iter_docs():  # undeleted documents only
        if fields["article_id"] in article_ids:
            out.append((fields["id"], passage_text(fields["title"], fields["heading"],
                                                   fields["body"], max_chars)))
    return out


def write_vectors(writer: GenerationWriter, *, previous: Path | None, model: PassageModel,
                  articles: Iterable[str], changed: Iterable[Article], reader,
                  progress: Progress | None = None) -> VectorReport:
    """Hand the vectors of a generation being built to its ``writer``.

    ``articles``: every article id of the new generation (the manifest's
    entries); ``changed``: the articles whose passages were (re)written, in
    hand; the others are taken from ``previous`` (any generation, usually
    the current one), or their text from ``reader`` (the new Whoosh index)
    when ``previous`` has no vectors of them. The model embeds only texts
    no row of ``previous`` has.
    """
    started = time.monotonic()
    max_chars = model.max_chars
    articles = set(articles)
    old = read_vectors(previous)
    if old is not None and (old.model != model.model_id or old.matrix.shape[1] != model.dim):
        old = None  # another model's vectors are of no use
    changed = list(changed)
    changed_ids = {a.id for a in changed}

    # Rows of unchanged articles, straight from the previous generation.
    kept_rows: list[int] = []
    covered: set[str] = set()
    if old is not None:
        for row, pid in enumerate(old.ids):
            aid = _article_of(pid)
            if aid in articles and aid not in changed_ids:
                kept_rows.append(row)
                covered.add(aid)
    pending = [pt for a in changed for pt in _article_texts(a, max_chars)]
    missing = set(articles) - changed_ids - covered
    if missing:
        pending += _stored_texts(reader, missing, max_chars)

    # New or changed texts: reuse any previous row with the same text.
    by_hash = {h: row for row, h in enumerate(old.hashes)} if old is not None else {}
    hashes = [text_hash(text) for _, text in pending]
    todo = {}  # hash -> text, each distinct text embedded once
    for (_, text), h in zip(pending, hashes):
        if h not in by_hash:
            todo.setdefault(h, text)
    fresh = _embed_all(model, list(todo.values()), progress)
    fresh_row = {h: i for i, h in enumerate(todo)}

    dim = model.dim
    matrix = np.empty((len(kept_rows) + len(pending), dim), STORED_DTYPE)
    if kept_rows:
        matrix[:len(kept_rows)] = old.matrix[kept_rows]
    for i, h in enumerate(hashes, len(kept_rows)):
        matrix[i] = fresh[fresh_row[h]] if h in fresh_row else old.matrix[by_hash[h]]
    ids = [old.ids[r] for r in kept_rows] + [pid for pid, _ in pending]
    all_hashes = [old.hashes[r] for r in kept_rows] + hashes
    _save(writer, matrix, {"format": FORMAT, "model": model.model_id, "dim": dim,
                           "ids": ids, "hashes": all_hashes})
    return VectorReport(passages=len(ids), embedded=len(todo),
                        reused=len(ids) - len(todo), seconds=time.monotonic() - started)


def _embed_all(model: PassageModel, texts: list[str],
               progress: Progress | None) -> np.ndarray:
    total, done = len(texts), 0
    if progress:
        progress(0, total)

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)
    if not texts:
        return np.zeros((0, model.dim), np.float32)
    return model.embed_passages(texts, step)


def remove_vectors(folder: Path) -> None:
    """Take vectors out of a generation being built (they would not match
    its passages), e.g. when the model cannot be loaded."""
    for name in (VECTORS, VECTOR_IDS):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / name)


def _save(writer: GenerationWriter, matrix: np.ndarray, meta: dict) -> None:
    npy = io.BytesIO()
    np.save(npy, matrix)
    writer.put_vectors(npy.getbuffer(), json.dumps(meta).encode("utf-8"))


def default_model() -> PassageModel | None:
    """The shipped model (it embeds on every core), or None when its packages
    are not installed (the build then publishes a lexical-only generation
    and says so)."""
    from index.meaning import embedding

    try:
        embedding.model_files()
    except ModuleNotFoundError:
        return None
    return embedding.embedder()


def needs_vectors(generation: Path | None, model: PassageModel | None) -> bool:
    """True when ``generation`` lacks vectors ``model`` could give it: an
    up-to-date index built before vectors existed still gets a new
    generation."""
    if generation is None or model is None:
        return False
    stored = read_vectors(generation)
    return stored is None or stored.model != model.model_id


def add_to_generation(writer: GenerationWriter, *, previous: Path | None,
                      articles: Iterable[str],
                      changed: Iterable[Article], index, model: PassageModel | None,
                      progress: Progress | None = None) -> VectorReport | None:
    """The build's one call (index/building/build.py): vectors for the generation
    ``writer`` builds, whose Whoosh index ``index`` is written but not yet
    published. Returns None, and leaves the generation without vectors,
    when there is no model."""
    if model is None:
        writer.drop_vectors()  # hard links to the base's, now out of date
        return None
    with index.reader() as reader:
        return write_vectors(writer, previous=previous, model=model, articles=articles,
                             changed=changed, reader=reader, progress=progress)
