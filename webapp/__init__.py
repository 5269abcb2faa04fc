"""The kb web site: search pages, article pages and a JSON API."""
from __future__ import annotations

from pathlib import Path


def instance_path() -> str:
    """The instance folder Flask gives this package (where the index lives)."""
    from flask import Flask
    return Flask(__name__).instance_path
