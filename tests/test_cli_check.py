"""`kb check` at the command line: articles and the synonyms list."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.cli import main
from kb.synonyms import load_synonyms
from kb.store import article_files

BUNDLED = Path(__file__).parent.parent / "kb" / "articles"
SEED_FILE = "why-does-my-leg-go-numb-when-i-lay-down.yaml"



@pytest.fixture
def kb_copy(tmp_path) -> Path:
    """A copy of the bundled knowledge base to break."""
    return Path(shutil.copytree(BUNDLED, tmp_path / "kb"))


def check(runner, kb_dir: Path):
    return runner.invoke(main, ["check", "--kb-dir", str(kb_dir)])


def replace_line(path: Path, old: str, new: str, occurrence: int = 1) -> int:
    """Replace the ``occurrence``-th line equal to ``old``; its 1-based number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    numbers = [i for i, line in enumerate(lines) if line == old]
    index = numbers[occurrence - 1]
    lines[index] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


def problem_lines(result) -> list[str]:
    """The problems `kb check` printed, without its closing summary line."""
    *problems, summary = result.stderr.splitlines()
    assert summary.startswith(f"{len(problems)} problem(s) in ")
    return problems


def test_bundled_knowledge_base_is_valid(runner):
    result = check(runner, BUNDLED)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{len(article_files(BUNDLED))} article(s) in {BUNDLED}: all valid",
        f"Synonyms: {BUNDLED / 'synonyms.yaml'}, {len(load_synonyms(BUNDLED / 'synonyms.yaml').groups)} groups"]
    assert result.stderr == ""


def test_default_knowledge_base_is_the_bundled_one(runner):
    result = runner.invoke(main, ["check"], env={"KB_DIR": None})
    assert result.exit_code == 0, result.output
    assert f" in {BUNDLED.resolve()}: all valid" in result.stdout


def test_a_wrong_value_is_reported_by_file_and_line(runner, kb_copy):
    path = kb_copy / SEED_FILE
    line = replace_line(path, "  number: 4", "  number: four")
    result = check(runner, kb_copy)
    assert result.exit_code == 1
    assert problem_lines(result) == [
        f"{path}:{line}: section 5 (fact): 'number' must be a positive integer, got 'four'"]
    assert result.stdout == ""


def test_broken_yaml_syntax_is_reported_by_file_and_line(runner, kb_copy):
    path = kb_copy / SEED_FILE
    line = replace_line(path, "  number: 4", "  number: 4: 4")
    result = check(runner, kb_copy)
    assert result.exit_code == 1
    [problem] = problem_lines(result)
    assert problem.startswith(f"{path}:{line}: YAML syntax error: ")


def test_each_problem_gets_its_own_line(runner, kb_copy):
    seed = kb_copy / SEED_FILE
    fact = replace_line(seed, "  number: 4", "  number: four")
    question = replace_line(seed, "  number: 4", "  number: 0")
    other = kb_copy / "other.yaml"
    other.write_text("id: other\ntitle: a: b\nsections: []\n", encoding="utf-8")
    result = check(runner, kb_copy)
    assert result.exit_code == 1
    problems = problem_lines(result)
    assert [p.split(": ")[0] for p in problems] == [
        f"{other}:2", f"{seed}:{fact}", f"{seed}:{question}"]


def test_broken_synonyms_list_is_reported_by_file_and_line(runner, kb_copy):
    path = kb_copy / "synonyms.yaml"
    with path.open("a", encoding="utf-8") as f:
        f.write("  - [numbness]\n")
    line = len(path.read_text(encoding="utf-8").splitlines())
    result = check(runner, kb_copy)
    assert result.exit_code == 1
    assert problem_lines(result) == [f"{path}:{line}: a group needs at least two terms"]


def test_broken_synonyms_and_article_are_both_reported(runner, kb_copy):
    seed = kb_copy / SEED_FILE
    replace_line(seed, "  number: 4", "  number: four")
    synonyms = kb_copy / "synonyms.yaml"
    synonyms.write_text("groups: [[tingling]]\n", encoding="utf-8")
    result = check(runner, kb_copy)
    assert result.exit_code == 1
    assert [p.split(":")[0] for p in problem_lines(result)] == [str(seed), str(synonyms)]


def test_knowledge_base_without_synonyms_list_is_valid(runner, kb_copy):
    (kb_copy / "synonyms.yaml").unlink()
    result = check(runner, kb_copy)
    assert result.exit_code == 0, result.output


def test_missing_folder_is_a_clear_error(runner, tmp_path):
    missing = tmp_path / "nowhere"
    result = check(runner, missing)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr == f"Error: {missing}: the knowledge-base folder does not exist\n"
