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
import fcntl
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

from kb.errors import SearchIndexError
from kb.files import fsync_folder, write_atomic

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


@contextlib.contextmanager
def builder_lock(index_dir: Path, wait_seconds: float = 3.0) -> Iterator[None]:
    """Hold the one-builder lock, waiting briefly for another builder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
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
                    raise SearchIndexError(
                        f"another `kb index` is building this index{who}; "
                        "try again when it has finished", index_dir) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def remove_leftovers(index_dir: Path) -> None:
    """Remove folders of interrupted builds and generations no reader needs.

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
