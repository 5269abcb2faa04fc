"""Shared parts of the MedQuAD scale benchmarks (build_speed.py,
search_latency.py, http_load.py): the corpus, its cached import and index,
the two baselines (SQLite FTS5 and plain Whoosh) over the same passages,
the query sets and the statistics.

The corpus is ../shared/corpora/medquad.tar.gz beside the project (or
``--corpus PATH``). Its extraction, its ``kb import`` and a ``kb index
--full`` of it are cached under /tmp/kb-bench-medquad/<archive sha256>/,
so only the first run pays for them; the index cache is also keyed by the
source of index/'s writing side, so a change there rebuilds it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "medquad.tar.gz"
CACHE_ROOT = Path("/tmp/kb-bench-medquad")
KB = Path(sys.executable).parent / "kb"
BUNDLED_SYNONYMS = ROOT / "kb" / "articles" / "synonyms.yaml"

# Runs `cmd` in a fresh process so RUSAGE_CHILDREN covers only `cmd` and
# its descendants; ru_maxrss is then the largest single process among them
# (Linux reports KiB), not a sum over parallel writer processes.
_MEASURE = ("import json, resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)\n"
            "print(json.dumps({'rc': p.returncode, 'seconds': time.perf_counter() - t,\n"
            "  'peak_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,\n"
            "  'output': p.stdout}))\n")


# -- command line and corpus -------------------------------------------------

def arguments(description: str, extra=None) -> argparse.Namespace:
    """Parse ``--corpus`` (plus what ``extra(parser)`` adds); exit 2 with a
    plain message when the corpus is absent."""
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help=f"MedQuAD archive (default: {DEFAULT_CORPUS})")
    if extra:
        extra(parser)
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"The MedQuAD corpus is absent: {args.corpus} does not exist.\n"
              f"Point at it with --corpus PATH/medquad.tar.gz.")
        raise SystemExit(2)
    return args


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Modules that only read an index: a change to them needs no rebuild.
_READ_SIDE = {"search.py", "query.py", "query_plan.py", "highlight.py", "dense.py",
              "impacts.py", "searchers.py", "facets.py", "rerank.py", "answers.py",
              "fusion.py", "results.py", "cache.py", "spelling.py", "question_types.py",
              "snapshot.py", "pool.py", "hits.py", "requests.py", "topics.py", "topic_names.py",
              "query_words.py", "understanding.py", "passage_terms.py"}


def _writer_source_key(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*.py") if p.name not in _READ_SIDE):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _publish(build, target: Path) -> Path:
    """Build into a sibling folder and rename it into place, so an
    interrupted run never leaves a half-made cache entry."""
    if target.exists():
        return target
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    build(partial)
    try:
        partial.rename(target)
    except OSError:  # another run published it first
        if not target.exists():
            raise
        shutil.rmtree(partial, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mib: float
    output: str = ""


def measure(cmd: list[str]) -> Measured:
    """Wall time, peak memory and standard output of ``cmd`` (see _MEASURE);
    exits when it fails."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *map(str, cmd)],
                         check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if result["rc"]:
        raise SystemExit(f"failed (exit {result['rc']}): {' '.join(map(str, cmd))}")
    return Measured(result["seconds"], result["peak_kib"] / 1024, result["output"])


@dataclass(frozen=True)
class Corpus:
    """The cached extraction, import and index of one archive."""
    archive: Path
    cache: Path

    @property
    def extracted(self) -> Path:
        def extract(folder: Path) -> None:
            with tarfile.open(self.archive) as tar:
                tar.extractall(folder, filter="data")
        return _publish(extract, self.cache / "extracted")

    @property
    def kb_dir(self) -> Path:
        """The knowledge base `kb import --format medquad` made, plus the
        bundled synonyms list so searches go through synonym lookup."""
        source = self.extracted

        def run_import(folder: Path) -> None:
            kb = folder / "kb"
            took = measure([KB, "import", "--format", "medquad", source, "--kb-dir", kb])
            shutil.copy(BUNDLED_SYNONYMS, kb / "synonyms.yaml")
            (folder / "import.json").write_text(json.dumps(took.__dict__))
        return _publish(run_import, self.cache / "import") / "kb"

    @property
    def import_cost(self) -> Measured:
        self.kb_dir
        return Measured(**json.loads((self.cache / "import" / "import.json").read_text()))

    @property
    def index_dir(self) -> Path:
        """A `kb index --full` of kb_dir, rebuilt when index/'s writing side
        changes."""
        kb_dir = self.kb_dir

        def run_index(folder: Path) -> None:
            _seed_vectors(self.cache, folder / "ix")
            measure([KB, "index", "--full", "--kb-dir", kb_dir, "--index-dir", folder / "ix"])
        key = _writer_source_key(ROOT / "index")
        return _publish(run_index, self.cache / f"index-{key}") / "ix"


