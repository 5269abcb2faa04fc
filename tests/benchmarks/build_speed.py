"""Build speed over MedQuAD (11,274 documents, 47k passages), beside
SQLite FTS5 and plain Whoosh built over the same passages in the same run.

    python tests/benchmarks/build_speed.py [--corpus PATH/medquad.tar.gz]

Measures, each as a subprocess, wall seconds and peak memory:
  - `kb import --format medquad` of the extracted corpus (run once and
    cached under /tmp/kb-bench-medquad/<sha256>/; later runs reprint the
    cached measurement and say so);
  - `kb index --full` of the imported knowledge base over a copy of the
    cached index, so the passage vectors are reused (with --cold: into an
    empty folder, embedding every passage, about ten minutes);
  - `kb index` after one answer of one article file was edited (incremental),
    the settle window (2 s) after the edit: a build run sooner waits out
    the rest of the window before reading a just-saved file (kb/store.py),
    which would time the wait;
  - `kb index` with nothing changed;
  - SQLite FTS5 (stdlib sqlite3, tokenize='porter') and plain Whoosh (one
    field TEXT(analyzer=StemmingAnalyzer()), default writer), one row or
    document per passage (question + answer + title), built from the
    passages already in memory (they do not read YAML, as kb does).
Peak memory is RUSAGE_CHILDREN's ru_maxrss read by a fresh wrapper process:
the largest single process among the command and its children (kb's
parallel writer processes are not summed).
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from kb.store import SETTLE_SECONDS  # noqa: E402


def edit_one_answer(kb_dir: Path) -> str:
    """Append a sentence to the first answered question of the first
    article file; returns the article id."""
    from kb.store import load_article, write_article

    for path in sorted(kb_dir.glob("medquad-*.yaml")):
        article = load_article(path)
        for i, section in enumerate(article.sections):
            if section.kind == "question" and section.answer:
                edited = dataclasses.replace(
                    section, answer=section.answer + "\n\nEdited for the build benchmark.")
                sections = (*article.sections[:i], edited, *article.sections[i + 1:])
                write_article(dataclasses.replace(article, sections=sections), kb_dir,
                              force=True)
                return article.id
    raise SystemExit(f"no answered question in {kb_dir}")


def build_baseline(kind: str, passages_json: Path, out: Path) -> None:
    """Child mode: build one baseline and print its in-process seconds."""
    docs = [common.Doc(**d) for d in json.loads(passages_json.read_text())]
    started = time.perf_counter()
    (common.build_fts5 if kind == "fts5" else common.build_plain_whoosh)(docs, out)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def measure_baseline(kind: str, passages_json: Path, out: Path) -> common.Measured:
    whole = common.measure([sys.executable, __file__, "--build-baseline", kind,
                            passages_json, out])
    # The wrapper's time includes loading the passages; report the build's own.
    return common.Measured(json.loads(whole.output)["seconds"], whole.peak_mib)


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--build-baseline":
        build_baseline(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return 0
    def extra(parser):
        parser.add_argument("--cold", action="store_true",
                            help="build --full into an empty folder: every passage embedded")
    args = common.arguments(__doc__, extra)
    corpus = common.corpus(args.corpus)
    import_was_cached = (corpus.cache / "import").exists()
    imported = corpus.import_cost
    docs = common.load_docs(corpus.kb_dir)
    print(f"MedQuAD: {len(list(corpus.kb_dir.glob('*.yaml'))) - 1} articles, "
          f"{len(docs)} passages; {common.load_average()}")
    with tempfile.TemporaryDirectory(prefix="kb-bench-build-") as tmp:
        tmp = Path(tmp)
        kb_dir = tmp / "kb"
        shutil.copytree(corpus.kb_dir, kb_dir)
        ix = tmp / "ix"
        index = [common.KB, "index", "--kb-dir", kb_dir, "--index-dir", ix]
        if args.cold:
            full = common.measure([*index, "--full"])
        else:
            # A full rebuild over an index that has the passage vectors
            # (reused by text hash): what rebuilding costs once embedded.
            shutil.copytree(corpus.index_dir, ix)
            full = common.measure([*index, "--full"])
        edited = edit_one_answer(kb_dir)
        time.sleep(SETTLE_SECONDS)
        incremental = common.measure(index)
        unchanged = common.measure(index)
        passages_json = corpus.kb_dir.parent / "passages.json"
        fts5 = measure_baseline("fts5", passages_json, tmp / "fts5.db")
        whoosh = measure_baseline("whoosh", passages_json, tmp / "whoosh")
    rows = [
        ("kb import --format medquad" + (" (cached)" if import_was_cached else ""), imported),
        ("kb index --full" + (", cold" if args.cold else ", vectors reused"), full),
        ("kb index, 1 article edited", incremental),
        ("kb index, no change", unchanged),
        ("SQLite FTS5 build (porter)", fts5),
        ("plain Whoosh build (stemmed)", whoosh),
    ]
    print(f"edited article: {edited}; {common.load_average()}")
    print(f"{'step':38}{'seconds':>9}{'x FTS5':>9}{'x Whoosh':>10}{'peak MiB':>10}")
    for label, m in rows:
        print(f"{label:38}{m.seconds:>9.2f}{m.seconds / fts5.seconds:>9.2f}"
              f"{m.seconds / whoosh.seconds:>10.2f}{m.peak_mib:>10.0f}")
    print("peak MiB: largest single process (RUSAGE_CHILDREN ru_maxrss from a fresh "
          "wrapper); baselines index passages already in memory, kb reads YAML.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
