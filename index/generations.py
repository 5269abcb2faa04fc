"""Index generations: how a rebuild never shows readers a half-built index.

An index folder holds complete Whoosh indexes in ``gen-NNNNNN/`` folders and
a ``CURRENT`` file naming the one readers use. A build writes a new
generation in a hidden temporary folder (for an incremental build, it starts
as hard links to the current generation's files, which Whoosh never changes
in place), then renames it into place and replaces ``CURRENT`` atomically.
Readers keep answering from the generation they opened until they see the
new name. A build killed at any point leaves ``CURRENT`` untouched; the next
build removes its leftovers.

A build writes a generation through one ``GenerationWriter``, which owns
the file names of the parts ``index/`` derives from the segments (vectors,
scoring arrays, suggestion table) and writes each through
``kb.files.write_atomic_bytes``; Whoosh's own writer writes the segments.
The manifest it publishes records every file's size and SHA-256: a build
verifies the files it carries forward by hard link before Whoosh reads
them, so damage never passes from one generation to the next; readers
check the segments' sizes when they open a generation, and the decoding
errors Whoosh raises on damaged bytes become ``IndexDamagedError``
(``damage_named``); ``kb check --index`` verifies every checksum.

One builder at a time: ``builder_lock`` takes an ``flock`` on ``.lock``,
which the kernel releases when the holder dies, so no lock goes stale.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import gc
import hashlib
import json
import os
import pickle
import shutil
import struct
import tempfile
import time
import traceback
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index

from kb.errors import IndexBusyError, IndexDamagedError, IndexReadOnlyError, SearchIndexError
from kb.files import Buffer, fsync_folder, is_temporary, write_atomic, write_atomic_bytes

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".lock"
_GEN_PREFIX = "gen-"
_TMP_PREFIX = ".building-"
# The parts index/ derives from a generation's segments, beside Whoosh's
# files. Each has its reader's fallback when missing or unreadable (search
# by words, by Whoosh's scoring, by titles), so only Whoosh's own files
# make a generation unusable.
VECTORS = "vectors.npy"            # index/meaning/vectors.py
VECTOR_IDS = "vectors.json"
SUGGEST_TABLE = "suggest.json"     # index/reading/suggest.py
SUGGEST_HEADINGS = "suggest-headings.json"
IMPACTS_SUFFIX = ".kbimpacts"      # index/building/impact_files.py, one per segment
TERMS_SUFFIX = ".kbterms"          # index/building/term_files.py, one per segment
SEGMENT_SUFFIXES = (IMPACTS_SUFFIX, TERMS_SUFFIX)
_DERIVED = frozenset({VECTORS, VECTOR_IDS, SUGGEST_TABLE, SUGGEST_HEADINGS})
# SHA-256 runs at 1.2 GB/s on this machine's SHA extensions, blake2b at
# 0.55 GB/s (64 MiB in memory, hashlib); over MedQuAD's generation, 0.15 s
# against 0.25 s (tests/benchmarks/checksum_cost.py).
CHECKSUM = "sha256"
REBUILD = "`kb index --full` rebuilds it"

# Generations kept besides the current one: a reader that opened the previous
# one just before a swap still finds its files.
KEEP_PREVIOUS = 1


def current_generation(index_dir: Path) -> Path | None:
    """The folder of the generation readers should use, or None."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise SearchIndexError(f"cannot read the index pointer: {exc.strerror}",
                               index_dir / CURRENT) from exc
    gen = index_dir / name
    if not name.startswith(_GEN_PREFIX) or not gen.is_dir():
        raise SearchIndexError(f"names a missing generation {name!r}; "
                               "run `kb index --full`", index_dir / CURRENT)
    return gen


