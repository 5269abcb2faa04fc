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


def _unit_settings(name: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit file, each key's values in order."""
    settings: dict[str, list[str]] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_serve_unit_puts_the_query_log_where_it_may_write():
    from kb.querylog import log_dir_for

    unit = _unit_settings("deploy/systemd/kb-serve@.service")
    env = dict(value.split("=", 1) for value in unit["Environment"])
    log_dir = Path(env.get("KB_QUERY_LOG_DIR") or log_dir_for(Path(env["KB_INDEX_DIR"])))
    writable = [Path("/var/lib") / n for v in unit.get("StateDirectory", []) for n in v.split()]
    writable += [Path(p) for v in unit.get("ReadWritePaths", []) for p in v.split()]
    read_only = [Path(p) for v in unit.get("ReadOnlyPaths", []) for p in v.split()]
    # ProtectSystem=strict: only the state and read-write paths may be written.
    assert unit["ProtectSystem"] == ["strict"]
    assert any(log_dir.is_relative_to(w) for w in writable), log_dir
    assert not any(log_dir.is_relative_to(r) for r in read_only), log_dir
    assert unit.get("StateDirectoryMode") == ["0700"]
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
