"""`kb import`: files in, YAML articles out, and an account of what happened.

The functions here read and write; parsing stays in kb/parse.py and
kb/medquad.py. Each returns a report for the command line to print.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kb.article import SECTION_KINDS, Article, Dropped, ParseWarning
from kb.errors import KBError
from kb.inputs import read_text_file
from kb.parse import parse_article
from kb.store import article_path, write_article
from kb.article import Source

PLURALS = {"intro": "intro", "fact": "facts", "transition": "transition",
           "question": "questions", "conclusion": "conclusion"}


@dataclass
class TextImport:
    path: Path
    article: Article
    written_to: Path
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)

    def lines(self) -> list[str]:
        a = self.article
        counts = Counter(s.kind for s in a.sections)
        found = ", ".join(f"{counts[k]} {PLURALS[k] if counts[k] != 1 else k}"
                          for k in SECTION_KINDS if counts[k])
        out = [f"{self.path} -> {self.written_to}",
               f"  id: {a.id}",
               f"  title: {a.title}",
               f"  sections: {found}",
               f"  related topics: {len(a.related)}"
               + (": " + "; ".join(r.title for r in a.related) if a.related else "")]
        out.append(f"  dropped lines: {len(self.dropped)}")
        out += [f"    {self.path}:{d.line}: {d.text!r} ({d.reason})" for d in self.dropped]
        out += [f"  warning: {self.path}:{w.line}: {w.message}" for w in self.warnings]
        return out


def import_text_file(path: Path, kb_dir: Path, *, force: bool = False) -> TextImport:
    """Parse one article text file and write it into ``kb_dir``."""
    text, sha256 = read_text_file(path)
    try:
        result = parse_article(text)
        # The file name, not the whole path: re-importing the same text
        # from another folder gives the same YAML.
        article = dataclasses.replace(result.article,
                                      source=Source(path=path.name, sha256=sha256))
        # Refused here too (a fact with no heading or no text is not a
        # valid article): the error must still name the file imported.
        written = write_article(article, kb_dir, force=force)
    except KBError as exc:
        exc.path = exc.path or str(path)
        raise
    return TextImport(path, article, written, result.dropped, result.warnings)


def import_medquad(root: Path, kb_dir: Path, *, force: bool = False,
                   progress: Callable[[int], None] | None = None):
    """Import a MedQuAD folder: one article per document.

    Refuses, before writing anything, when articles with the same ids exist
    and ``force`` is not set. Returns the MedquadImport report.
    """
    from kb.medquad import read_medquad

    report = read_medquad(root, progress=progress)
    if not force:
        existing = [a.id for a in report.articles if article_path(kb_dir, a.id).exists()]
        if existing:
            raise KBError(f"{len(existing)} article(s) already exist (first: "
                          f"{existing[0]}); use --force to overwrite them", kb_dir)
    for n, article in enumerate(report.articles):
        # One article too large to write is reported; the others are written.
        try:
            write_article(article, kb_dir, force=True, tidy=n == 0)
        except (KBError, OSError) as exc:
            if isinstance(exc, KBError):
                exc.path = exc.path or str(root / article.source.path)
            report.errors.append(exc)
        else:
            report.written += 1
    return report
