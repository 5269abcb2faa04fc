"""`kb import` at the command line: article text and MedQuAD folders."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.cli import main
from kb.inputs import MAX_INPUT_BYTES
from kb.store import load_article

from support import forbid_opening

FIXTURES = Path(__file__).parent / "fixtures"
BUNDLED = Path(__file__).parent.parent / "kb" / "articles"
SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
SEED_TEXT = FIXTURES / "seed" / f"{SEED_ID}.txt"
SEED_FILE = f"{SEED_ID}.yaml"
MEDQUAD = FIXTURES / "medquad"
MEDQUAD_BAD = {"1_CancerGov_QA/0000020_1.xml": 7, "3_GHR_QA/0000806.xml": 2}
MEDQUAD_IDS = {"medquad-adam-0000001", "medquad-cancergov-0000001-1",
               "medquad-cancergov-0000013-2", "medquad-cancergov-0000013-2-1",
               "medquad-ghr-0000804", "medquad-ghr-0000805", "medquad-ninds-0000007"}
SMALL_ARTICLE = "Night Cramps\nCramps happen at night.\nFact 1: Muscles\nMuscles tire.\n"



@pytest.fixture
def kb_dir(tmp_path):
    return tmp_path / "kb"


def run_import(runner, kb_dir, *args):
    return runner.invoke(main, ["import", "--kb-dir", str(kb_dir), *map(str, args)])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def assert_clean_failure(result, *expected_stderr: str):
    """Exit 1, no traceback, and exactly these error lines on stderr."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == list(expected_stderr)


# --- article text ---------------------------------------------------------

def test_import_of_the_seed_reports_sections_related_topics_and_the_dropped_line(
        runner, kb_dir):
    result = run_import(runner, kb_dir, SEED_TEXT)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{SEED_TEXT} -> {kb_dir / SEED_FILE}",
        f"  id: {SEED_ID}",
        "  title: Why Does My Leg Go Numb When I Lay Down?",
        "  sections: 1 intro, 5 facts, 1 transition, 14 questions, 1 conclusion",
        "  related topics: 3: Why Does My Big Toe Nail Hurt; How Much Do Finger "
        "Monkeys Cost; How to Fix Knee Popping",
        "  dropped lines: 1",
        f"    {SEED_TEXT}:75: 'Scroll to Top' (page furniture)",
    ]
    assert result.stderr == ""


def test_import_of_the_seed_reproduces_the_bundled_article_byte_for_byte(runner, kb_dir):
    result = run_import(runner, kb_dir, SEED_TEXT)
    assert result.exit_code == 0, result.output
    assert (kb_dir / SEED_FILE).read_bytes() == (BUNDLED / SEED_FILE).read_bytes()


def test_existing_article_is_kept_without_force(runner, kb_dir):
    kb_dir.mkdir()
    (kb_dir / SEED_FILE).write_text("edited by hand\n", encoding="utf-8")
    result = run_import(runner, kb_dir, SEED_TEXT)
    assert_clean_failure(result, f"error: {kb_dir / SEED_FILE}: {SEED_FILE} already "
                                 "exists; use --force to overwrite it")
    assert (kb_dir / SEED_FILE).read_text(encoding="utf-8") == "edited by hand\n"


def test_force_overwrites_an_existing_article(runner, kb_dir):
    kb_dir.mkdir()
    (kb_dir / SEED_FILE).write_text("edited by hand\n", encoding="utf-8")
    result = run_import(runner, kb_dir, "--force", SEED_TEXT)
    assert result.exit_code == 0, result.output
    assert (kb_dir / SEED_FILE).read_bytes() == (BUNDLED / SEED_FILE).read_bytes()


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _binary(path: Path) -> None:
    path.write_bytes(b"Title\nText\x00\x01\x02\n")


def _latin1(path: Path) -> None:
    path.write_bytes("Caf\u00e9s\nOpen late.\n".encode("latin-1"))


