"""Reading files given as input: bounded in size, strict about encoding.

Every check that can be made before reading is made first: a file larger
than its limit is refused by ``stat`` alone, and reading is bounded as well
in case the file grows between the two, so a huge file costs neither time
nor memory. Errors say what is wrong with the file and, for bad bytes,
on which line.
"""
from __future__ import annotations

import codecs
import hashlib
import stat
from pathlib import Path

from kb.errors import InputError, KBError

MAX_INPUT_BYTES = 10 * 1024 * 1024
"""The largest article text ``read_text_file`` accepts (10 MiB): a long
article is a few hundred kilobytes, so anything near this is a wrong file."""

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


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
    except PermissionError:
        raise error("cannot read: permission denied", path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", path) from None
    if stat.S_ISDIR(info.st_mode):
        raise error("is a folder, expected a file", path)
    if not stat.S_ISREG(info.st_mode):
        raise error("is not a regular file", path)
    if info.st_size > max_bytes:
        raise error(f"is too large: {_mib(info.st_size)}, the limit is "
                    f"{_mib(max_bytes)}", path)
    try:
        with path.open("rb") as f:
            # One byte over the limit is enough to know a growing file is too big.
            data = f.read(max_bytes + 1)
    except PermissionError:
        raise error("cannot read: permission denied", path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", path) from None
    if len(data) > max_bytes:
        raise error(f"is too large: over {_mib(max_bytes)}, the limit", path)
    return data


def decode_utf8(data: bytes, path: str | Path, *,
                error: type[KBError] = InputError) -> str:
    """``data`` as text, without a UTF-8 byte-order mark; line ends kept.

    Not UTF-8 raises ``error`` naming the line of the first bad byte.
    """
    if data.startswith(_UTF16_BOMS):
        raise error("is UTF-16 text; save it as UTF-8", path, 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"is not UTF-8: byte 0x{data[exc.start]:02x} cannot be "
                    f"decoded; save the file as UTF-8", path, line) from None


def read_text_file(path: Path, *,
                   max_bytes: int = MAX_INPUT_BYTES) -> tuple[str, str]:
    """``(text, sha256 hex of the file's bytes)`` of a UTF-8 text file.

    A byte-order mark is stripped; line ends are kept as they are. Raises
    ``InputError`` for a missing, empty, binary, non-UTF-8, unreadable or
    oversized file (over ``max_bytes``, ``MAX_INPUT_BYTES`` by default).
    """
    data = read_bytes(path, max_bytes=max_bytes)
    if b"\0" in data:
        if data.startswith(_UTF16_BOMS):
            raise InputError("is UTF-16 text; save it as UTF-8", path, 1)
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise InputError("looks binary (it contains NUL bytes), expected "
                         "UTF-8 text", path, line)
    text = decode_utf8(data, path)
    if not text.strip():
        raise InputError("is empty, expected article text", path)
    return text, hashlib.sha256(data).hexdigest()
