"""The passage terms of a generation (index/ranking/passage_terms.py reads
them): each passage's heading, body and article title as the index terms
re-ranking (index/ranking/rerank.py) compares with the query's, made once
at build time, one file per segment (index/building/segment_parts.py).

Re-ranking used to analyse the stored text of every pooled passage on
every search: on MedQuAD's reader queries, a fifth of a search's time.

Per segment: the sorted distinct terms of its passages (``terms``, UTF-8
bytes concatenated, with ``term_starts``), and per text (``heading``,
``body``, ``title``) every document's terms in order as numbers into
that list (``<text>.ids``, each document's slice from ``<text>.starts``).
A deleted document has none.
"""
from __future__ import annotations

import numpy as np

from index.building.segment_parts import Part
from index.generations import TERMS_SUFFIX
from index.understanding.analysis import build_term_cache
from index.understanding.analysis import terms as analyse

FORMAT = 1
TEXTS = ("heading", "body", "title")


def segment_terms(leaf) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays of one Whoosh segment reader (see the module
    docstring)."""
    docs_all = leaf.doc_count_all()
    analysed: dict[str, list[list[str]]] = {text: [] for text in TEXTS}
    with build_term_cache():
        for docnum in range(docs_all):
            fields = {} if leaf.is_deleted(docnum) else leaf.stored_fields(docnum)
            for text in TEXTS:
                analysed[text].append(analyse(fields.get(text) or ""))
    vocabulary = sorted({t.encode("utf-8") for found in analysed.values()
                         for terms in found for t in terms})
    number = {term.decode("utf-8"): n for n, term in enumerate(vocabulary)}
    blob = b"".join(vocabulary)
    arrays = {"terms": np.frombuffer(blob, dtype=np.uint8),
              "term_starts": np.cumsum([0, *map(len, vocabulary)], dtype=np.int64)}
    for text in TEXTS:
        found = analysed[text]
        starts = np.cumsum([0, *map(len, found)], dtype=np.int64)
        arrays[f"{text}.starts"] = starts
        arrays[f"{text}.ids"] = np.fromiter((number[t] for terms in found for t in terms),
                                            dtype=np.int32, count=int(starts[-1]))
    return {"format": FORMAT, "doc_count_all": docs_all}, arrays


PART = Part(TERMS_SUFFIX, b"KBTERMS1", segment_terms)
