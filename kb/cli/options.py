"""What every `kb` command shares: the folders it works on and how a
domain error reaches the terminal (one line, exit status 1)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from kb.errors import KBError, QueryError
from kb.terminal import escape_controls, problem_text


@dataclass
class Locations:
    """The knowledge-base and index folders a command works on, kept on
    ``ctx.obj`` by the options that name them, and the model its builds
    embed passages with (None: the shipped one; a caller of ``main`` may
    pass another as ``obj=Locations(model=...)``, as the tests do)."""
    kb_dir: Path | None = None
    index_dir: Path | None = None
    model: Any = None

    @property
    def kb(self) -> Path:
        from kb.store import default_kb_dir
        return self.kb_dir or default_kb_dir()

    @property
    def index(self) -> Path:
        from kb.config import default_index_dir
        return self.index_dir or default_index_dir()


pass_locations = click.make_pass_decorator(Locations, ensure=True)


def _keep_location(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        setattr(ctx.ensure_object(Locations), param.name, value)


kb_dir_option = click.option(
    "--kb-dir", envvar="KB_DIR", type=click.Path(path_type=Path), expose_value=False,
    callback=_keep_location,
    help="Knowledge-base folder of article YAML files [env KB_DIR; default: the "
         "bundled articles].")
index_dir_option = click.option(
    "--index-dir", envvar="KB_INDEX_DIR", type=click.Path(path_type=Path),
    expose_value=False, callback=_keep_location,
    help="Search index folder [env KB_INDEX_DIR; default: the site's instance folder].")


def error_line(exc: KBError | OSError) -> str:
    """A KBError (``path:line: message``), or a file system error no layer
    below foresaw (an index folder that cannot be read, a full disk), as one
    line naming the file, escaped for the terminal."""
    if isinstance(exc, KBError):
        return problem_text(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    return escape_controls(f"{where}{exc.strerror or exc}")


class ProblemsReported(Exception):
    """A command has printed its problems, one line each (every file's, not
    only the first): it ends with exit status 1 and no further line."""


def reports_errors(command):
    """The one way a command's errors reach the terminal: a KBError or
    OSError as one line and exit status 1; a query a command cannot take
    (QueryError) as a usage error, status 2; problems the command printed
    itself (ProblemsReported): status 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BrokenPipeError:
            raise  # a reader that stopped reading: the group ends quietly
        except ProblemsReported:
            raise click.exceptions.Exit(1) from None
        except QueryError as exc:
            raise click.UsageError(escape_controls(str(exc))) from None
        except (KBError, OSError) as exc:
            raise click.ClickException(error_line(exc)) from None
    return wrapper
