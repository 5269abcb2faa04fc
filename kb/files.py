"""File primitives every layer shares: bounded reading, stamps, atomic writes.

- Reading: every check that can be made before reading is made first (a
  file larger than its limit is refused by ``stat`` alone) and the read is
  bounded as well in case the file grows between the two, so a huge file
  costs neither time nor memory. Not UTF-8 names the line of the first bad
  byte.
- Stamps: a file's (mtime_ns, size, inode) says whether it changed since it
  was last read, an edit in place and an editor's save-by-rename alike.
- Writing: a temporary sibling, fsync, ``os.replace``: a reader sees the old
  file or the new one, whole. The file gets the permissions the umask gives
  any new file (0644 typically), so a site running as another user can read
  what a build or an import wrote.

Errors that reach a person name the file: ``KBError`` subclasses for what
is wrong with a file, an ``OSError`` with its ``filename`` set for what the
system refused (a full disk).
"""
from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import Iterable

from kb.errors import InputError, KBError

Buffer = bytes | bytearray | memoryview
"""A chunk ``write_atomic_bytes`` writes (a numpy array as ``memoryview(a)``)."""

FileStamp = tuple[int, int, int]
"""(mtime_ns, size, inode) of a file."""

TEMPORARY_SUFFIX = ".tmp"
_TEMPORARY = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp\Z")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def human_size(size: int) -> str:
    """A size as a person reads it in an error: '5.0 MiB', '19.5 KiB'."""
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _cannot_read(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "cannot read: permission denied"
    return f"cannot read: {exc.strerror or exc}"


def read_bytes(path: Path, *, max_bytes: int,
               error: type[KBError] = InputError) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``.

    Raises ``error`` (with the path) for a missing file, a directory or
    other non-regular file, a file over the limit, or one that cannot be
    read.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error("no such file", path) from None
    except OSError as exc:
        raise error(_cannot_read(exc), path) from None
    if stat.S_ISDIR(info.st_mode):
        raise error("is a folder, expected a file", path)
    if not stat.S_ISREG(info.st_mode):
        raise error("is not a regular file", path)
    if info.st_size > max_bytes:
        raise error(f"is too large: {human_size(info.st_size)}, the limit is "
                    f"{human_size(max_bytes)}", path)
    try:
        with path.open("rb") as f:
            # One byte over the limit is enough to know a growing file is too big.
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise error(_cannot_read(exc), path) from None
    if len(data) > max_bytes:
        raise error(f"is too large: over {human_size(max_bytes)}, the limit", path)
    return data


def decode_utf8(data: bytes, path: str | Path, *,
                error: type[KBError] = InputError) -> str:
    """``data`` as text, without a UTF-8 byte-order mark; line ends kept.

    Not UTF-8 raises ``error`` naming the line of the first bad byte.
    """
    if data.startswith(UTF16_BOMS):
        raise error("is UTF-16 text; save it as UTF-8", path, 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"is not UTF-8: byte 0x{data[exc.start]:02x} cannot be "
                    f"decoded; save the file as UTF-8", path, line) from None


def file_stamp(path: Path) -> FileStamp:
    """The file's (mtime_ns, size, inode), following links; ``OSError`` if
    it cannot be seen (missing, a dangling link, a link loop)."""
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def stamp_or_none(path: Path) -> FileStamp | None:
    """``file_stamp``, or None for a file that cannot be seen."""
    try:
        return file_stamp(path)
    except OSError:
        return None


def is_temporary(name: str) -> bool:
    """Whether a file name is one of ``write_atomic``'s temporary files
    (``.<name>.<8 random characters>.tmp``; earlier versions drew the 8
    characters as ``mkstemp`` does)."""
    return _TEMPORARY.match(name) is not None


def _create_temporary(path: Path) -> tuple[int, Path]:
    # Not mkstemp: it creates the file 0600 whatever the umask; os.open
    # with 0666 lets the umask decide, as for any file a program creates.
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def write_atomic(path: Path, text: str, *, sync_folder: bool = True) -> None:
    """Replace ``path`` with ``text`` (UTF-8, line ends as given) atomically:
    ``write_atomic_bytes`` of its encoding."""
    write_atomic_bytes(path, text.encode("utf-8"), sync_folder=sync_folder)


def write_atomic_bytes(path: Path, data: bytes | Iterable[Buffer], *,
                       sync_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically: a temporary sibling,
    fsync, ``os.replace``. ``data`` is bytes, or an iterable of bytes-like
    chunks (a large array is written from its own buffer, never copied).

    On any failure, KeyboardInterrupt included, ``path`` is as it was and
    the temporary file is gone. An ``OSError`` the system raises names
    ``path`` (a full disk otherwise says only "No space left on device").
    ``sync_folder=False`` leaves the folder's fsync to the caller, who may
    write many files first.
    """
    path = Path(path)
    chunks = (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        fd, tmp = _create_temporary(path)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from None
        raise
    if sync_folder:
        fsync_folder(path.parent)


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` with ``path`` as its file name, if it names none."""
    if exc.filename is None:
        exc.filename = str(path)
    return exc


def is_disk_full(exc: OSError) -> bool:
    """Whether the system refused a write for lack of space (or quota)."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def folder_size(folder: Path) -> int:
    """Bytes of the files directly in ``folder`` (0 when it cannot be read)."""
    total = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    return total


def free_space(path: Path) -> int | None:
    """Bytes an unprivileged writer may still use on the disk of ``path``
    (of its nearest existing parent); None when it cannot be told."""
    path = Path(path).absolute()
    for candidate in (path, *path.parents):
        try:
            info = os.statvfs(candidate)
        except FileNotFoundError:
            continue
        except OSError:
            return None
        return info.f_bavail * info.f_frsize
    return None


def fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable; not possible on every OS."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_temporaries(folder: Path, *, older_than: float = 0.0) -> list[Path]:
    """Remove ``write_atomic``'s temporary files left in ``folder`` by a
    process killed mid-write; only those untouched for ``older_than``
    seconds, so a write in progress elsewhere keeps its file. Returns what
    was removed; a file that cannot be removed is left."""
    removed = []
    limit = time.time() - older_than
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not is_temporary(name):
            continue
        path = Path(folder) / name
        try:
            if os.lstat(path).st_mtime <= limit:
                os.unlink(path)
                removed.append(path)
        except OSError:
            continue
    return removed
