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


def _block(conf: str, opening: str) -> str:
    """The text of the nginx block that ``opening`` starts, to its brace."""
    start = conf.index(opening) + len(opening)
    depth, at = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(conf[at], 0)
        at += 1
    return conf[start:at - 1]


def test_every_answer_proxied_from_kb_carries_the_sites_security_headers_once():
    from webapp.security import SECURITY_HEADERS

    proxied = _block((ROOT / "deploy" / "nginx-kb.conf").read_text(encoding="utf-8"),
                     "location / {")
    for header, value in SECURITY_HEADERS.items():
        assert f'add_header {header} "{value}" always;' in proxied
        assert f"proxy_hide_header {header};" in proxied


def test_nginx_buffers_kbs_answers_and_times_out_clients_that_do_not_read():
    conf = (ROOT / "deploy" / "nginx-kb.conf").read_text(encoding="utf-8")
    assert "proxy_buffering on;" in _block(conf, "location / {")
    assert "send_timeout 10s;" in conf
