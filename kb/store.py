"""Articles as YAML files: one ``<id>.yaml`` per article in a folder.

Reading checks each file with the article rules (kb/article_yaml.py), so
every problem names its file and line; ``check_knowledge_base`` reports
every problem in every file, not just the first. Writing emits YAML
(kb/yaml_emit.py), refuses what would not load back, and replaces each
file atomically (kb/files.py), so an article file is always either the old
one or the new one, whole.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kb.article import Article, is_slug
from kb.article_yaml import RESERVED_IDS, ParsedArticle, article_from_yaml, parse_article_yaml
from kb.errors import InputError, KBError, ValidationError
from kb.files import (FileStamp, decode_utf8, fsync_folder, human_size, read_bytes,
                      remove_temporaries, stamp_or_none, write_atomic)
from kb.synonyms import SYNONYMS_FILE
from kb.terminal import escape_name
from kb.yaml_emit import article_to_yaml, yaml_bytes_at_least

__all__ = ["ARTICLE_SUFFIX", "MAX_ARTICLE_BYTES", "RESERVED_IDS", "article_files",
           "article_from_yaml", "article_path", "article_to_yaml", "check_knowledge_base",
           "default_kb_dir", "load_article", "load_articles_whole", "load_knowledge_base",
           "write_article", "write_articles"]

MAX_ARTICLE_BYTES = 5 * 1024 * 1024
"""The largest article file (5 MiB): refused by size before reading, and
never written; the longest real articles are a few dozen kilobytes."""

ARTICLE_SUFFIX = ".yaml"
# A temporary file of a write this old is a killed import's, not one in
# progress: the next import removes it.
STALE_TEMPORARY_SECONDS = 600
# A file changed this recently may be half-way through a save in place:
# load_articles_whole reads it again once it has been left alone this long.
# An editor's save lands its pieces milliseconds apart, a slow one (a
# network folder, a large file, a busy machine) a second or so apart; a
# window of 0.25 s let pieces 0.4 s apart be published torn. A build pays
# the wait only for files changed within the window before it read them.
SETTLE_SECONDS = 2.0
SETTLE_ENV = "KB_SETTLE_SECONDS"
MAX_SETTLE_SECONDS = 10.0


def article_path(kb_dir: Path, article_id: str) -> Path:
    """Where the article with this id lives; refuses an id that is not a
    slug, so no id can name a path outside ``kb_dir``."""
    if not is_slug(article_id):
        raise KBError(f"{article_id!r} is not an article id (a slug such as "
                      f"'why-does-my-leg-go-numb')")
    return Path(kb_dir) / f"{article_id}{ARTICLE_SUFFIX}"


def default_kb_dir() -> Path:
    """The knowledge base that ships with kb."""
    return Path(__file__).parent / "articles"


def _read_article_file(path: Path) -> ParsedArticle:
    real = Path(os.path.realpath(path))
    folder = Path(os.path.realpath(path.parent))
    if path.is_symlink() and not os.path.lexists(real):
        return ParsedArticle(errors=[ValidationError(
            f"is a link to {os.readlink(path)}, which does not exist", path)])
    if not real.is_relative_to(folder):
        return ParsedArticle(errors=[ValidationError(
            f"is a link to {real}, outside the knowledge-base folder {folder}; "
            f"refusing to read it", path)])
    try:
        data = read_bytes(path, max_bytes=MAX_ARTICLE_BYTES, error=ValidationError)
        text = decode_utf8(data, path, error=ValidationError)
    except ValidationError as exc:
        return ParsedArticle(errors=[exc])
    parsed = parse_article_yaml(text, str(path))
    if parsed.id is not None and parsed.id != path.stem:
        parsed.errors.append(ValidationError(
            f"id {parsed.id!r} does not match the file name; the file must be "
            f"named {parsed.id}{ARTICLE_SUFFIX} (or the id be {path.stem!r})",
            path, parsed.id_line))
        parsed.article = None
    return parsed


def load_article(path: Path) -> Article:
    """The article in ``path``, checked; its id must be the file name's stem.

    Refused with ``ValidationError``: a file over ``MAX_ARTICLE_BYTES``
    (by size, before reading), a symlink leading outside its folder, a
    folder, text that is not UTF-8, and any invalid article.
    """
    parsed = _read_article_file(Path(path))
    if parsed.errors:
        raise parsed.errors[0]
    assert parsed.article is not None
    return parsed.article


@dataclass(frozen=True)
class WholeRead:
    """One file as ``load_articles_whole`` read it: the article, or the
    problem that keeps it out; ``stamp`` is that of the version read."""
    path: Path
    stamp: FileStamp | None
    article: Article | None = None
    problem: KBError | None = None


def settle_seconds() -> float:
    """The settle window: env ``KB_SETTLE_SECONDS`` when it holds a number
    from 0 to 60, else ``SETTLE_SECONDS``."""
    try:
        value = float(os.environ.get(SETTLE_ENV, ""))
    except ValueError:
        return SETTLE_SECONDS
    return value if 0 <= value <= 60 else SETTLE_SECONDS


def load_articles_whole(paths: Iterable[Path], *, settle: float | None = None,
                        give_up: float | None = None) -> list[WholeRead]:
    """Each file's article, from a version seen whole.

    An editor that saves in place truncates the file and writes it in
    pieces, and every piece may be valid YAML: a version counts only when
    the file's stamp is the same before and after reading it and it has
    been left alone for ``settle`` seconds (default: ``settle_seconds()``;
    one wait for all the files just written). A file that changed is read
    again; one still changing after ``give_up`` seconds (default
    ``MAX_SETTLE_SECONDS``) is a problem ("changed while it was read").
    Files are in the order given.
    """
    settle = settle_seconds() if settle is None else settle
    give_up = MAX_SETTLE_SECONDS if give_up is None else give_up
    pending = list(paths)
    done: dict[Path, WholeRead] = {}
    deadline = time.monotonic() + give_up
    settle_ns = int(settle * 1e9)
    while pending:
        seen = [(path, stamp_or_none(path), _try_load(path)) for path in pending]
        newest = max((stamp[0] for _, stamp, _ in seen if stamp), default=0)
        wait_ns = min(newest + settle_ns - time.time_ns(), settle_ns)
        if wait_ns > 0:
            time.sleep(wait_ns / 1e9)
        pending = []
        for path, before, result in seen:
            after = stamp_or_none(path)
            if after != before and time.monotonic() < deadline:
                pending.append(path)
            elif after != before:
                done[path] = WholeRead(path, None, problem=InputError(
                    f"changed while it was read, for over {give_up:g} s; "
                    f"read again next time", path))
            elif isinstance(result, KBError):
                done[path] = WholeRead(path, before, problem=result)
            else:
                done[path] = WholeRead(path, before, article=result)
    return list(done.values())


def _try_load(path: Path) -> Article | KBError:
    try:
        return load_article(path)
    except KBError as problem:
        return problem


def article_files(kb_dir: Path) -> list[Path]:
    """The article files in ``kb_dir``, sorted: ``*.yaml`` but not the
    synonyms list nor hidden files (editors' and our own temporary files)."""
    try:
        names = sorted(os.listdir(kb_dir))
    except FileNotFoundError:
        raise KBError("the knowledge-base folder does not exist", kb_dir) from None
    except NotADirectoryError:
        raise KBError("is not a folder; expected the knowledge-base folder",
                      kb_dir) from None
    except PermissionError:
        raise KBError("cannot read the knowledge-base folder: permission denied",
                      kb_dir) from None
    except OSError as exc:
        raise KBError(f"cannot read the knowledge-base folder: "
                      f"{exc.strerror or exc}", kb_dir) from None
    return [Path(kb_dir) / n for n in names
            if n.endswith(ARTICLE_SUFFIX) and n != SYNONYMS_FILE and not n.startswith(".")]


def check_knowledge_base(kb_dir: Path) -> tuple[list[Article], list[ValidationError]]:
    """Every valid article in ``kb_dir`` and every problem found, file by
    file in name order. A file claiming an id another file holds (the one
    named after it, or else the first) is a problem on its id line. Raises ``KBError`` only when the folder itself
    cannot be read."""
    files = [(path, _read_article_file(path)) for path in article_files(kb_dir)]
    # An id belongs to the file named after it, else to the first claiming it.
    owner: dict[str, Path] = {}
    for path, parsed in files:
        if parsed.id is not None and (parsed.id == path.stem or parsed.id not in owner):
            owner[parsed.id] = path
    articles: list[Article] = []
    errors: list[ValidationError] = []
    for path, parsed in files:
        errors.extend(parsed.errors)
        if parsed.id is not None and owner[parsed.id] != path:
            errors.append(ValidationError(
                f"duplicate id {parsed.id!r}: {escape_name(owner[parsed.id].name)} "
                "already has it",
                path, parsed.id_line))
        elif parsed.article is not None:
            articles.append(parsed.article)
    return articles, errors


def load_knowledge_base(kb_dir: Path) -> list[Article]:
    """Every article in ``kb_dir``, all or nothing: raises the first
    ``ValidationError`` if any file has a problem. Use
    ``check_knowledge_base`` to go on with the valid ones."""
    articles, errors = check_knowledge_base(kb_dir)
    if errors:
        raise errors[0]
    return articles


def _checked_yaml(article: Article) -> str:
    """The article's YAML, refused unless it would load back: nothing
    ``load_article`` would reject is ever written, too large included."""
    least = yaml_bytes_at_least(article)
    if least > MAX_ARTICLE_BYTES:  # refused before the YAML is made
        raise ValidationError(f"cannot write article {article.id!r}: its YAML would be at "
                              f"least {human_size(least)}, over the "
                              f"{human_size(MAX_ARTICLE_BYTES)} an article file may hold")
    text = article_to_yaml(article)
    parsed = parse_article_yaml(text, "<new article>")
    if parsed.errors:
        raise ValidationError(f"cannot write article {article.id!r}: "
                              f"{parsed.errors[0].message}")
    size = len(text.encode("utf-8"))
    if size > MAX_ARTICLE_BYTES:
        raise ValidationError(f"cannot write article {article.id!r}: its YAML is "
                              f"{human_size(size)}, over the {human_size(MAX_ARTICLE_BYTES)} an "
                              f"article file may hold")
    return text


def _refuse_existing(path: Path) -> None:
    if path.exists():
        raise KBError(f"{path.name} already exists; use --force to overwrite it", path)


def write_article(article: Article, kb_dir: Path, *, force: bool = False,
                  tidy: bool = True) -> Path:
    """Write ``<kb_dir>/<id>.yaml`` atomically and return its path.

    Raises ``ValidationError`` for an article that would not load back,
    and ``KBError`` if the file exists and ``force`` is not set. Creates
    ``kb_dir`` when missing.
    """
    return write_articles([article], kb_dir, force=force, tidy=tidy)[0]


def write_articles(articles: Iterable[Article], kb_dir: Path, *,
                   force: bool = False, tidy: bool = True) -> list[Path]:
    """Write many articles, each atomically; all are checked (valid, ids
    distinct, files absent unless ``force``) before any is written.

    ``tidy`` first removes temporary files killed writes left in
    ``kb_dir``; a caller writing thousands one by one does that once."""
    kb_dir = Path(kb_dir)
    todo: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for article in articles:
        text = _checked_yaml(article)
        if article.id in seen:
            raise ValidationError(f"article id {article.id!r} is given twice")
        seen.add(article.id)
        path = article_path(kb_dir, article.id)
        if not force:
            _refuse_existing(path)
        todo.append((path, text))
    kb_dir.mkdir(parents=True, exist_ok=True)
    if tidy:
        remove_temporaries(kb_dir, older_than=STALE_TEMPORARY_SECONDS)
    for path, text in todo:
        write_atomic(path, text, sync_folder=False)
    if todo:
        fsync_folder(kb_dir)
    return [path for path, _ in todo]
