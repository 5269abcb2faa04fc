"""Index generations: how a rebuild never shows readers a half-built index.

An index folder holds complete Whoosh indexes in ``gen-NNNNNN/`` folders and
a ``CURRENT`` file naming the one readers use. A build writes a new
generation in a hidden temporary folder (for an incremental build, it starts
as hard links to the current generation's files, which Whoosh never changes
in place), then renames it into place and replaces ``CURRENT`` atomically.
Readers keep answering from the generation they opened until they see the
new name. A build killed at any point leaves ``CURRENT`` untouched; the next
build removes its leftovers.

One builder at a time: ``builder_lock`` takes an ``flock`` on ``.lock``,
which the kernel releases when the holder dies, so no lock goes stale.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import json
import os
import shutil
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Iterator

from whoosh import index as whoosh_index

from kb.errors import IndexBusyError, IndexReadOnlyError, SearchIndexError
from kb.files import fsync_folder, is_temporary, write_atomic

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".lock"
_GEN_PREFIX = "gen-"
_TMP_PREFIX = ".building-"
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
                    known_as: Path | None = None):
    """The Whoosh index of a generation folder, every segment opened once
    to find damage now rather than mid-search.

    A damaged generation (a truncated or missing segment file) raises
    ``SearchIndexError`` naming it (``known_as``: the published folder a
    build's working copy was linked from) and saying that ``kb index
    --full`` rebuilds it: Whoosh's own errors (an ``EOFError``, which click
    shows as "Aborted!") say neither.
    """
    shown = known_as or generation
    try:
        ix = whoosh_index.open_dir(str(generation), readonly=not writable)
        ix.reader().close()
        return ix
    except PermissionError:
        raise  # not damage: the caller says whose folder it cannot read
    except Exception as exc:  # Whoosh raises many kinds on damaged files
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        # Whoosh leaves the damaged segment's file open in the failed frames:
        # closed here, quietly, rather than warned about at exit.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            traceback.clear_frames(exc.__traceback__)
            gc.collect()
        raise SearchIndexError(
            f"index generation {shown.name} is damaged ({what}); "
            "`kb index --full` rebuilds it", shown) from None


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


def remove_leftovers(index_dir: Path) -> None:
    """Remove what interrupted builds left: folders of unfinished
    generations, generations no reader needs, and temporary files of
    killed publishes.

    Call only while holding ``builder_lock``: no build is then in progress.
    """
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


@contextlib.contextmanager
def new_generation(index_dir: Path, base: Path | None) -> Iterator[Path]:
    """Yield a private folder to build in; publish it if the block succeeds.

    With ``base``, the folder starts as hard links to ``base``'s files. On
    any exception (KeyboardInterrupt included) the folder is removed and the
    current generation stays as it was.
    """
    tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=index_dir))
    try:
        # mkdtemp makes it private; a web server may run as another user.
        os.chmod(tmp, 0o755)
        if base is not None:
            for f in base.iterdir():
                if f.is_file() and f.name != MANIFEST:
                    os.link(f, tmp / f.name)
        yield tmp
        final = index_dir / _next_name(index_dir)
        fsync_folder(tmp)
        os.rename(tmp, final)
        write_atomic(index_dir / CURRENT, final.name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_manifest(generation: Path, manifest: dict) -> None:
    write_atomic(generation / MANIFEST, json.dumps(manifest, sort_keys=True))
