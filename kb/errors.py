"""One exception tree for kb; each error can say where it happened."""
from __future__ import annotations

from pathlib import Path


class KBError(Exception):
    """A problem kb reports to a person: ``path:line: message``.

    ``path`` and ``line`` are optional; ``line`` is 1-based, like an
    editor's, and PyYAML's zero-based marks are converted on the way in.
    """

    def __init__(self, message: str, path: str | Path | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class ParseError(KBError):
    """Article text that cannot become an article."""


class ValidationError(KBError):
    """A YAML article that breaks the article rules."""


class InputError(KBError):
    """A file that cannot be read as input: missing, binary, too large..."""


class SearchIndexError(KBError):
    """The search index is missing, locked or unreadable."""


class QueryError(KBError):
    """A search parameter out of range (not a query string: any is valid)."""


class IndexBusyError(SearchIndexError):
    """Another `kb index` holds the builder lock of the index folder."""


class IndexReadOnlyError(SearchIndexError):
    """The index folder cannot be written (it may still be searched)."""


class IndexDamagedError(SearchIndexError):
    """A generation's files do not hold what it was published with; the
    message names the generation and `kb index --full`."""
class IndexSpaceError(SearchIndexError):
    """The disk of the index folder is full (the index may still be searched)."""
