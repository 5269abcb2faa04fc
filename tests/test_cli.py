"""The `kb` command group: help for every command."""
from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from kb.cli import main

COMMANDS = {
    "import": "Turn article text FILES into YAML articles in the knowledge base.",
    "check": "Validate every article and the synonyms list.",
    "index": "Bring the search index up to date with the articles.",
    "search": "Search the index: ranked passages, best first.",
    "serve": "Serve the site with a production WSGI server (waitress).",
    "report": "Searches that found nothing or little.",
}


def test_kb_help_lists_every_command_with_what_it_does():
    result = CliRunner().invoke(main, ["--help"], prog_name="kb")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: kb [OPTIONS] COMMAND [ARGS]...")
    listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == sorted(COMMANDS)
    for line in listed:
        name, summary = line.split(maxsplit=1)
        assert summary == COMMANDS[name]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_help_describing_it(command):
    result = CliRunner().invoke(main, [command, "--help"], prog_name="kb")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: kb {command} [OPTIONS]")
    assert COMMANDS[command] in result.stdout
    assert "--kb-dir" in result.stdout and "-h, --help" in result.stdout


def test_help_loads_neither_the_search_engine_nor_the_web_app():
    code = ("import sys\nfrom kb.cli import main\n"
            "main(['--help'], prog_name='kb', standalone_mode=False)\n"
            "print(sorted(m for m in ('whoosh', 'flask', 'index', 'webapp', 'yaml') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines()[-1] == "[]"


def test_kb_serve_on_a_busy_port_says_which_and_how_to_choose_another(tmp_path):
    import socket

    from kb.cli import main
    from support import KbRunner

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = KbRunner().invoke(main, ["serve", "--port", str(port),
                                           "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "--port" in result.output and "Traceback" not in result.output


def test_kb_index_never_imports_flask(tmp_path):
    """Building the index needs none of the web app (its locations come
    from kb/config.py)."""
    import subprocess
    import sys

    from support import TESTS

    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        "from hashed_model import HashedModel\n"
        "from kb.cli import main\n"
        "from kb.cli.options import Locations\n"
        f"try:\n    main(['index', '--index-dir', {str(tmp_path / 'index')!r}],\n"
        "         obj=Locations(model=HashedModel()))\n"
        "except SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
        "print(sorted(m for m in sys.modules if m == 'flask' or m.startswith('flask.')))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "index" / "CURRENT").exists()


@pytest.mark.parametrize("command", ["search", "check"])
def test_a_reader_that_stops_reading_ends_kb_quietly(seed_index_dir, tmp_path, command):
    import os
    from pathlib import Path

    where = (["search", "leg numb", "--limit", "50", "--index-dir", str(seed_index_dir)]
             if command == "search" else ["check", "--kb-dir", str(tmp_path)])
    # `kb search x | head -1`, made certain: the pipe is closed before kb writes.
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    try:
        # The index was built with the tests' model: kb with that model.
        done = subprocess.run([sys.executable, str(Path(__file__).parent / "kb_with_hashed_model.py"),
                               *where],
                              stdout=write_end, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=env, timeout=120)
    finally:
        os.close(write_end)
    assert done.stderr.decode() == ""
    assert done.returncode == 141  # as a command ended by SIGPIPE
