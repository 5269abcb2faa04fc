"""What the generation checksums cost, over MedQuAD's cached index:

    python tests/benchmarks/checksum_cost.py [--corpus PATH/medquad.tar.gz] [--repeat N]

Rows, in one process, each the median of --repeat runs with the files in
the page cache (as they are after a build):
  - reading every file of the current generation, no hash (the baseline);
  - verifying it: SHA-256 of every file against the manifest (what
    `kb index` pays for the files it carries forward, `kb check --index`
    for all; a full build pays the same hashing when it publishes);
  - the same bytes through blake2b, the alternative weighed;
  - what a reader pays when it opens a generation: the manifest parsed
    and the sizes of Whoosh's files checked;
  - `kb index` with nothing to do (in-process, on a hard-linked copy of the
    index), with the verification and, as the baseline in the same run,
    with it skipped.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from index import generations  # noqa: E402
from index.building import build


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def read_all(files: list[Path], algorithm: str | None) -> None:
    for path in files:
        with open(path, "rb") as f:
            if algorithm:
                hashlib.file_digest(f, algorithm)
            else:
                while f.read(1 << 20):
                    pass


def main() -> None:
    args = common.arguments(__doc__, lambda p: p.add_argument("--repeat", type=int, default=5))
    corpus = common.corpus(args.corpus)
    index_dir, kb_dir = corpus.index_dir, corpus.kb_dir
    generation = generations.current_generation(index_dir)
    manifest = generations.read_manifest(generation)
    files = [generation / name for name in generations.recorded_files(manifest)]
    size = sum(p.stat().st_size for p in files)
    print(f"{generation}: {len(files)} files, {size / 2**20:.1f} MiB; "
          f"{common.load_average()}")
    read_all(files, None)  # into the page cache
    rows = [
        ("read every file, no hash (baseline)", median_seconds(lambda: read_all(files, None),
                                                               args.repeat)),
        ("verify: SHA-256 of every file (as shipped)",
         median_seconds(lambda: generations.verify(generation, manifest), args.repeat)),
        ("the same bytes through blake2b", median_seconds(lambda: read_all(files, "blake2b"),
                                                          args.repeat)),
        ("a reader's open: manifest parsed, Whoosh files' sizes checked",
         median_seconds(lambda: generations.file_problems(
             generation, generations.recorded_files(generations.read_manifest(generation)),
             wanted=lambda n: not generations.is_derived(n), sizes_only=True), args.repeat)),
    ]
    with tempfile.TemporaryDirectory(prefix="kb-checksum-") as tmp:
        copy = Path(tmp) / "ix"
        shutil.copytree(index_dir, copy, copy_function=os.link,
                        ignore=shutil.ignore_patterns(".lock"))
        noop = lambda: build.sync_index(kb_dir, copy)  # noqa: E731
        noop()  # file stamps of the copy recorded once
        rows.append(("`kb index`, nothing to do, files verified",
                     median_seconds(noop, args.repeat)))
        verify = generations.verify
        generations.verify = lambda g, m, **kw: generations.recorded_files(m) or {}
        try:
            rows.append(("`kb index`, nothing to do, verification skipped (baseline)",
                         median_seconds(noop, args.repeat)))
        finally:
            generations.verify = verify
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
