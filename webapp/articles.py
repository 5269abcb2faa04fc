"""The articles behind the article pages, read from KB_DIR and cached.

Each file is re-read only when its (mtime, size, inode) changes, so an
editor's save shows on the next request while an unchanged article costs
one ``stat``. A file that fails to load is logged and treated as missing:
one bad article never takes the site down.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask, current_app

from kb.article import Article, is_slug
from kb.errors import KBError
from kb.files import FileStamp, stamp_or_none
from kb.store import article_path, load_article

log = logging.getLogger(__name__)

_KEY = "kb_articles"

class ArticleCache:
    """Articles of one knowledge-base folder, by id. Safe across threads."""

    def __init__(self, kb_dir: Path) -> None:
        self.kb_dir = Path(kb_dir)
        self._entries: dict[Path, tuple[FileStamp, Article | None]] = {}
        self._lock = threading.Lock()

    def get(self, article_id: str) -> Article | None:
        """The article, or None when the id is no slug, has no file or its
        file does not load. The id is checked before any path is built."""
        if not is_slug(article_id):
            return None
        return self._load(article_path(self.kb_dir, article_id))

    def _load(self, path: Path) -> Article | None:
        key = stamp_or_none(path)
        with self._lock:
            if key is None:
                self._entries.pop(path, None)
                return None
            cached = self._entries.get(path)
            if cached is not None and cached[0] == key:
                return cached[1]
            article = self._read(path)
            self._entries[path] = (key, article)
            return article

    @staticmethod
    def _read(path: Path) -> Article | None:
        # load_article also refuses a file whose id is not its name.
        try:
            return load_article(path)
        except (KBError, OSError) as exc:
            log.warning("article skipped: %s", exc)
            return None


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = ArticleCache(Path(app.config["KB_DIR"]))


def get_articles() -> ArticleCache:
    return current_app.extensions[_KEY]
