"""The BM25F arrays of a generation (index/ranking/impacts.py scores with them):
derived from Whoosh's own postings at build time, one file per segment.

``write_missing`` derives, per Whoosh segment and per searched field, the
term dictionary with each term's document frequency and postings (document
numbers and weights) in compressed-sparse-row form, and every document's
field length, and hands them, encoded (``encode``), to the generation's
writer (index/generations.py), which stores them as one file
``<segment id>.kbimpacts`` before the generation is published. Whoosh
never changes a segment's postings once written, so an incremental build
(which starts from hard links to the previous generation's files) derives
arrays only for the segments it wrote.

A file is MAGIC, the header's length, a JSON header naming each array's
dtype, offset and length, then the arrays, each aligned to 8 bytes, so a
reader memory-maps it without copying (``read_file``).
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator

import numpy as np
from whoosh import index as whoosh_index

from index.generations import IMPACTS_SUFFIX, GenerationWriter
from index.schema import SEARCH_FIELDS
from kb.files import Buffer

FORMAT = 1
SUFFIX = IMPACTS_SUFFIX
_MAGIC = b"KBIMPACT"
_ALIGN = 8
# Deriving arrays for segments in parallel pays off from this many documents.
PARALLEL_FROM = 5000
# The array of each document's passage id: a reader maps the passage
# vectors' rows to documents with it (index/meaning/dense.py) in
# milliseconds, where walking the id terms took MedQuAD 0.5 s a process.
PASSAGE_IDS = "passage_ids"


def write_missing(writer: GenerationWriter, reader) -> list[str]:
    """Derive the arrays of every segment of ``reader`` (the index being
    built in ``writer``'s folder) that has none yet, and drop those of
    segments no longer in it. Returns the segment ids derived."""
    # An index of no documents has a reader of no segment.
    leaves = {leaf.segment().segment_id(): leaf
              for leaf, _ in reader.leaf_readers() if leaf.segment() is not None}
    present = writer.impacts()
    for segment_id in present - set(leaves):
        writer.drop_impacts(segment_id)
    todo = [s for s in leaves if s not in present]
    if len(todo) > 1 and sum(leaves[s].doc_count_all() for s in todo) >= PARALLEL_FROM:
        # One process per segment, up to the cores: reading postings is
        # Python-bound. Forked, so nothing is pickled but the writer (its
        # folder and the base's records) and the ids; each opens the index
        # itself (a forked process shares its parent's file offsets).
        workers = min(len(todo), os.cpu_count() or 1)
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            list(pool.map(_derive_segment, [writer] * len(todo), todo))
    else:
        for segment_id in todo:
            writer.put_impacts(segment_id, encode(*segment_arrays(leaves[segment_id])))
    return todo


def _derive_segment(writer: GenerationWriter, segment_id: str) -> None:
    ix = whoosh_index.open_dir(str(writer.folder), readonly=True)
    try:
        with ix.reader() as reader:
            leaf = next(leaf for leaf, _ in reader.leaf_readers()
                        if leaf.segment().segment_id() == segment_id)
            header, arrays = segment_arrays(leaf)
    finally:
        ix.close()
    writer.put_impacts(segment_id, encode(header, arrays))


def segment_arrays(leaf) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays of one Whoosh segment reader (see the module
    docstring): per field, ``<f>.terms`` (UTF-8 bytes of the sorted terms,
    concatenated) with ``<f>.term_starts``, ``<f>.df``, ``<f>.starts`` (each
    term's slice of the postings), ``<f>.docs``, ``<f>.tf`` and
    ``<f>.lengths`` (per document); and ``passage_ids``, each document's
    passage id in document order, each followed by "\n" (``passage_ids``)."""
    docs_all = leaf.doc_count_all()
    header = {"format": FORMAT, "doc_count_all": docs_all, "fields": {}}
    arrays: dict[str, np.ndarray] = {
        PASSAGE_IDS: np.frombuffer("".join(f"{pid}\n" for pid in _passage_ids(leaf))
                                   .encode("utf-8"), dtype=np.uint8)}
    for field in SEARCH_FIELDS:
        blob, term_starts, df, starts = bytearray(), [0], [], [0]
        doc_parts, tf_parts = [], []
        for term in leaf.lexicon(field):
            ids, weights = [], []
            for docnum, weight in leaf.postings(field, term).items_as("weight"):
                ids.append(docnum)
                weights.append(weight)
            blob += term
            term_starts.append(len(blob))
            df.append(leaf.doc_frequency(field, term))
            doc_parts.append(np.array(ids, dtype=np.int32))
            tf_parts.append(np.array(weights, dtype=np.float32))
            starts.append(starts[-1] + len(ids))
        lengths = [leaf.doc_field_length(d, field, 0) or 0 for d in range(docs_all)]
        arrays[f"{field}.terms"] = np.frombuffer(bytes(blob), dtype=np.uint8)
        arrays[f"{field}.term_starts"] = np.array(term_starts, dtype=np.int64)
        arrays[f"{field}.df"] = np.array(df, dtype=np.int64)
        arrays[f"{field}.starts"] = np.array(starts, dtype=np.int64)
        arrays[f"{field}.docs"] = (np.concatenate(doc_parts) if doc_parts
                                   else np.zeros(0, dtype=np.int32))
        arrays[f"{field}.tf"] = (np.concatenate(tf_parts) if tf_parts
                                 else np.zeros(0, dtype=np.float32))
        arrays[f"{field}.lengths"] = np.array(lengths, dtype=np.int64)
        header["fields"][field] = {"field_length": leaf.field_length(field)}
    return header, arrays


def _passage_ids(leaf) -> list[str]:
    """The passage id of each document of a segment ("" for none): each id
    is a unique term whose dictionary entry names its document."""
    ids = [""] * leaf.doc_count_all()
    for term, info in leaf.iter_field("id"):
        docs = ([info.min_id()] if info.min_id() == info.max_id()
                else leaf.postings("id", term).all_ids())
        for docnum in docs:
            ids[docnum] = term.decode("utf-8") if isinstance(term, bytes) else term
    return ids


def passage_ids(arrays: dict[str, np.ndarray]) -> list[str] | None:
    """The passage id of each document of a segment's arrays; None for a
    file derived before they were kept."""
    blob = arrays.get(PASSAGE_IDS)
    return None if blob is None else blob.tobytes().decode("utf-8").split("\n")[:-1]


def _align(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def encode(header: dict, arrays: dict[str, np.ndarray]) -> Iterator[Buffer]:
    """The file's bytes, in chunks: MAGIC, the header's length (8 bytes,
    little-endian), the JSON header naming each array's dtype, offset and
    length, then the arrays, each aligned to 8 bytes (written from their
    own buffers)."""
    layout, offset = {}, 0
    for name, array in arrays.items():
        offset = _align(offset)
        layout[name] = [array.dtype.str, offset, int(array.size)]
        offset += array.nbytes
    head = json.dumps({**header, "arrays": layout}, sort_keys=True).encode("utf-8")
    prefix = _MAGIC + len(head).to_bytes(8, "little") + head
    data_start = _align(len(prefix))
    yield prefix
    written = len(prefix)
    for name, array in arrays.items():
        start = data_start + layout[name][1]
        yield b"\0" * (start - written)
        data = np.ascontiguousarray(array)
        yield memoryview(data).cast("B")
        written = start + data.nbytes
    yield b"\0" * (data_start + offset - written)


def read_file(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and the memory-mapped arrays of one file."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(raw[:len(_MAGIC)]) != _MAGIC:
        raise ValueError(f"{path}: not an impacts file")
    size = int.from_bytes(bytes(raw[len(_MAGIC):len(_MAGIC) + 8]), "little")
    start = len(_MAGIC) + 8
    header = json.loads(bytes(raw[start:start + size]))
    data_start = _align(start + size)
    arrays = {}
    for name, (dtype, offset, count) in header["arrays"].items():
        dt = np.dtype(dtype)
        begin = data_start + offset
        if begin + count * dt.itemsize > len(raw):
            raise ValueError(f"{path}: truncated")
        arrays[name] = raw[begin:begin + count * dt.itemsize].view(dt)
    return header, arrays