def _seed_vectors(cache: Path, target: Path) -> None:
    """Start a new cached index from the newest one already built (hard
    links: generations are never changed in place), so its full build
    reuses every passage vector whose text is unchanged instead of
    embedding 47,000 passages again after each change to index/'s writing
    side. ``build_speed.py --cold`` measures the embedding on its own."""
    built = sorted((p for p in cache.glob("index-*/ix") if p.parent.name.count(".") == 0),
                   key=lambda p: p.stat().st_mtime)
    if built:
        shutil.copytree(built[-1], target, copy_function=os.link,
                        ignore=shutil.ignore_patterns(".lock"))


def corpus(archive: Path) -> Corpus:
    return Corpus(archive, CACHE_ROOT / sha256_of(archive))


# -- passages ----------------------------------------------------------------

@dataclass(frozen=True)
class Doc:
    """One passage as the baselines index it (``title``: the article's, for
    MedQuAD the document's focus)."""
    id: str
    title: str
    heading: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.heading}\n{self.body}\n{self.title}"


def load_docs(kb_dir: Path) -> list[Doc]:
    """Every passage of the knowledge base (cached beside it as JSON, since
    reading 11,000 YAML files takes a while)."""
    cached = kb_dir.parent / "passages.json"
    if cached.exists():
        return [Doc(**d) for d in json.loads(cached.read_text())]
    from kb.store import check_knowledge_base
    articles, _ = check_knowledge_base(kb_dir)
    docs = []
    for article in articles:
        docs.extend(Doc(p.id, article.title, p.heading or article.title, p.body)
                    for p in article.passages())
    cached.write_text(json.dumps([d.__dict__ for d in docs]))
    return docs


# -- baselines ---------------------------------------------------------------

def build_fts5(docs: list[Doc], path: Path) -> None:
    """SQLite FTS5, porter tokenizer, one row per passage."""
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE passages USING fts5("
               "id UNINDEXED, title, heading, body, tokenize='porter')")
    db.executemany("INSERT INTO passages VALUES (?, ?, ?, ?)",
                   ((d.id, d.title, d.heading, d.body) for d in docs))
    db.commit()
    db.close()


_WORD = re.compile(r"\w+")


class Fts5Search:
    """bm25() ranking, the query's words OR-ed (each quoted so no word is
    read as FTS5 syntax), top 10 with the stored columns and a snippet."""

    SQL = ("SELECT id, title, heading, snippet(passages, 3, '<mark>', '</mark>', '…', 24)"
           " FROM passages WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT ? OFFSET ?")

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)

    def search(self, query: str, page: int = 1, limit: int = 10) -> list[tuple]:
        words = _WORD.findall(query)
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        return self.db.execute(self.SQL, (match, limit, (page - 1) * limit)).fetchall()

    def close(self) -> None:
        self.db.close()


def build_plain_whoosh(docs: list[Doc], folder: Path) -> None:
    """One stemmed field, the default writer: where most projects start."""
    from whoosh import index as whoosh_index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, STORED, TEXT, Schema

    folder.mkdir(parents=True, exist_ok=True)
    schema = Schema(id=ID(stored=True, unique=True), title=STORED,
                    text=TEXT(analyzer=StemmingAnalyzer()))
    ix = whoosh_index.create_in(str(folder), schema)
    with ix.writer() as writer:
        for d in docs:
            writer.add_document(id=d.id, title=d.title, text=d.text)
    ix.close()


