"""Reading article text given to `kb import`: bounded in size, strict
about encoding (kb/files.py does the bounded reading), and never empty or
binary. Errors say what is wrong with the file and, for bad bytes, on
which line.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from kb.errors import InputError
from kb.files import UTF16_BOMS, decode_utf8, read_bytes

MAX_INPUT_BYTES = 10 * 1024 * 1024
"""The largest input file `kb import` reads (10 MiB), article text or a
MedQuAD XML file: a long article is a few hundred kilobytes, so anything
near this is a wrong file. What is written is held to the article file
limit (kb/store.py's ``MAX_ARTICLE_BYTES``)."""


def read_text_file(path: Path, *,
                   max_bytes: int = MAX_INPUT_BYTES) -> tuple[str, str]:
    """``(text, sha256 hex of the file's bytes)`` of a UTF-8 text file.

    A byte-order mark is stripped; line ends are kept as they are. Raises
    ``InputError`` for a missing, empty, binary, non-UTF-8, unreadable or
    oversized file (over ``max_bytes``, ``MAX_INPUT_BYTES`` by default).
    """
    data = read_bytes(path, max_bytes=max_bytes)
    # UTF-16 holds NUL bytes too; decode_utf8 names it for what it is.
    if b"\0" in data and not data.startswith(UTF16_BOMS):
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise InputError("looks binary (it contains NUL bytes), expected "
                         "UTF-8 text", path, line)
    text = decode_utf8(data, path)
    if not text.strip():
        raise InputError("is empty, expected article text", path)
    return text, hashlib.sha256(data).hexdigest()
