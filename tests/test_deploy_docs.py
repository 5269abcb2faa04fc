"""docs/deploy.md shows the deploy/ files as they are."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SHOWN = ["deploy/nginx-kb.conf", "deploy/systemd/kb-serve@.service",
         "deploy/systemd/kb-index.service", "deploy/systemd/kb-index.path",
         "deploy/push-generations"]


@pytest.mark.parametrize("name", SHOWN)
def test_the_deploy_page_shows_each_deploy_file_verbatim(name):
    page = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert (ROOT / name).read_text(encoding="utf-8") in page


def test_the_nginx_error_pages_carry_the_sites_security_headers():
    from webapp.security import SECURITY_HEADERS

    conf = (ROOT / "deploy" / "nginx-kb.conf").read_text(encoding="utf-8")
    for header, value in SECURITY_HEADERS.items():
        assert f'add_header {header} "{value}" always;' in conf
