import hashlib
import os
import time
from pathlib import Path

import pytest

from kb import inputs
from kb.errors import InputError
from kb.inputs import MAX_INPUT_BYTES, read_text_file


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_reads_text_and_hashes_the_bytes(tmp_path):
    data = "Fact #1: Nerves\r\nThey tingle. ✓\n".encode()
    text, digest = read_text_file(_write(tmp_path / "a.txt", data))
    assert text == "Fact #1: Nerves\r\nThey tingle. ✓\n"  # line ends kept
    assert digest == hashlib.sha256(data).hexdigest()


def test_strips_a_utf8_byte_order_mark_but_hashes_the_file_as_is(tmp_path):
    data = b"\xef\xbb\xbfHello\n"
    text, digest = read_text_file(_write(tmp_path / "bom.txt", data))
    assert text == "Hello\n"
    assert digest == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name, data, message, line", [
    ("empty.txt", b"", "is empty", None),
    ("blank.txt", b" \n\t\r\n", "is empty", None),
    ("nul.bin", b"text\nmore\x00\x01\x02", "looks binary", 2),
    ("latin1.txt", b"ok\nstill ok\ncaf\xe9\n", "is not UTF-8: byte 0xe9", 3),
    ("utf16.txt", "hello".encode("utf-16"), "is UTF-16", 1),
])
def test_refuses_bad_content_naming_the_line(tmp_path, name, data, message, line):
    path = _write(tmp_path / name, data)
    with pytest.raises(InputError) as caught:
        read_text_file(path)
    assert message in caught.value.message
    assert caught.value.path == str(path)
    assert caught.value.line == line


def test_refuses_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file") as caught:
        read_text_file(tmp_path / "nope.txt")
    assert caught.value.path == str(tmp_path / "nope.txt")


def test_refuses_a_folder(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_text_file(tmp_path)


def test_refuses_a_huge_sparse_file_quickly_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)

    def never_open(*args, **kwargs):
        raise AssertionError("an oversized file must be refused before it is opened")

    monkeypatch.setattr(Path, "open", never_open)
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"too large: 50\.0 MiB, the limit is 10\.0 MiB"):
        read_text_file(path)
    assert time.perf_counter() - start < 1.0


def test_the_limit_can_be_lowered(tmp_path):
    path = _write(tmp_path / "a.txt", b"x" * 101)
    with pytest.raises(InputError, match="too large"):
        read_text_file(path, max_bytes=100)
    assert read_text_file(path, max_bytes=101)[0] == "x" * 101


def test_a_file_that_grows_after_stat_is_still_cut_off(tmp_path, monkeypatch):
    path = _write(tmp_path / "growing.txt", b"small\n")
    real_open = Path.open

    def open_after_growth(self, *args, **kwargs):
        # The file grows between the size check and the read.
        with real_open(self, "ab") as f:
            f.write(b"y" * 200)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_after_growth)
    with pytest.raises(InputError, match="too large: over"):
        read_text_file(path, max_bytes=100)


def test_refuses_an_unreadable_file(tmp_path, monkeypatch):
    path = _write(tmp_path / "secret.txt", b"hidden\n")
    path.chmod(0)
    if os.access(path, os.R_OK):
        # Running as root, where mode bits do not stop reading: make the
        # open fail the way it would for anyone else.
        def denied(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(self))
        monkeypatch.setattr(Path, "open", denied)
    try:
        with pytest.raises(InputError, match="permission denied"):
            read_text_file(path)
    finally:
        path.chmod(0o644)


def test_the_documented_limit_is_ten_mib():
    assert MAX_INPUT_BYTES == 10 * 1024 * 1024
    assert inputs.read_text_file.__kwdefaults__["max_bytes"] == MAX_INPUT_BYTES
