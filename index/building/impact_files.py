"""The BM25F arrays of a generation (index/ranking/impacts.py scores with them):
derived from Whoosh's own postings at build time, one file per segment.

Per Whoosh segment and per searched field: the term dictionary with each
term's document frequency and postings (document numbers and weights) in
compressed-sparse-row form, and every document's field length, stored as
one file ``<segment id>.kbimpacts`` (``PART``, written by
index/building/segment_parts.py, which also reads it).
"""
from __future__ import annotations

import numpy as np

from index.building.segment_parts import Part
from index.generations import IMPACTS_SUFFIX
from index.schema import SEARCH_FIELDS

FORMAT = 1
SUFFIX = IMPACTS_SUFFIX
# The array of each document's passage id: a reader maps the passage
# vectors' rows to documents with it (index/meaning/dense.py) in
# milliseconds, where walking the id terms took MedQuAD 0.5 s a process.
PASSAGE_IDS = "passage_ids"


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


PART = Part(IMPACTS_SUFFIX, b"KBIMPACT", segment_arrays)