def _folder(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize("make, message", [
    pytest.param(_empty, "{path}: is empty, expected article text", id="empty"),
    pytest.param(_binary, "{path}:2: looks binary (it contains NUL bytes), expected "
                          "UTF-8 text", id="binary"),
    pytest.param(_latin1, "{path}:1: is not UTF-8: byte 0xe9 cannot be decoded; save "
                          "the file as UTF-8", id="not-utf8"),
    pytest.param(_folder, "{path}: is a folder, expected a file", id="folder"),
    pytest.param(lambda path: None, "{path}: no such file", id="missing"),
])
def test_bad_input_gets_one_clear_line_and_touches_nothing(runner, kb_dir, tmp_path,
                                                           make, message):
    assert run_import(runner, kb_dir, SEED_TEXT).exit_code == 0
    before = snapshot(kb_dir)
    path = tmp_path / "input.txt"
    make(path)
    result = run_import(runner, kb_dir, "--force", path)
    assert_clean_failure(result, "error: " + message.format(path=path))
    assert result.stdout == ""
    assert snapshot(kb_dir) == before


def test_huge_sparse_file_is_refused_by_size_in_bounded_time(runner, kb_dir, tmp_path,
                                                              monkeypatch):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    assert path.stat().st_size > MAX_INPUT_BYTES
    forbid_opening(monkeypatch, path)  # refused by its size, unread
    result = run_import(runner, kb_dir, path)
    assert_clean_failure(result, f"error: {path}: is too large: 50.0 MiB, the limit "
                                 "is 10.0 MiB")
    assert not kb_dir.exists()


def test_good_files_are_imported_when_one_of_several_is_bad(runner, kb_dir, tmp_path):
    small = tmp_path / "night-cramps.txt"
    small.write_text(SMALL_ARTICLE, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run_import(runner, kb_dir, SEED_TEXT, empty, small)
    assert_clean_failure(result, f"error: {empty}: is empty, expected article text")
    assert sorted(snapshot(kb_dir)) == ["night-cramps.yaml", SEED_FILE]
    assert f"{small} -> {kb_dir / 'night-cramps.yaml'}" in result.stdout.splitlines()


def test_text_that_is_not_an_article_names_the_file_and_line(runner, kb_dir, tmp_path):
    path = tmp_path / "only-questions.txt"
    path.write_text("\nQ1: Why?\nA1: Because.\n", encoding="utf-8")
    result = run_import(runner, kb_dir, path)
    assert_clean_failure(result, f"error: {path}:2: no title: the first line is a question")
    assert not kb_dir.exists()


# --- MedQuAD ---------------------------------------------------------------

def medquad_report(root: Path, kb_dir: Path, files: int = 10) -> list[str]:
    return [
        f"{root} -> {kb_dir}",
        f"  documents: 8 in {files} files; articles written: 7",
        "  questions: 11 (9 with answers; the others keep their source link)",
        "  renamed: 1_CancerGov_QA/0000013_2_1.xml: id medquad-cancergov-0000013-2 is "
        "taken, imported as medquad-cancergov-0000013-2-1",
        "  skipped: 10_MPlus_ADAM_QA/0000002.xml: no questions",
        "  note: 3_GHR_QA/0000804.xml: pid '3' repeated: numbered 4",
        "  note: 3_GHR_QA/0000805.xml: no Focus: titled 'This condition'",
    ]


def medquad_errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "error:" in line]


@pytest.mark.parametrize("options", [["--format", "medquad"], []], ids=["format", "auto"])
def test_medquad_folder_gives_one_article_per_document_and_reports_it(runner, kb_dir,
                                                                      options):
    result = run_import(runner, kb_dir, *options, MEDQUAD)
    assert result.stdout.splitlines() == medquad_report(MEDQUAD, kb_dir)
    articles = [load_article(path) for path in sorted(kb_dir.iterdir())]
    assert {a.id for a in articles} == MEDQUAD_IDS
    sources = [a.source.path for a in articles]
    assert len(set(sources)) == len(sources)
    assert all((MEDQUAD / source).is_file() for source in sources)


def test_medquad_files_that_fail_are_named_with_their_line_and_exit_1(runner, kb_dir):
    result = run_import(runner, kb_dir, MEDQUAD)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = medquad_errors(result)
    assert len(errors) == len(MEDQUAD_BAD)
    for relative, line in MEDQUAD_BAD.items():
        assert sum(f"error: {MEDQUAD / relative}:{line}: " in e for e in errors) == 1
    # The good documents are written all the same.
    assert len(list(kb_dir.iterdir())) == len(MEDQUAD_IDS)


def test_medquad_folder_without_bad_files_exits_0(runner, kb_dir, tmp_path):
    root = tmp_path / "medquad"
    shutil.copytree(MEDQUAD, root)
    for relative in MEDQUAD_BAD:
        (root / relative).unlink()
    result = run_import(runner, kb_dir, root)
    assert result.exit_code == 0, result.output
    assert medquad_errors(result) == []
    assert result.stdout.splitlines() == medquad_report(root, kb_dir, files=8)


def test_medquad_import_keeps_existing_articles_without_force(runner, kb_dir):
    run_import(runner, kb_dir, MEDQUAD)
    (kb_dir / "medquad-ghr-0000804.yaml").write_text("edited by hand\n", encoding="utf-8")
    before = snapshot(kb_dir)
    refused = run_import(runner, kb_dir, MEDQUAD)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        f"error: {kb_dir}: 7 article(s) already exist (first: medquad-adam-0000001); "
        "use --force to overwrite them")
    assert snapshot(kb_dir) == before
    forced = run_import(runner, kb_dir, "--force", MEDQUAD)
    assert forced.stdout.splitlines() == medquad_report(MEDQUAD, kb_dir)
    assert load_article(kb_dir / "medquad-ghr-0000804.yaml").id == "medquad-ghr-0000804"


@pytest.mark.parametrize("make, message", [
    pytest.param(_folder, "{path}: holds no MedQuAD XML files", id="empty-folder"),
    pytest.param(lambda path: path.write_text("text\n", encoding="utf-8"),
                 "{path}: is not a folder; expected a MedQuAD folder", id="file"),
    pytest.param(lambda path: None, "{path}: is not a folder; expected a MedQuAD folder",
                 id="missing"),
])
def test_format_medquad_on_something_else_is_a_clear_error(runner, kb_dir, tmp_path,
                                                            make, message):
    path = tmp_path / "input"
    make(path)
    result = run_import(runner, kb_dir, "--format", "medquad", path)
    assert_clean_failure(result, "error: " + message.format(path=path))
    assert not kb_dir.exists()


def test_format_text_reads_a_medquad_folder_as_a_folder(runner, kb_dir):
    result = run_import(runner, kb_dir, "--format", "text", MEDQUAD)
    assert_clean_failure(result, f"error: {MEDQUAD}: is a folder, expected a file")
