"""Where kb keeps things by default, known without starting the web app.

The index lives in the site's instance folder, found the way Flask finds
the ``webapp`` package's: ``instance/`` beside the packages in a checkout,
``<prefix>/var/webapp-instance`` when installed into site-packages. The web
app is created with this folder, so `kb index` and the site always agree.
"""
from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def instance_dir() -> Path:
    prefix = Path(sys.prefix).resolve()
    if "site-packages" in _ROOT.parts and _ROOT.is_relative_to(prefix):
        return prefix / "var" / "webapp-instance"
    return _ROOT / "instance"


def default_index_dir() -> Path:
    return instance_dir() / "index"
