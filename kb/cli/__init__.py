"""The `kb` command: the one place that wires kb, index and webapp together.

Here the group and the commands that write (import, check, index, serve);
kb/cli/reading.py has those that read (search, report), kb/cli/options.py
what they share. Domain errors (KBError) become click errors in these
modules and nowhere else. Each command imports what it needs inside its
body, so `kb --help` stays instant.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from kb.cli.options import (Locations, ProblemsReported, error_line, index_dir_option,
                            kb_dir_option, pass_locations, reports_errors)
from kb.cli.reading import report, search
from kb.errors import KBError
from kb.progress import Progress
from kb.terminal import escape_controls, escape_name, problem_text


# What a shell reports for a command ended by SIGPIPE (128 + 13), as
# `yes | head -1` does for yes.
EXIT_BROKEN_PIPE = 141


class _Commands(click.Group):
    """The `kb` group. A reader that stops reading — `kb search x | head -1`
    — ends any command quietly, as other Unix tools end: no message,
    status 141. Python ignores SIGPIPE, so a write to a closed pipe raises
    BrokenPipeError instead, here or when the output is flushed."""

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()
            return result
        except BrokenPipeError:
            # Output still buffered would fail again as Python exits.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            ctx.exit(EXIT_BROKEN_PIPE)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kb")
def main() -> None:
    """kb: a searchable knowledge base of health articles.

    Articles are YAML files in a knowledge-base folder (by default the
    bundled one). `kb import` makes them from article text, `kb index`
    builds the search index, `kb search` and `kb serve` answer queries.
    """


main.add_command(search)
main.add_command(report)


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite articles that already exist.")
@click.option("--format", "fmt", type=click.Choice(["auto", "text", "medquad"]),
              default="auto", show_default=True,
              help="Input format: scraped article text, or a MedQuAD folder; "
                   "auto detects a MedQuAD folder.")
@kb_dir_option
@reports_errors
@pass_locations
def import_command(where: Locations, files: tuple[Path, ...], force: bool, fmt: str) -> None:
    """Turn article text FILES into YAML articles in the knowledge base.

    Reports, per file, the article id, the sections and related topics
    found, and every line left out with the reason. An existing article is
    kept unless --force. A MedQuAD folder (--format medquad) becomes one
    article per document. Exits 1 if any file or document could not be
    imported; the others are imported all the same.
    """
    from kb.importing import import_text_file
    from kb.medquad import is_medquad_dir

    target = where.kb
    failed = 0
    for path in files:
        try:
            if fmt == "medquad" or (fmt == "auto" and path.is_dir() and is_medquad_dir(path)):
                if not _import_medquad(path, target, force):
                    failed += 1
            else:
                for line in import_text_file(path, target, force=force).lines():
                    click.echo(escape_controls(line))
        except (KBError, OSError) as exc:
            failed += 1
            click.secho(f"error: {error_line(exc)}", fg="red", err=True)
    if failed:
        raise ProblemsReported()


def _import_medquad(root: Path, target: Path, force: bool) -> bool:
    """Import and report a MedQuAD folder; False if some file failed (the
    good documents are written all the same)."""
    from kb.errors import InputError
    from kb.importing import import_medquad
    from kb.medquad import medquad_files

    if not root.is_dir():
        raise InputError("is not a folder; expected a MedQuAD folder", root)
    files = medquad_files(root)
    if not files:
        raise InputError("holds no MedQuAD XML files", root)
    progress = Progress("Reading MedQuAD")
    progress.start(len(files))
    try:
        report = import_medquad(root, target, force=force, progress=progress.advance)
    finally:
        progress.close()
    for line in report.lines(root, target):
        click.echo(escape_controls(line))
    for error in report.errors:
        click.secho(f"  error: {error_line(error)}", fg="red", err=True)
    return not report.errors


@main.command()
@click.option("--index", "with_index", is_flag=True,
              help="Also verify every file of the search index against its checksum.")
@kb_dir_option
@index_dir_option
@reports_errors
@pass_locations
def check(where: Locations, with_index: bool) -> None:
    """Validate every article and the synonyms list.

    Prints `path:line: message` per problem. Exits 0 when everything is
    valid, 1 otherwise. With --index, also verifies every file of the
    current index generation against the checksum its manifest records.
    """
    from kb.store import check_knowledge_base
    from kb.synonyms import check_synonyms, synonyms_path

    folder = where.kb
    articles, problems = check_knowledge_base(folder)
    synonyms, synonyms_problems = check_synonyms(synonyms_path(folder))
    problems += synonyms_problems
    index_line = _check_index(where.index, problems) if with_index else None
    for problem in problems:
        click.echo(problem_text(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {escape_name(folder)}", err=True)
        raise ProblemsReported()
    click.echo(f"{len(articles)} article(s) in {escape_name(folder)}: all valid")
    click.echo(_synonyms_in_force(folder, synonyms))
    if index_line:
        click.echo(index_line)


def _check_index(index_dir: Path, problems: list) -> str | None:
    """`kb check --index`: the index's problems join ``problems``; the line
    to print when it has none."""
    from index import check_index
    from kb.files import human_size

    try:
        checked = check_index(index_dir)
    except KBError as exc:
        problems.append(exc)
        return None
    problems += checked.problems
    if not checked.recorded:
        return (f"Index {checked.generation}: no checksums recorded (built before they "
                "were); `kb index --full` rebuilds it with them")
    return (f"Index {checked.generation}: {checked.files} files, "
            f"{human_size(checked.size)}, all match their checksums")


def _synonyms_in_force(folder: Path, synonyms) -> str:
    from kb.synonyms import BUNDLED_SYNONYMS, synonyms_path

    path = synonyms_path(folder)
    whose = " (the bundled list: this knowledge base has no synonyms.yaml)" \
        if path == BUNDLED_SYNONYMS and folder.resolve() != path.parent.resolve() else ""
    groups = f"{len(synonyms.groups)} groups" if synonyms is not None else "not readable"
    return f"Synonyms: {escape_name(path)}, {groups}{whose}"


def _report_problem(problem: KBError) -> None:
    click.secho(f"skipped: {escape_controls(str(problem))}", fg="yellow", err=True)


def _report_kept(report) -> None:
    if report.kept:
        click.secho(f"kept the last indexed version of {len(report.kept)} article(s) "
                    f"with problems: {', '.join(report.kept)}", fg="yellow", err=True)


def _sync(where: Locations, full: bool, lock_wait: float = 3.0):
    """Run an index build, showing its progress when there is much to do."""
    from index import default_model, sync_index
    from kb.files import is_disk_full

    indexing, embedding = Progress("Indexing articles"), Progress("Embedding passages")

    def on_plan(work) -> None:
        indexing.start(len(work.added) + len(work.updated))
    try:
        report = sync_index(where.kb, where.index, full=full,
                            model=where.model or default_model(),
                            progress=indexing.advance,
                            on_problem=_report_problem, on_plan=on_plan,
                            lock_wait=lock_wait, embed_progress=embedding.update)
    except OSError as exc:
        if is_disk_full(exc):
            raise _disk_full(where.index, exc) from None
        raise
    finally:
        indexing.close()
        embedding.close()
    _report_kept(report)
    return report


def _disk_full(index_dir: Path, exc: OSError):
    """A full disk as one line naming the index folder and the space a build
    needs: about one generation's size (a full build writes a whole new one
    beside the current; an incremental one, less)."""
    from index import generations
    from kb.errors import IndexSpaceError, SearchIndexError
    from kb.files import folder_size, free_space, human_size

    try:
        current = generations.current_generation(index_dir)
    except SearchIndexError:
        current = None
    free = free_space(index_dir)
    free_text = f"{human_size(free)} free" if free is not None else "free space unknown"
    if current is None:
        need = "free some space"
    else:
        need = (f"a build needs up to about {human_size(folder_size(current))} free "
                "(the size of the current generation)")
    return IndexSpaceError(f"no space left on the disk of the index folder "
                           f"({exc.strerror or exc}): {need}; {free_text}", index_dir)


@main.command()
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating.")
@kb_dir_option
@index_dir_option
@reports_errors
@pass_locations
def index(where: Locations, full: bool) -> None:
    """Bring the search index up to date with the articles.

    Only added, changed or removed articles are re-indexed unless --full.
    Readers keep searching the previous index until the new one is
    complete; an interrupted build leaves the previous index in place.
    """
    target = where.index
    report = _sync(where, full)
    if not report.changed:
        click.echo(f"Index is up to date: {report.articles} articles, "
                   f"{report.passages} passages ({target}).")
    else:
        click.echo(f"Indexed {report.articles} articles, {report.passages} passages: "
                   f"{report.added} added, {report.updated} updated, {report.removed} removed "
                   f"in {report.seconds:.1f} s ({target}).")
    _echo_vectors(report)


def _echo_vectors(report) -> None:
    """What the build did with passage vectors, or the notice that search
    is lexical only."""
    if report.vectors is not None:
        v = report.vectors
        click.echo(f"Passage vectors: {v.embedded} embedded, {v.reused} reused "
                   f"in {v.seconds:.1f} s.")
    elif report.lexical_only:
        click.secho("note: this index has no passage vectors (the embedding model "
                    "is not installed): search matches words only.", fg="yellow", err=True)


def _update_before_serving(where: Locations) -> int:
    """Bring the index up to date, unless another build holds it or the
    index folder is read-only: serving an existing index needs neither, so
    the update is then skipped with a notice. Returns the number of
    articles the index serves."""
    from index import generations, index_status
    from kb.errors import IndexBusyError, IndexReadOnlyError, IndexSpaceError

    folder, target = where.kb, where.index
    try:
        status = index_status(folder, target)
        if status != "current":
            click.echo(f"Search index is {status}; bringing it up to date...", err=True)
        report = _sync(where, full=False, lock_wait=0)
    except IndexSpaceError as exc:
        if generations.current_generation(target) is None:
            raise
        click.echo(f"Not updating the search index before serving: "
                   f"{escape_controls(str(exc))}; serving the last good generation",
                   err=True)
    except (IndexBusyError, IndexReadOnlyError) as exc:
        click.echo(f"Not updating the search index before serving: "
                   f"{escape_controls(str(exc))}", err=True)
    else:
        if report.changed:
            click.echo(f"Indexed {report.articles} articles, {report.passages} passages "
                       f"in {report.seconds:.1f} s.", err=True)
    current = generations.current_generation(target)
    if current is not None:
        generations.open_generation(current).close()  # damage: said now, not per request
    return len(generations.read_manifest(current).get("articles", {}))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads of each worker process.")
@click.option("--workers", default=os.cpu_count() or 1, show_default="the number of CPUs",
              type=click.IntRange(1, 64),
              help="Worker processes, each with its own searchers (1: serve in this process).")
@click.option("--no-query-log", is_flag=True,
              help="Keep no log of searches for `kb report` (also: env KB_QUERY_LOG=0).")
@kb_dir_option
@index_dir_option
@reports_errors
@pass_locations
def serve(where: Locations, host: str, port: int, threads: int, workers: int,
          no_query_log: bool) -> None:
    """Serve the site with a production WSGI server (waitress).

    Builds the search index first when it is missing or out of date. With
    several --workers, each is a process of its own on the one listening
    socket (see webapp/server.py). Logs each search's masked text and
    outcome for `kb report` (once per reader a day, kept 30 days, nothing
    for a browser sending DNT or GPC; folder: env KB_QUERY_LOG_DIR, else
    beside the index folder), unless --no-query-log.
    """
    from webapp import create_app, server

    server.single_threaded_blas()  # before the index brings numpy in
    folder, target = where.kb, where.index
    served = _update_before_serving(where)
    from kb.synonyms import synonyms_cache, synonyms_path
    # Loaded into this process's cache before any worker is forked, so no
    # reader's request ever waits for the list (later edits are re-read in
    # a thread of their own).
    synonyms = synonyms_cache(synonyms_path(folder))
    in_force = synonyms.get()
    if synonyms.error is not None:
        click.echo(f"Synonyms: {problem_text(synonyms.error)}", err=True)
    else:
        click.echo(_synonyms_in_force(folder, in_force), err=True)

    def make_app():
        # Never debug mode, whatever FLASK_DEBUG says: a public server.
        return create_app({"KB_DIR": str(folder), "INDEX_DIR": str(target), "DEBUG": False,
                           "QUERY_LOG": not no_query_log})
    try:
        sock = server.bind(host, port)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another --port (0 picks a free one)") from None
    shown = f"[{host}]" if ":" in host else host
    processes = f"{workers} worker processes" if workers > 1 else "1 process"
    click.echo(f"kb is serving {served} article(s) at "
               f"http://{shown}:{sock.getsockname()[1]}/  ({processes}, {threads} threads "
               "each; Ctrl+C to stop)", err=True)
    sys.stderr.flush()
    with sock:
        if workers == 1:
            server.run_in_process(make_app(), sock, threads)
            return
        status = server.serve(make_app, sock, workers=workers, threads=threads,
                              log=lambda line: click.echo(f"kb serve: {line}", err=True))
    if status:
        raise SystemExit(status)