def open_generation(generation: Path, *, writable: bool = False,
                    known_as: Path | None = None, manifest: dict | None = None):
    """The Whoosh index of a generation folder, every segment opened once
    to find damage now rather than mid-search.

    A damaged generation (a segment file missing, or of another size than
    its manifest records, or one Whoosh cannot open) raises
    ``IndexDamagedError`` naming it (``known_as``: the published folder a
    build's working copy was linked from) and saying that ``kb index
    --full`` rebuilds it: Whoosh's own errors (an ``EOFError``, which click
    shows as "Aborted!") say neither. Sizes only: reading every byte would
    cost each worker process a second per gigabyte (``verify`` does).
    ``manifest``: the generation's, when the caller has read it (parsing
    MedQuAD's 3 MB one and checking the sizes took 43 ms, under load).
    """
    shown = known_as or generation
    if manifest is None:
        manifest = read_manifest(generation)
    wrong = file_problems(generation, recorded_files(manifest),
                          wanted=lambda name: not is_derived(name), sizes_only=True)
    if wrong:
        raise damaged(shown, "; ".join(wrong))
    try:
        ix = whoosh_index.open_dir(str(generation), readonly=not writable)
        ix.reader().close()
        return ix
    except PermissionError:
        raise  # not damage: the caller says whose folder it cannot read
    except Exception as exc:  # Whoosh raises many kinds on damaged files
        # Whoosh leaves the damaged segment's file open in the failed frames:
        # closed here, quietly, rather than warned about at exit.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            traceback.clear_frames(exc.__traceback__)
            gc.collect()
        raise damaged(shown, _what(exc)) from None


def damaged(generation: Path, detail: str) -> IndexDamagedError:
    """The one error a damaged generation is reported with."""
    return IndexDamagedError(f"index generation {generation.name} is damaged ({detail}); "
                             + REBUILD, generation)


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# What Whoosh raises decoding bytes that are not what it wrote: only damage
# raises these. Other errors raised inside Whoosh are damage only when the
# files fail their checksums (``damage_named``).
_DECODING = (zlib.error, struct.error, EOFError, pickle.UnpicklingError)


@contextlib.contextmanager
def damage_named(generation: Path) -> Iterator[None]:
    """Around a read of a published generation: an error Whoosh raises on
    damaged files becomes ``IndexDamagedError`` naming the generation and
    ``kb index --full``, never a traceback; any other error passes."""
    try:
        yield
    except _DECODING as exc:
        raise damaged(generation, _what(exc)) from exc
    except Exception as exc:
        if isinstance(exc, SearchIndexError) or not _raised_in_whoosh(exc):
            raise
        wrong = _verdict(str(generation))
        if not wrong:
            raise
        raise damaged(generation, f"{_what(exc)}; {wrong}") from exc


