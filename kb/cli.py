"""The `kb` command: the one place that wires kb, index and webapp together.

Domain errors (KBError) become click errors here and nowhere else. Each
command imports what it needs inside its body, so `kb --help` stays instant.
"""
from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from kb.errors import KBError
from kb.terminal import escape_controls

# Index builds show a progress bar from this many articles to write.
PROGRESS_FROM = 200


@dataclass
class Locations:
    """The knowledge-base and index folders a command works on, kept on
    ``ctx.obj`` by the options that name them."""
    kb_dir: Path | None = None
    index_dir: Path | None = None

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


def _one_line(exc: KBError | OSError) -> str:
    """A KBError, or a file system error no layer below foresaw (an index
    folder that cannot be read, a full disk), as one line naming the file."""
    if isinstance(exc, KBError):
        return str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _reports_errors(command):
    """Turn a KBError or OSError into a one-line message and exit status 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (KBError, OSError) as exc:
            raise click.ClickException(escape_controls(_one_line(exc))) from None
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kb")
def main() -> None:
    """kb: a searchable knowledge base of health articles.

    Articles are YAML files in a knowledge-base folder (by default the
    bundled one). `kb import` makes them from article text, `kb index`
    builds the search index, `kb search` and `kb serve` answer queries.
    """


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite articles that already exist.")
@click.option("--format", "fmt", type=click.Choice(["auto", "text", "medquad"]),
              default="auto", show_default=True,
              help="Input format: scraped article text, or a MedQuAD folder; "
                   "auto detects a MedQuAD folder.")
@kb_dir_option
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
            click.secho(f"error: {escape_controls(_one_line(exc))}", fg="red", err=True)
    if failed:
        raise SystemExit(1)


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
    with click.progressbar(length=len(files), label="Reading MedQuAD",
                           file=sys.stderr) as bar:
        report = import_medquad(root, target, force=force, progress=bar.update)
    for line in report.lines(root, target):
        click.echo(escape_controls(line))
    for error in report.errors:
        click.secho(f"  error: {escape_controls(_one_line(error))}", fg="red", err=True)
    return not report.errors


@main.command()
@kb_dir_option
@pass_locations
def check(where: Locations) -> None:
    """Validate every article and the synonyms list.

    Prints `path:line: message` per problem. Exits 0 when everything is
    valid, 1 otherwise.
    """
    from kb.store import check_knowledge_base
    from kb.synonyms import load_synonyms, synonyms_path

    folder = where.kb
    try:
        articles, problems = check_knowledge_base(folder)
    except KBError as exc:
        raise click.ClickException(str(exc)) from None
    synonyms = None
    try:
        synonyms = load_synonyms(synonyms_path(folder))
    except KBError as exc:
        problems.append(exc)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {folder}", err=True)
        raise SystemExit(1)
    click.echo(f"{len(articles)} article(s) in {folder}: all valid")
    click.echo(_synonyms_in_force(folder, synonyms))


def _synonyms_in_force(folder: Path, synonyms) -> str:
    from kb.synonyms import BUNDLED_SYNONYMS, synonyms_path

    path = synonyms_path(folder)
    whose = " (the bundled list: this knowledge base has no synonyms.yaml)" \
        if path == BUNDLED_SYNONYMS and folder.resolve() != path.parent.resolve() else ""
    groups = f"{len(synonyms.groups)} groups" if synonyms is not None else "not readable"
    return f"Synonyms: {path}, {groups}{whose}"


def _report_problem(problem: KBError) -> None:
    click.secho(f"skipped: {escape_controls(str(problem))}", fg="yellow", err=True)


def _report_kept(report) -> None:
    if report.kept:
        click.secho(f"kept the last indexed version of {len(report.kept)} article(s) "
                    f"with problems: {', '.join(report.kept)}", fg="yellow", err=True)


def _sync(kb_dir: Path, index_dir: Path, full: bool, lock_wait: float = 3.0):
    """Run an index build, with a progress bar when there is much to write."""
    from index import sync_index

    bar = None

    def on_plan(work) -> None:
        nonlocal bar
        todo = len(work.added) + len(work.updated)
        if todo >= PROGRESS_FROM:
            bar = click.progressbar(length=todo, label="Indexing articles", file=sys.stderr)
            bar.__enter__()

    def progress(n: int) -> None:
        if bar is not None:
            bar.update(n)
    embedding = _PhaseProgress("Embedding passages")
    try:
        report = sync_index(kb_dir, index_dir, full=full, progress=progress,
                            on_problem=_report_problem, on_plan=on_plan,
                            lock_wait=lock_wait, embed_progress=embedding.update)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        embedding.close()
    _report_kept(report)
    return report


class _PhaseProgress:
    """Progress of a long build phase on stderr, fed (done, total): a bar on
    a terminal; otherwise (a log, CI) a line every LOG_EVERY seconds, since
    a bar there prints nothing until the end. Silent below PROGRESS_FROM."""

    LOG_EVERY = 10.0

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.logging = False
        self.started = self.logged = 0.0
        self.done = 0

    def update(self, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if done == 0:  # a phase starts
            self.close()
            if total < PROGRESS_FROM:
                return
            self.started = self.logged = now
            if sys.stderr.isatty():
                self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
                self.bar.__enter__()
            else:
                self.logging = True
                click.echo(f"{self.label}: 0/{total}", err=True)
        elif self.bar is not None:
            self.bar.update(done - self.done)
        elif self.logging and (now - self.logged >= self.LOG_EVERY or done == total):
            self.logged = now
            rate = done / max(now - self.started, 1e-9)
            left = f", about {(total - done) / rate / 60:.1f} min left" if done < total else ""
            click.echo(f"{self.label}: {done}/{total} ({100 * done // total}%, "
                       f"{rate:.0f}/s{left})", err=True)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        self.bar, self.logging, self.done = None, False, 0


@main.command()
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating.")
@kb_dir_option
@index_dir_option
@_reports_errors
@pass_locations
def index(where: Locations, full: bool) -> None:
    """Bring the search index up to date with the articles.

    Only added, changed or removed articles are re-indexed unless --full.
    Readers keep searching the previous index until the new one is
    complete; an interrupted build leaves the previous index in place.
    """
    target = where.index
    report = _sync(where.kb, target, full)
    if not report.changed:
        click.echo(f"Index is up to date: {report.articles} articles, "
                   f"{report.passages} passages ({target}).")
    else:
        click.echo(f"Indexed {report.articles} articles, {report.passages} passages: "
                   f"{report.added} added, {report.updated} updated, {report.removed} removed "
                   f"in {report.seconds:.1f} s ({target}).")
    _echo_vectors(report, target)


def _echo_vectors(report, index_dir: Path) -> None:
    """What the build did with passage vectors, or the notice that search
    is lexical only."""
    from index import generations, vectors

    if report.vectors is not None:
        v = report.vectors
        click.echo(f"Passage vectors: {v.embedded} embedded, {v.reused} reused "
                   f"in {v.seconds:.1f} s.")
    elif vectors.read_vectors(generations.current_generation(index_dir)) is None:
        click.secho("note: this index has no passage vectors (the embedding model "
                    "is not installed): search matches words only.", fg="yellow", err=True)


def _terminal_text(marked, colour: bool) -> str:
    """Marked text for the terminal: the marked words in colour (or plain);
    control characters shown escaped, never obeyed."""
    if marked is None:
        return ""
    text, out, pos = marked.text, [], 0
    for start, end in marked.spans:
        word = escape_controls(text[start:end])
        out += [escape_controls(text[pos:start]),
                click.style(word, fg="yellow", bold=True) if colour else word]
        pos = end
    out.append(escape_controls(text[pos:]))
    return ("… " if marked.cut_before else "") + "".join(out) + (" …" if marked.cut_after else "")


@main.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of /api/search.")
@click.option("--limit", default=10, show_default=True, type=int,
              help="Results per page (per_page, 1-50).")
@click.option("--page", default=1, show_default=True, type=int, help="Page of results, from 1.")
@click.option("--kind", help="Only passages of this kind: intro, fact, question or conclusion.")
@kb_dir_option
@index_dir_option
@_reports_errors
@pass_locations
def search(where: Locations, query: str, as_json: bool, limit: int, page: int,
           kind: str | None) -> None:
    """Search the index: ranked passages, best first."""
    from index import SearchRequest
    from kb.errors import QueryError
    from webapp import create_app, present
    from webapp.search import close_index, get_index

    try:
        request = SearchRequest(query, page=page, per_page=limit, kind=kind)
    except QueryError as exc:
        raise click.UsageError(str(exc)) from None
    # The site's own wiring and presenter: the same index, synonyms and JSON.
    app = create_app({"KB_DIR": str(where.kb), "INDEX_DIR": str(where.index)})
    try:
        with app.test_request_context():
            response = get_index().search(request)
            if as_json:
                # Exactly the body /api/search answers.
                body = app.json.response(present.search_json(response)).get_data(as_text=True)
                click.echo(body, nl=False)
                return
            _print_results(response, present.message(response))
    finally:
        close_index(app)


def _print_results(response, message: str | None) -> None:
    from webapp.urls import article_url

    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    # Article text may hold terminal escapes: shown escaped, never obeyed.
    shown = escape_controls
    if response.corrected:
        lead = "Showing results for" if response.correction_applied else "Did you mean"
        click.echo(f"{lead}: {shown(response.corrected)}")
    if not response.hits:
        click.echo(message)
        return
    first = (response.page - 1) * response.per_page + 1
    click.echo(f"{response.total} passage(s); showing {first}-"
               f"{first + len(response.hits) - 1} ({response.took_ms} ms)\n")
    for n, hit in enumerate(response.hits, first):
        heading = shown(hit.heading.text) if hit.heading else ""
        label = {"fact": f"Fact {hit.number} · {heading}",
                 "question": f"Question {hit.number}: {heading}"}.get(
                     hit.kind, hit.kind.capitalize())
        title = shown(hit.article_title)
        title = click.style(title, bold=True) if colour else title
        click.echo(f"{n}. {title} — {label}")
        click.echo(f"   {_terminal_text(hit.snippet, colour)}")
        click.echo(f"   {shown(article_url(hit.article_id, hit.anchor))}")
        if hit.related:
            click.echo("   See also: " + "; ".join(shown(t.title) for t in hit.related))
        click.echo()


@main.command()
@click.option("--limit", default=25, show_default=True, type=click.IntRange(1, 10_000),
              help="How many queries to list.")
@click.option("--days", type=click.IntRange(1, 100_000),
              help="Only searches of the last DAYS days.")
@click.option("--log-dir", type=click.Path(path_type=Path),
              help="The query log's folder [default: beside the index folder].")
@kb_dir_option
@index_dir_option
@_reports_errors
@pass_locations
def report(where: Locations, limit: int, days: int | None, log_dir: Path | None) -> None:
    """Searches that found nothing or little.

    The queries readers searched that most often found nothing or only
    weak results, from the site's query log (normalised query text, outcome
    and day; nothing about the reader).

    "weak": the results were for a corrected spelling, or the best one
    showed fewer than half of the query's words. Add an article, or a
    synonym in synonyms.yaml, for the queries at the top.
    """
    import datetime as dt

    from kb.querylog import QueryLog, log_dir_for
    from kb.querylog import report as make_report

    log = QueryLog(log_dir or log_dir_for(where.index))
    since = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days - 1) \
        if days else None
    total, rows = make_report(log.lines(), since=since, limit=limit)
    period = f" in the last {days} day(s)" if days else ""
    if not total:
        click.echo(f"No searches logged{period} in {log.folder} (`kb serve` logs them "
                   "unless --no-query-log or KB_QUERY_LOG=0).")
        return
    click.echo(f"{total} search(es) logged{period} in {log.folder}.")
    if not rows:
        click.echo("Every query found good results.")
        return
    click.echo("Queries that found nothing or only weak results, most often first:\n")
    click.echo(f"{'searches':>8}  {'nothing':>7}  {'weak':>5}  query")
    for row in rows:
        click.echo(f"{row.searches:>8}  {row.found_nothing:>7}  {row.weak:>5}  "
                   f"{_printable(row.query)}")


def _printable(text: str) -> str:
    """Text with control characters shown escaped, so a logged query cannot
    drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _update_before_serving(folder: Path, target: Path) -> int:
    """Bring the index up to date, unless another build holds it or the
    index folder is read-only: serving an existing index needs neither, so
    the update is then skipped with a notice. Returns the number of
    articles the index serves."""
    from index import generations, index_status
    from kb.errors import IndexBusyError, IndexReadOnlyError

    try:
        status = index_status(folder, target)
        if status != "current":
            click.echo(f"Search index is {status}; bringing it up to date...", err=True)
        report = _sync(folder, target, full=False, lock_wait=0)
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
@_reports_errors
@pass_locations
def serve(where: Locations, host: str, port: int, threads: int, workers: int,
          no_query_log: bool) -> None:
    """Serve the site with a production WSGI server (waitress).

    Builds the search index first when it is missing or out of date. With
    several --workers, each is a process of its own on the one listening
    socket (see webapp/server.py). Logs each search's normalised text and
    outcome for `kb report`, unless --no-query-log.
    """
    from webapp import create_app, server

    folder, target = where.kb, where.index
    served = _update_before_serving(folder, target)
    from kb.synonyms import load_synonyms, synonyms_path
    try:
        click.echo(_synonyms_in_force(folder, load_synonyms(synonyms_path(folder))), err=True)
    except KBError as exc:
        click.echo(f"Synonyms: {exc}", err=True)

    def make_app():
        # Never debug mode, whatever FLASK_DEBUG says: a public server.
        return create_app({"KB_DIR": str(folder), "INDEX_DIR": str(target), "DEBUG": False,
                           "QUERY_LOG": not no_query_log})
    try:
        sock = server.listen(host, port)
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