def plain_whoosh_parser(ix):
    from whoosh.qparser import OrGroup, QueryParser
    return QueryParser("text", ix.schema, group=OrGroup)


class PlainWhooshSearch:
    """The plain-Whoosh baseline with one searcher reused, top 10."""

    def __init__(self, folder: Path) -> None:
        from whoosh import index as whoosh_index
        self.ix = whoosh_index.open_dir(str(folder), readonly=True)
        self.parser = plain_whoosh_parser(self.ix)
        self.searcher = self.ix.searcher()

    def search(self, query: str, page: int = 1, limit: int = 10) -> list[dict]:
        hits = self.searcher.search_page(self.parser.parse(query), page, pagelen=limit)
        return [hit.fields() for hit in hits]

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


def baselines(corpus_: Corpus, docs: list[Doc]) -> tuple[Path, Path]:
    """The FTS5 database and plain-Whoosh folder over ``docs``, cached."""
    def make(folder: Path) -> None:
        build_fts5(docs, folder / "fts5.db")
        build_plain_whoosh(docs, folder / "whoosh")
    folder = _publish(make, corpus_.cache / "baselines")
    return folder / "fts5.db", folder / "whoosh"


# -- queries -----------------------------------------------------------------

QUESTION_WORDS = ("symptoms", "treatment", "causes", "inherited", "diagnosis",
                  "prevention", "outlook", "genetic", "risk", "tests")
_PREFIXES = ("I was wondering", "Could you tell me", "I would like to know",
             "My doctor mentioned it, so", "Please explain")
_SUFFIXES = ("and how is it treated in adults", "and what should my family know",
             "and is it something that runs in families", "and when should I see a doctor")
_WHAT_IS = re.compile(r"^what is \(are\)", re.IGNORECASE)


def short_queries(docs: list[Doc], n: int = 300, seed: int = 1) -> list[str]:
    """1-3 words: a document's focus (one or two words) plus, mostly, a
    question-type word."""
    rng = random.Random(seed)
    foci = sorted({d.title for d in docs if 1 <= len(_WORD.findall(d.title)) <= 2})
    out = []
    for focus in rng.sample(foci, min(n, len(foci))):
        words = _WORD.findall(focus)
        if rng.random() < 0.8 and len(words) < 3:
            words.append(rng.choice(QUESTION_WORDS))
        out.append(" ".join(words).lower())
    return out


def long_queries(docs: list[Doc], n: int = 300, seed: int = 2) -> list[str]:
    """8-20 words: MedQuAD questions reworded as a person would type them."""
    rng = random.Random(seed)
    questions = sorted({d.heading for d in docs if d.heading != d.title})
    out = []
    for question in rng.sample(questions, len(questions)):
        text = _WHAT_IS.sub("what exactly is", question.strip()).rstrip(" ?")
        text = text[0].lower() + text[1:]
        if rng.random() < 0.6:
            text = f"{rng.choice(_PREFIXES)} {text}"
        if rng.random() < 0.5 or len(text.split()) < 8:
            text = f"{text} {rng.choice(_SUFFIXES)}"
        if 8 <= len(text.split()) <= 20:
            out.append(text)
        if len(out) == n:
            break
    return out


def query_sets(docs: list[Doc], n: int = 300) -> dict[str, tuple[list[str], list[str]]]:
    """For "short" and "long": (warm-up queries, timed queries), n each and
    disjoint, so a timed query is never one the engine has answered (kb
    keeps a response cache)."""
    out = {}
    for name, make in (("short", short_queries), ("long", long_queries)):
        queries = make(docs, 2 * n)
        warm = queries[:len(queries) // 2]
        seen = set(warm)
        out[name] = (warm, [q for q in queries[len(queries) // 2:] if q not in seen])
    return out


# -- statistics --------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def timed(fn, items, repeat: int = 1) -> list[float]:
    """Milliseconds of fn(item) for each item (each repeated ``repeat`` times)."""
    out = []
    for _ in range(repeat):
        for item in items:
            started = time.perf_counter()
            fn(item)
            out.append((time.perf_counter() - started) * 1000)
    return out


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"