def _raised_in_whoosh(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and "whoosh" in Path(tb.tb_frame.f_code.co_filename).parts


@functools.lru_cache(maxsize=4)
def _verdict(generation: str) -> str:
    """What is wrong with a published generation's files ('' when they
    match their checksums); verified once per process, when a search first
    fails inside Whoosh. A generation never changes once published."""
    folder = Path(generation)
    try:
        recorded = recorded_files(read_manifest(folder))
    except SearchIndexError as exc:
        return exc.message
    return "; ".join(file_problems(folder, recorded, wanted=lambda n: not is_derived(n)))


def is_derived(name: str) -> bool:
    """Whether a file of a generation is a part ``index/`` derives (see
    VECTORS), not one of Whoosh's."""
    return name in _DERIVED or name.endswith(SEGMENT_SUFFIXES)


def file_checksum(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, CHECKSUM).hexdigest()


def recorded_files(manifest: dict) -> dict[str, dict] | None:
    """The size and checksum of each file a manifest records ({name:
    {"size", "sha256"}}), or None for a generation built before they were
    recorded."""
    files = manifest.get("files")
    return files if isinstance(files, dict) else None


def file_problems(generation: Path, recorded: dict[str, dict] | None, *,
                  wanted: Callable[[str], bool] = lambda name: True,
                  sizes_only: bool = False, missing_ok: bool = False) -> list[str]:
    """What differs between a generation's files and what its manifest
    records, one phrase per file (none when nothing is recorded). A part
    ``index/`` derives may be missing with ``missing_ok`` (its reader falls
    back; a build makes it again)."""
    problems = []
    for name, entry in sorted((recorded or {}).items()):
        if not wanted(name):
            continue
        path = generation / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            if not (missing_ok and is_derived(name)):
                problems.append(f"{name} is missing")
            continue
        if size != entry.get("size"):
            problems.append(f"{name} is {size} bytes, {entry.get('size')} when published")
        elif not sizes_only and file_checksum(path) != entry.get(CHECKSUM):
            problems.append(f"{name} does not match its checksum")
    return problems


def verify(generation: Path, manifest: dict, *,
           wanted: Callable[[str], bool] = lambda name: True) -> dict[str, dict]:
    """Check every byte of a generation's files (those ``wanted``) against
    its manifest; their records, or ``IndexDamagedError``. A part
    ``index/`` derives may be missing. Costs a read of the files: 0.15 s
    for MedQuAD's 140 MiB in the page cache (tests/benchmarks/checksum_cost.py)."""
    recorded = recorded_files(manifest) or {}
    wrong = file_problems(generation, recorded, wanted=wanted, missing_ok=True)
    if wrong:
        raise damaged(generation, "; ".join(wrong))
    return {name: entry for name, entry in recorded.items()
            if wanted(name) and (generation / name).exists()}


@dataclass(frozen=True)
class IndexCheck:
    """``check_index``'s answer: the current generation (None: no index),
    whether its manifest records checksums, the files and bytes verified,
    and what is wrong."""
    generation: Path | None
    recorded: bool
    files: int
    size: int
    problems: list[IndexDamagedError]


def check_index(index_dir: Path) -> IndexCheck:
    """Verify every file of the current generation against its manifest
    (``kb check --index``)."""
    generation = current_generation(index_dir)
    if generation is None:
        raise SearchIndexError("there is no search index yet; run `kb index`", index_dir)
    recorded = recorded_files(read_manifest(generation))
    problems = [IndexDamagedError(f"{problem}; `kb index --full` rebuilds the index",
                                  generation)
                for problem in file_problems(generation, recorded)]
    return IndexCheck(generation, recorded is not None, len(recorded or {}),
                      sum(entry.get("size", 0) for entry in (recorded or {}).values()),
                      problems)


def read_manifest(generation: Path | None) -> dict:
    """The manifest of a generation: what it indexed ({} when none)."""
    if generation is None:
        return {}
    try:
        return json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SearchIndexError(f"unreadable index manifest: {exc}",
                               generation / MANIFEST) from exc


def _open_lock(index_dir: Path) -> int:
    """The lock file's descriptor; the folder is made when missing."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        return os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except (FileExistsError, NotADirectoryError):
        raise SearchIndexError("is not a folder; the index folder (--index-dir) "
                               "must be a folder or not exist yet", index_dir) from None
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise IndexReadOnlyError(f"cannot write to the index folder: {exc.strerror}",
                                     index_dir) from None
        raise


@contextlib.contextmanager
def builder_lock(index_dir: Path, wait_seconds: float = 3.0) -> Iterator[None]:
    """Hold the one-builder lock, waiting briefly for another builder.

    Raises ``IndexBusyError`` when another builder keeps it, and
    ``IndexReadOnlyError`` when the folder cannot be written.
    """
    fd = _open_lock(index_dir)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
                    who = f" (pid {holder})" if holder else ""
                    raise IndexBusyError(
                        f"another `kb index` is building this index{who}; "
                        "try again when it has finished", index_dir) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _is_stale_temporary(name: str) -> bool:
    # write_atomic's files, and those mkstemp made before it (".CURRENTab12cd_x").
    return is_temporary(name) or any(
        name.startswith(f".{kept}") and len(name) == len(kept) + 9
        for kept in (CURRENT, MANIFEST))


def remove_leftovers(index_dir: Path, current: Path | None = None) -> None:
    """Remove what interrupted builds left: folders of unfinished
    generations, generations no reader needs, and temporary files of
    killed publishes. ``current``: the current generation, when the caller
    has it (else it is read here).

    Call only while holding ``builder_lock``: no build is then in progress.
    """
    if current is None:
        try:
            current = current_generation(index_dir)
        except SearchIndexError:
            # A pointer to a missing generation serves nothing; clearing up must
            # not stop the full build its error message asks for.
            current = None
    gens = sorted(p for p in index_dir.glob(_GEN_PREFIX + "*") if p.is_dir())
    keep = {current} if current else set()
    if current in gens:
        keep.update(gens[max(0, gens.index(current) - KEEP_PREVIOUS):gens.index(current)])
    for path in index_dir.iterdir():
        stale_tmp = path.name.startswith(_TMP_PREFIX)
        stale_gen = path.name.startswith(_GEN_PREFIX) and path not in keep
        if (stale_tmp or stale_gen) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif _is_stale_temporary(path.name) and path.is_file():
            path.unlink(missing_ok=True)
    for generation in keep:
        for path in generation.iterdir():
            if _is_stale_temporary(path.name):
                path.unlink(missing_ok=True)


def _next_name(index_dir: Path) -> str:
    numbers = [int(p.name[len(_GEN_PREFIX):]) for p in index_dir.glob(_GEN_PREFIX + "*")
               if p.name[len(_GEN_PREFIX):].isdigit()]
    return f"{_GEN_PREFIX}{max(numbers, default=0) + 1:06d}"


class GenerationWriter:
    """The one writer of a generation being built in ``folder``: it owns
    the file names of the parts ``index/`` derives, writes each through
    ``write_atomic_bytes`` (a file linked from the base is replaced, never
    written in place: readers of the base may have it open), and publishes
    the manifest with every file's size and checksum.

    A file still linked from the base takes the base's record, which the
    caller verified (``verify``) before the build read it; every other file
    is hashed when the generation is published.
    """

    def __init__(self, folder: Path, base: Path | None, base_files: dict[str, dict]) -> None:
        self.folder = folder
        self._base = base
        self._base_files = base_files
        self._manifest: dict | None = None
        self.published: Path | None = None

    def put_vectors(self, matrix: Buffer, ids: bytes) -> None:
        self._put(VECTORS, matrix)
        self._put(VECTOR_IDS, ids)

    def drop_vectors(self) -> None:
        """No vectors in this generation (those linked from the base would
        not match its passages)."""
        for name in (VECTORS, VECTOR_IDS):
            (self.folder / name).unlink(missing_ok=True)

    def put_suggestions(self, table: bytes, headings: bytes) -> None:
        self._put(SUGGEST_TABLE, table)
        self._put(SUGGEST_HEADINGS, headings)

    def segment_parts(self, suffix: str) -> set[str]:
        """The segment ids that have a file of the part ``suffix`` names
        (one of SEGMENT_SUFFIXES) here."""
        return {p.name[:-len(suffix)] for p in self.folder.glob("*" + suffix)}

    def put_segment_part(self, segment_id: str, suffix: str, data: Iterable[Buffer]) -> None:
        self._put(segment_id + suffix, data)

    def drop_segment_part(self, segment_id: str, suffix: str) -> None:
        (self.folder / (segment_id + suffix)).unlink(missing_ok=True)

    def put_manifest(self, manifest: dict) -> None:
        """What the generation indexed; written last, with the checksums."""
        self._manifest = manifest

    def _put(self, name: str, data: bytes | Iterable[Buffer]) -> None:
        write_atomic_bytes(self.folder / name, data, sync_folder=False)

    def _finish(self) -> None:
        if self._manifest is None:
            return
        files = {}
        for entry in sorted(os.scandir(self.folder), key=lambda e: e.name):
            if not entry.is_file(follow_symlinks=False) or entry.name == MANIFEST:
                continue
            files[entry.name] = self._carried(entry) or {
                "size": entry.stat().st_size, CHECKSUM: file_checksum(Path(entry.path))}
        write_atomic(self.folder / MANIFEST, json.dumps({**self._manifest, "files": files},
                                                        sort_keys=True), sync_folder=False)

    def _carried(self, entry: os.DirEntry) -> dict | None:
        record = self._base_files.get(entry.name)
        if record is None or self._base is None:
            return None
        try:
            same = os.stat(self._base / entry.name).st_ino == entry.inode()
        except FileNotFoundError:
            return None
        return record if same else None


@contextlib.contextmanager
def building(index_dir: Path, base: Path | None,
             base_files: dict[str, dict] | None = None) -> Iterator[GenerationWriter]:
    """Yield the writer of a new generation in a private folder; publish it
    if the block succeeds (``writer.published`` then names it).

    With ``base``, the folder starts as hard links to ``base``'s files;
    ``base_files`` are their records, verified by the caller (``verify``).
    On any exception (KeyboardInterrupt included) the folder is removed and
    the current generation stays as it was.
    """
    tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=index_dir))
    try:
        # mkdtemp makes it private; a web server may run as another user.
        os.chmod(tmp, 0o755)
        if base is not None:
            for f in base.iterdir():
                if f.is_file() and f.name != MANIFEST:
                    os.link(f, tmp / f.name)
        writer = GenerationWriter(tmp, base, base_files or {})
        yield writer
        writer._finish()
        final = index_dir / _next_name(index_dir)
        fsync_folder(tmp)
        os.rename(tmp, final)
        write_atomic(index_dir / CURRENT, final.name)
        writer.published = final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def new_generation(index_dir: Path, base: Path | None) -> Iterator[Path]:
    """``building`` for a caller that writes its own files into the folder
    and publishes no manifest."""
    with building(index_dir, base) as writer:
        yield writer.folder


def write_manifest(generation: Path, manifest: dict) -> None:
    write_atomic(generation / MANIFEST, json.dumps(manifest, sort_keys=True))
