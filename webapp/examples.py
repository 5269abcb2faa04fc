"""The home page's example searches: configured, or the knowledge base's
own topics."""
from __future__ import annotations

from flask import current_app

from kb.errors import KBError
from webapp.search import get_snapshot

EXAMPLES = 5


def example_queries() -> list[str]:
    """EXAMPLE_QUERIES when configured, else the titles and fact headings
    most articles share (index/reading/suggest.py); none while there is no index,
    so the home page still shows."""
    configured = current_app.config.get("EXAMPLE_QUERIES")
    if configured:
        return list(configured)
    try:
        return [s.text for s in get_snapshot().suggest("", limit=EXAMPLES)]
    except KBError as exc:
        current_app.logger.warning("no example searches: %s", exc)
        return []
