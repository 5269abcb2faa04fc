import os
from pathlib import Path

import pytest
import yaml

import kb.synonyms
from kb.errors import InputError, KBError, ValidationError
from kb.synonyms import (MAX_BYTES, MAX_GROUP_TERMS, Synonyms, SynonymsCache,
                         cached_synonyms, load_synonyms, synonyms_cache, term_form,
                         synonyms_path)

SHIPPED = Path(kb.synonyms.__file__).parent / "articles" / "synonyms.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def touch_later(path: Path) -> None:
    """Move the mtime on, so a rewrite is seen even on a coarse clock."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def reloaded(cache: SynonymsCache) -> Synonyms:
    """The list once the re-read a changed file starts has finished."""
    cache.get()
    cache.wait(timeout=60)
    return cache.get()


@pytest.fixture(scope="module")
def shipped():
    return load_synonyms(SHIPPED)


@pytest.fixture
def syn_file(tmp_path):
    return write(tmp_path / "synonyms.yaml", "groups:\n"
                 "  - [tingling, pins and needles, paresthesia]\n"
                 "  - [belly, tummy, abdomen]\n"
                 "  - [stomach, tummy]\n"
                 "  - [crohn's, crohn's disease, crohns]\n")


# --- the shipped list -------------------------------------------------------

def test_a_knowledge_base_without_a_list_uses_the_bundled_one(tmp_path):
    assert synonyms_path(tmp_path) == SHIPPED
    (tmp_path / "synonyms.yaml").write_text("groups:\n  - [a1, b1]\n", encoding="utf-8")
    assert synonyms_path(tmp_path) == tmp_path / "synonyms.yaml"
    assert synonyms_path(SHIPPED.parent) == SHIPPED


def test_shipped_list_loads_with_at_least_250_groups(shipped):
    assert len(shipped) >= 250
    assert all(len(group) >= 2 for group in shipped.groups)


def test_shipped_list_is_written_in_normal_form():
    raw = yaml.load(SHIPPED.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    terms = [term for group in raw["groups"] for term in group]
    assert terms
    assert [t for t in terms if term_form(t) != t] == []


@pytest.mark.parametrize("reader, article", [
    ("pins and needles", "tingling"),
    ("overweight", "obesity"),
    ("high blood pressure", "hypertension"),
    ("heart attack", "myocardial infarction"),
    ("shortness of breath", "dyspnea"),
    ("belly", "abdomen"),
    ("drugs", "medication"),
    ("medicine", "medication"),
    ("itchy", "pruritus"),
    ("throwing up", "vomiting"),
    ("runny nose", "rhinorrhea"),
    ("sugar diabetes", "diabetes"),
    ("stroke", "cerebrovascular accident"),
    ("nerve damage", "peripheral neuropathy"),
    ("slipped disc", "herniated disc"),
    ("painkiller", "analgesic"),
    ("blood thinner", "anticoagulant"),
    ("smoking", "tobacco"),
    ("inactivity", "sedentary lifestyle"),
    ("workout", "exercise"),
    ("anaemia", "anemia"),
    ("oesophagus", "esophagus"),
    ("diarrhoea", "diarrhea"),
    ("kidney", "renal"),
    ("lay down", "lie down"),
])
def test_shipped_list_joins_readers_words_to_clinical_words(shipped, reader, article):
    assert article in shipped.lookup(reader)
    assert reader in shipped.lookup(article)


@pytest.mark.parametrize("a, b", [
    ("numbness", "tingling"),
    ("dizziness", "fainting"),
    ("tumor", "cancer"),
])
def test_shipped_list_keeps_different_symptoms_apart(shipped, a, b):
    assert b not in shipped.lookup(a)


# --- lookup -----------------------------------------------------------------

def test_lookup_gives_the_other_terms_of_a_single_word(syn_file):
    assert load_synonyms(syn_file).lookup("tingling") == (
        "pins and needles", "paresthesia")


def test_lookup_matches_a_multi_word_phrase(syn_file):
    assert load_synonyms(syn_file).lookup("pins and needles") == (
        "tingling", "paresthesia")


@pytest.mark.parametrize("phrase", [
    "Pins And Needles", "  pins   and\tneedles ", "PINS AND\nNEEDLES"])
def test_lookup_ignores_case_and_spacing(syn_file, phrase):
    assert load_synonyms(syn_file).lookup(phrase) == ("tingling", "paresthesia")


@pytest.mark.parametrize("phrase", ["Crohn\u2019s", "crohn\u2018s", "crohn\u02bcs"])
def test_lookup_straightens_curly_apostrophes(syn_file, phrase):
    assert load_synonyms(syn_file).lookup(phrase) == ("crohn's disease", "crohns")


@pytest.mark.parametrize("phrase", ["light headed", "light-headed", "Light -  Headed"])
def test_lookup_counts_a_hyphen_as_a_space(tmp_path, phrase):
    path = write(tmp_path / "s.yaml",
                 "groups:\n  - [lightheaded, light-headed, woozy]\n")
    assert load_synonyms(path).lookup(phrase) == ("lightheaded", "woozy")


def test_term_in_two_groups_looks_up_to_their_union(syn_file):
    synonyms = load_synonyms(syn_file)
    assert synonyms.lookup("tummy") == ("belly", "abdomen", "stomach")
    assert synonyms.lookup("stomach") == ("tummy",)


@pytest.mark.parametrize("phrase", ["numbness", "pins", "", "   "])
def test_lookup_of_an_unlisted_phrase_is_empty(syn_file, phrase):
    assert load_synonyms(syn_file).lookup(phrase) == ()


def test_loaded_terms_are_normalised(tmp_path):
    path = write(tmp_path / "s.yaml",
                 "groups:\n  - [Pins  and Needles, \"Crohn\u2019s\", TINGLING]\n")
    synonyms = load_synonyms(path)
    assert synonyms.groups == (("pins and needles", "crohn's", "tingling"),)


def test_terms_are_kept_as_written(tmp_path):
    path = write(tmp_path / "s.yaml", "groups:\n  - [x-ray, radiograph]\n")
    assert load_synonyms(path).terms() == ("x-ray", "radiograph")


def test_terms_lists_each_term_once_in_list_order(syn_file):
    assert load_synonyms(syn_file).terms() == (
        "tingling", "pins and needles", "paresthesia", "belly", "tummy",
        "abdomen", "stomach", "crohn's", "crohn's disease", "crohns")


def test_len_counts_groups(syn_file):
    assert len(load_synonyms(syn_file)) == 4


@pytest.mark.parametrize("groups, words", [
    ((("a", "b"),), 1),
    ((("tingling", "pins and needles"),), 3),
    ((("x-ray", "radiograph"), ("scan", "ct scan")), 2),
    ((("getting up at night to pee", "nocturia"),), 6),
])
def test_max_words_is_the_longest_term_counting_hyphen_parts(groups, words):
    assert Synonyms(groups).max_words == words


def test_empty_synonyms_have_nothing():
    empty = Synonyms.empty()
    assert len(empty) == 0
    assert empty.max_words == 0
    assert empty.terms() == ()
    assert empty.lookup("tingling") == ()


def test_missing_file_is_empty(tmp_path):
    assert load_synonyms(tmp_path / "nope.yaml") == Synonyms.empty()


def test_empty_group_list_is_allowed(tmp_path):
    assert len(load_synonyms(write(tmp_path / "s.yaml", "groups: []\n"))) == 0


# --- errors -----------------------------------------------------------------

@pytest.mark.parametrize("text, line, words", [
    # YAML syntax
    ("groups:\n  - [a, b]\n  - [c, d]]\n", 3, "YAML syntax error"),
    ("groups:\n  - [a, b]\n  - ['c, d]\n", 3, "YAML syntax error"),
    ("groups:\n  - [a, b]\n  - [c, d\n\n", 3, "YAML syntax error"),
    ("groups:\n\t- [a, b]\n", 2, "YAML syntax error"),
    ("groups:\n  - [a, b]\n  - [c, d\x07]\n", 3, "control character"),
    # shape
    ("# only a comment\n", 1, "mapping with a 'groups' list"),
    ("\n- [a, b]\n", 2, "mapping with a 'groups' list"),
    ("\n\nsynonyms:\n  - [a, b]\n", 3, "unknown key 'synonyms'"),
    ("groups:\n  - [a, b]\ngroups:\n  - [c, d]\n", 3, "'groups' given twice"),
    ("groups: tingling\n", 1, "'groups' must be a list"),
    ("groups:\n\n  tingling: pins\n", 3, "'groups' must be a list"),
    ("groups:\n  - [a, b]\n  - tingling\n", 3, "a group must be a list"),
    ("groups:\n  - [a, b]\n  - {a: b}\n", 3, "a group must be a list"),
    # a term that is not text
    ("groups:\n  - [a, b]\n  - [c, 42]\n", 3, "must be text"),
    ("groups:\n  - [a, b]\n  - [yes, ok]\n", 3, "must be text"),
    ("groups:\n  - [a, ~]\n", 2, "must be text"),
    ("groups:\n  - - a\n    - b\n    - [c, d]\n", 4, "must be text"),
    # term rules
    ("groups:\n  - [a, '']\n", 2, "empty term"),
    ("groups:\n  - - a\n    - '   '\n", 3, "empty term"),
    ("groups:\n  - - tingling\n    - pins & needles\n", 3, "letters, digits"),
    ("groups:\n  - [a, x_ray]\n", 2, "letters, digits"),
    ("groups:\n  - [a, tingling.]\n", 2, "letters, digits"),
    ("groups:\n  - [a, '-tingling']\n", 2, "letters, digits"),
    ("groups:\n  - [a, \"tingling'\"]\n", 2, "letters, digits"),
    ("groups:\n  - - tingling\n    - paresthesia\n    - Tingling\n", 4, "twice in this group"),
    ("groups:\n  - [x-ray, xray,\n     x ray]\n", 3, "a hyphen counts as a space"),
    ("groups:\n  - [a, b]\n\n  - [solo]\n", 4, "at least two terms"),
    ("groups:\n  - [a, b]\n  - []\n", 3, "at least two terms"),
])
@pytest.mark.parametrize("loader", ["CSafeLoader", "SafeLoader"])
def test_bad_file_is_refused_with_its_line(tmp_path, monkeypatch, loader,
                                           text, line, words):
    # libyaml when installed, the pure-Python parser otherwise: same lines.
    monkeypatch.setattr(kb.yamlcheck, "LOADER", getattr(yaml, loader))
    path = write(tmp_path / "synonyms.yaml", text)
    with pytest.raises(ValidationError) as caught:
        load_synonyms(path)
    assert caught.value.line == line
    assert caught.value.path == str(path)
    assert words in caught.value.message
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_file_over_the_size_limit_is_refused_by_size(tmp_path):
    path = tmp_path / "synonyms.yaml"
    path.write_bytes(b"groups: []\n" + b"#" * MAX_BYTES)
    with pytest.raises(InputError, match="is too large"):
        load_synonyms(path)


def test_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    path = tmp_path / "synonyms.yaml"
    path.write_bytes(b"groups:\n  - [caf\xe9, coffee]\n")
    with pytest.raises(InputError, match="UTF-8") as caught:
        load_synonyms(path)
    assert caught.value.line == 2


def test_folder_in_place_of_the_file_is_an_input_error(tmp_path):
    (tmp_path / "synonyms.yaml").mkdir()
    with pytest.raises(InputError):
        load_synonyms(tmp_path / "synonyms.yaml")


# --- the cache --------------------------------------------------------------

def test_cache_reloads_after_an_edit(syn_file):
    cache = SynonymsCache(syn_file)
    assert cache.get().lookup("tingling") == ("pins and needles", "paresthesia")
    write(syn_file, "groups:\n  - [tingling, prickling]\n")
    touch_later(syn_file)
    assert reloaded(cache).lookup("tingling") == ("prickling",)
    assert cache.error is None


def test_cache_reads_an_unchanged_file_once(syn_file, monkeypatch):
    calls = []
    real = kb.synonyms.load_synonyms
    monkeypatch.setattr(kb.synonyms, "load_synonyms",
                        lambda path: calls.append(path) or real(path))
    cache = SynonymsCache(syn_file)
    first = cache.get()
    assert cache.get() is first
    assert cache.get() is first
    assert len(calls) == 1


def test_cache_keeps_the_last_good_list_after_a_broken_edit(syn_file, caplog):
    cache = SynonymsCache(syn_file)
    good = cache.get()
    write(syn_file, "groups:\n  - [tingling, pins & needles]\n")
    touch_later(syn_file)
    assert reloaded(cache) is good
    assert isinstance(cache.error, ValidationError)
    assert cache.error.line == 2
    assert "previous synonyms" in caplog.text


def test_cache_recovers_when_the_broken_edit_is_fixed(syn_file):
    cache = SynonymsCache(syn_file)
    cache.get()
    write(syn_file, "groups:\n  - [solo]\n")
    touch_later(syn_file)
    reloaded(cache)
    assert cache.error is not None
    write(syn_file, "groups:\n  - [solo, duo]\n")
    touch_later(syn_file)
    assert reloaded(cache).lookup("solo") == ("duo",)
    assert cache.error is None


def test_cache_of_a_file_broken_from_the_start_serves_nothing(tmp_path):
    cache = SynonymsCache(write(tmp_path / "synonyms.yaml", "groups: [[a]]\n"))
    assert cache.get() == Synonyms.empty()
    assert isinstance(cache.error, KBError)


def test_cache_of_a_deleted_file_serves_nothing(syn_file):
    cache = SynonymsCache(syn_file)
    assert len(cache.get()) == 4
    syn_file.unlink()
    assert reloaded(cache) == Synonyms.empty()
    assert cache.error is None


def test_cached_synonyms_shares_one_cache_per_file(syn_file):
    first = cached_synonyms(syn_file)
    assert cached_synonyms(syn_file) is first
    write(syn_file, "groups:\n  - [tingling, prickling]\n")
    touch_later(syn_file)
    assert reloaded(synonyms_cache(syn_file)).lookup("tingling") == ("prickling",)


# --- a large or slow list never holds up a search ---------------------------

def test_building_a_list_takes_work_linear_in_a_groups_size(monkeypatch):
    # Counted, not timed: every term's key is computed a bounded number of
    # times, where a table of each term's partners costs a group's size
    # squared (a 1,000-term group took 41 s to load).
    size = 3000
    calls = 0
    real = kb.synonyms._match_key

    def counted(phrase):
        nonlocal calls
        calls += 1
        assert calls <= 3 * size, "quadratic in the group's size"
        return real(phrase)

    monkeypatch.setattr(kb.synonyms, "_match_key", counted)
    group = tuple(f"term{n}" for n in range(size))
    synonyms = Synonyms((group, ("term7", "seven")))
    assert synonyms.lookup("seven") == ("term7",)
    assert len(synonyms.lookup("term7")) == size


def test_a_group_over_the_size_cap_is_refused_with_its_line_by_kb_check(tmp_path):
    from click.testing import CliRunner
    from kb.cli import main

    terms = ", ".join(f"t{n}" for n in range(MAX_GROUP_TERMS + 1))
    path = write(tmp_path / "synonyms.yaml",
                 f"groups:\n  - [a, b]\n  - [{terms}]\n")
    result = CliRunner().invoke(main, ["check", "--kb-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{path}:3: a group holds at most {MAX_GROUP_TERMS} terms" in result.output


def test_a_changed_list_is_reloaded_off_the_readers_path_and_the_previous_serves_meanwhile(
        syn_file, monkeypatch):
    import threading

    cache = SynonymsCache(syn_file)
    previous = cache.get()
    loading, release = threading.Event(), threading.Event()
    real = kb.synonyms.load_synonyms

    def slow_load(path):
        loading.set()
        assert release.wait(60)
        return real(path)

    monkeypatch.setattr(kb.synonyms, "load_synonyms", slow_load)
    write(syn_file, "groups:\n  - [tingling, prickling]\n")
    touch_later(syn_file)
    answers = []
    reader = threading.Thread(target=lambda: answers.extend(cache.get() for _ in range(3)))
    reader.start()
    reader.join(10)
    try:
        assert not reader.is_alive(), "a reader waited for the reload"
        assert answers == [previous] * 3
        assert loading.wait(10)
    finally:
        release.set()
    assert reloaded(cache).lookup("tingling") == ("prickling",)


def test_kb_check_reports_every_broken_group_of_the_list_not_only_the_first(tmp_path):
    from click.testing import CliRunner
    from kb.cli import main

    path = write(tmp_path / "synonyms.yaml",
                 "groups:\n  - [a, b]\n  - [lonely]\n  - [c, d]\n  - [e, 42]\n  - [f, f]\n")
    result = CliRunner().invoke(main, ["check", "--kb-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert [line.split(": ")[0] for line in result.output.splitlines()[:3]] == \
        [f"{path}:3", f"{path}:5", f"{path}:6"]
    assert "3 problem(s)" in result.output
