"""The parts of a generation derived per Whoosh segment, and their file
format.

Each part (the BM25F arrays of index/building/impact_files.py, the passage
terms of index/building/term_files.py) is one file ``<segment id><suffix>``
per segment, handed encoded to the generation's writer
(index/generations.py) before the generation is published. Whoosh never
changes a segment once written, so an incremental build (which starts
from hard links to the previous generation's files) derives parts only
for the segments it wrote, or that lack one.

A file is its part's magic bytes, the header's length, a JSON header
naming each array's dtype, offset and length, then the arrays, each
aligned to 8 bytes, so a reader memory-maps it without copying
(``read_file``).
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from whoosh import index as whoosh_index

from index.generations import GenerationWriter
from kb.files import Buffer

_ALIGN = 8
# Deriving parts for segments in parallel pays off from this many documents.
PARALLEL_FROM = 5000


@dataclass(frozen=True)
class Part:
    """A part derived per segment: the suffix of its files and what makes
    a file's header and arrays from a Whoosh segment reader."""
    suffix: str
    magic: bytes
    derive: Callable[[object], tuple[dict, dict[str, np.ndarray]]]


def write_missing(writer: GenerationWriter, reader, parts: tuple[Part, ...]) -> list[str]:
    """Derive each of ``parts`` for every segment of ``reader`` (the index
    being built in ``writer``'s folder) that has none yet, and drop those
    of segments no longer in it. Returns the segment ids derived."""
    # An index of no documents has a reader of no segment.
    leaves = {leaf.segment().segment_id(): leaf
              for leaf, _ in reader.leaf_readers() if leaf.segment() is not None}
    todo: dict[str, list[Part]] = {}
    for part in parts:
        present = writer.segment_parts(part.suffix)
        for segment_id in present - set(leaves):
            writer.drop_segment_part(segment_id, part.suffix)
        for segment_id in leaves:
            if segment_id not in present:
                todo.setdefault(segment_id, []).append(part)
    if len(todo) > 1 and sum(leaves[s].doc_count_all() for s in todo) >= PARALLEL_FROM:
        # One process per segment, up to the cores: reading postings and
        # stored fields is Python-bound. Forked, so nothing is pickled but
        # the writer (its folder and the base's records), the ids and the
        # parts; each opens the index itself (a forked process shares its
        # parent's file offsets).
        workers = min(len(todo), os.cpu_count() or 1)
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            list(pool.map(_derive_segment, [writer] * len(todo), list(todo),
                          list(todo.values())))
    else:
        for segment_id, missing in todo.items():
            _derive(writer, leaves[segment_id], segment_id, missing)
    return list(todo)


def _derive(writer: GenerationWriter, leaf, segment_id: str, parts: list[Part]) -> None:
    for part in parts:
        writer.put_segment_part(segment_id, part.suffix, encode(*part.derive(leaf), part.magic))


def _derive_segment(writer: GenerationWriter, segment_id: str, parts: list[Part]) -> None:
    ix = whoosh_index.open_dir(str(writer.folder), readonly=True)
    try:
        with ix.reader() as reader:
            leaf = next(leaf for leaf, _ in reader.leaf_readers()
                        if leaf.segment().segment_id() == segment_id)
            _derive(writer, leaf, segment_id, parts)
    finally:
        ix.close()


def _align(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def encode(header: dict, arrays: dict[str, np.ndarray], magic: bytes) -> Iterator[Buffer]:
    """The file's bytes, in chunks: ``magic``, the header's length (8
    bytes, little-endian), the JSON header naming each array's dtype,
    offset and length, then the arrays, each aligned to 8 bytes (written
    from their own buffers)."""
    layout, offset = {}, 0
    for name, array in arrays.items():
        offset = _align(offset)
        layout[name] = [array.dtype.str, offset, int(array.size)]
        offset += array.nbytes
    head = json.dumps({**header, "arrays": layout}, sort_keys=True).encode("utf-8")
    prefix = magic + len(head).to_bytes(8, "little") + head
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


def read_file(path: Path, magic: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and the memory-mapped arrays of one file; ValueError
    when it is not a file of the part ``magic`` names, or is cut short."""
    # Plain arrays over the map: slicing numpy's memmap subclass costs
    # more than the slice (a third of re-ranking's time).
    raw = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray)
    if bytes(raw[:len(magic)]) != magic:
        raise ValueError(f"{path}: not a {magic.decode()} file")
    size = int.from_bytes(bytes(raw[len(magic):len(magic) + 8]), "little")
    start = len(magic) + 8
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
