"""`kb` with the tests' hashed model (tests/hashed_model.py) in place of the
shipped one, for the tests that run `kb` as a process (the live servers, a
killed build): ``python tests/kb_with_hashed_model.py COMMAND ARGS...``.

The command line, the build and the server are the production ones; only
the model differs, handed to them as a parameter (the CLI's context object
for builds, index/meaning/fusion.py's query model for searches). Nothing outside
tests/ runs this file.
"""
from __future__ import annotations

from hashed_model import HashedModel
from index.meaning import fusion
from kb.cli import main
from kb.cli.options import Locations


def run(args: list[str] | None = None) -> None:
    """`kb ARGS` (default: the process's arguments) with the hashed model."""
    model = HashedModel()
    fusion.use_query_model(model)
    main(args, prog_name="kb", obj=Locations(model=model))


if __name__ == "__main__":
    run()
