"""The `kb` command: the one place that wires kb, index and webapp together.

Domain errors (KBError) become click errors here and nowhere else. Each
command imports what it needs inside its body, so `kb --help` stays instant.
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from kb.errors import KBError

# Index builds show a progress bar from this many articles to write.
PROGRESS_FROM = 200


def default_index_dir() -> Path:
    """The index inside the web app's instance folder (as Flask finds it)."""
    from webapp import instance_path
    return Path(instance_path()) / "index"


def _location_options(command):
    """--kb-dir and --index-dir, shared by every command."""
    command = click.option(
        "--index-dir", envvar="KB_INDEX_DIR", type=click.Path(path_type=Path),
        help="Search index folder [env KB_INDEX_DIR; default: the site's "
             "instance folder].")(command)
    command = click.option(
        "--kb-dir", envvar="KB_DIR", type=click.Path(path_type=Path),
        help="Knowledge-base folder of article YAML files [env KB_DIR; "
             "default: the bundled articles].")(command)
    return command


def _kb_dir(value: Path | None) -> Path:
    from kb.store import default_kb_dir
    return value or default_kb_dir()


def _reports_errors(command):
    """Turn a KBError, or a file system error no layer below foresaw (an
    index folder that cannot be read or written), into a one-line message
    and exit status 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KBError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
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
@_location_options
def import_command(files: tuple[Path, ...], force: bool, fmt: str,
                   kb_dir: Path | None, index_dir: Path | None) -> None:
    """Turn article text FILES into YAML articles in the knowledge base.

    Reports, per file, the article id, the sections and related topics
    found, and every line left out with the reason. An existing article is
    kept unless --force. A MedQuAD folder (--format medquad) becomes one
    article per document. Exits 1 if any file or document could not be
    imported; the others are imported all the same.
    """
    from kb.importing import import_text_file
    from kb.medquad import is_medquad_dir

    target = _kb_dir(kb_dir)
    failed = 0
    for path in files:
        try:
            if fmt == "medquad" or (fmt == "auto" and path.is_dir() and is_medquad_dir(path)):
                if not _import_medquad(path, target, force):
                    failed += 1
            else:
                for line in import_text_file(path, target, force=force).lines():
                    click.echo(line)
        except KBError as exc:
            failed += 1
            click.secho(f"error: {exc}", fg="red", err=True)
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
    click.echo(f"{root} -> {target}")
    click.echo(f"  documents: {report.documents} in {report.files} files; "
               f"articles written: {len(report.articles)}")
    click.echo(f"  questions: {report.questions} ({report.answered} with answers; "
               "the others keep their source link)")
    for path, old, new in report.renamed:
        click.echo(f"  renamed: {path}: id {old} is taken, imported as {new}")
    for path in report.skipped:
        click.echo(f"  skipped: {path}: no questions")
    for path, note in report.notes:
        click.echo(f"  note: {path}: {note}")
    for error in report.errors:
        click.secho(f"  error: {error}", fg="red", err=True)
    return not report.errors


@main.command()
@_location_options
def check(kb_dir: Path | None, index_dir: Path | None) -> None:
    """Validate every article and the synonyms list.

    Prints `path:line: message` per problem. Exits 0 when everything is
    valid, 1 otherwise.
    """
    from kb.store import check_knowledge_base
    from kb.synonyms import load_synonyms, synonyms_path

    folder = _kb_dir(kb_dir)
    try:
        articles, problems = check_knowledge_base(folder)
    except KBError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        load_synonyms(synonyms_path(folder))
    except KBError as exc:
        problems.append(exc)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {folder}", err=True)
        raise SystemExit(1)
    click.echo(f"{len(articles)} article(s) in {folder}: all valid")


def _report_problem(problem: KBError) -> None:
    click.secho(f"skipped: {problem}", fg="yellow", err=True)


def _sync(kb_dir: Path, index_dir: Path, full: bool):
    """Run an index build, with a progress bar when there is much to write."""
    from index.build import sync_index

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
        return sync_index(kb_dir, index_dir, full=full, progress=progress,
                          on_problem=_report_problem, on_plan=on_plan,
                          embed_progress=embedding.update)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        embedding.close()


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
@_location_options
@_reports_errors
def index(full: bool, kb_dir: Path | None, index_dir: Path | None) -> None:
    """Bring the search index up to date with the articles.

    Only added, changed or removed articles are re-indexed unless --full.
    Readers keep searching the previous index until the new one is
    complete; an interrupted build leaves the previous index in place.
    """
    target = index_dir or default_index_dir()
    report = _sync(_kb_dir(kb_dir), target, full)
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


def _terminal_html(html: str, colour: bool) -> str:
    """Snippet HTML as terminal text: marks in colour (or plain), unescaped."""
    import html as html_lib
    import re

    def marked(m: re.Match) -> str:
        word = html_lib.unescape(m.group(1))
        return click.style(word, fg="yellow", bold=True) if colour else word
    parts = re.split(r"(<mark>.*?</mark>)", html)
    return "".join(marked(re.match(r"<mark>(.*?)</mark>", p)) if p.startswith("<mark>")
                   else html_lib.unescape(p) for p in parts)


@main.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of /api/search.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 50),
              help="Results per page (per_page).")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 1000))
@click.option("--kind", type=click.Choice(["intro", "fact", "question", "conclusion"]),
              help="Only passages of this kind.")
@_location_options
@_reports_errors
def search(query: str, as_json: bool, limit: int, page: int, kind: str | None,
           kb_dir: Path | None, index_dir: Path | None) -> None:
    """Search the index: ranked passages, best first."""
    import json

    from index.search import SearchIndex
    from kb.synonyms import cached_synonyms, synonyms_path

    folder = _kb_dir(kb_dir)
    engine = SearchIndex(index_dir or default_index_dir(),
                         synonyms=functools.partial(cached_synonyms, synonyms_path(folder)))
    try:
        response = engine.search(query, page=page, per_page=limit, kind=kind)
    finally:
        engine.close()
    if as_json:
        click.echo(json.dumps(response, ensure_ascii=False, indent=2))
        return
    _print_results(response)


def _print_results(response: dict) -> None:
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    if response["corrected"]:
        lead = "Showing results for" if response["correction_applied"] else "Did you mean"
        click.echo(f"{lead}: {response['corrected']}")
    if response["message"] and not response["results"]:
        click.echo(response["message"])
        return
    first = (response["page"] - 1) * response["per_page"] + 1
    click.echo(f"{response['total']} passage(s); showing {first}-"
               f"{first + len(response['results']) - 1} ({response['took_ms']} ms)\n")
    for n, hit in enumerate(response["results"], first):
        label = {"fact": f"Fact {hit['number']} · {hit['heading']}",
                 "question": f"Question {hit['number']}: {hit['heading']}"}.get(
                     hit["kind"], hit["kind"].capitalize())
        title = click.style(hit["article"]["title"], bold=True) if colour else hit["article"]["title"]
        click.echo(f"{n}. {title} — {label}")
        click.echo(f"   {_terminal_html(hit['snippet'], colour)}")
        click.echo(f"   {hit['url']}")
        if hit["related"]:
            click.echo("   See also: " + "; ".join(r["title"] for r in hit["related"]))
        click.echo()


def _check_can_listen(host: str, port: int) -> None:
    """Fail with a clear message when the address is taken. Asked before
    waitress binds: its server leaks its sockets when binding fails."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another --port (0 picks a free one)") from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads of the WSGI server.")
@_location_options
@_reports_errors
def serve(host: str, port: int, threads: int, kb_dir: Path | None,
          index_dir: Path | None) -> None:
    """Serve the site with a production WSGI server (waitress).

    Builds the search index first when it is missing or out of date.
    """
    from waitress.server import create_server

    from index.build import index_status
    from webapp import create_app

    folder = _kb_dir(kb_dir)
    target = index_dir or default_index_dir()
    status = index_status(folder, target)
    if status != "current":
        click.echo(f"Search index is {status}; bringing it up to date...", err=True)
    report = _sync(folder, target, full=False)
    if report.changed:
        click.echo(f"Indexed {report.articles} articles, {report.passages} passages "
                   f"in {report.seconds:.1f} s.", err=True)
    # Never debug mode, whatever FLASK_DEBUG says: a public server.
    app = create_app({"KB_DIR": str(folder), "INDEX_DIR": str(target), "DEBUG": False})
    _check_can_listen(host, port)
    server = create_server(app, host=host, port=port, threads=threads, ident="kb")
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"kb is serving {report.articles} article(s) at "
               f"http://{shown}:{server.effective_port}/  (Ctrl+C to stop)", err=True)
    sys.stderr.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
