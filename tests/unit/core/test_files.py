"""Files written all or nothing, and their digests (digits_helpers.core.files)."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from digits_helpers.core import files


def test_a_write_replaces_the_file_whole_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "deeper" / "results.json"
    files.write_text(target, "first\n")
    files.write_text(target, "second\n")
    assert target.read_text() == "second\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.json"]


def test_a_failed_write_keeps_the_earlier_file_and_removes_its_temporary(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("good")
    with pytest.raises(KeyboardInterrupt), files.replacing(target, suffix=".keras") as temporary:
        assert temporary.suffix == ".keras" and temporary.parent == tmp_path
        temporary.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_written_file_gets_the_umask_permissions_or_the_mode_asked(tmp_path):
    old = os.umask(0o022)
    try:
        files.write_text(tmp_path / "a", "x")
        with files.replacing(tmp_path / "b", mode=0o600) as temporary:
            temporary.write_text("y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o600


def test_the_digest_is_hashlibs_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "blob"
    content = bytes(range(256)) * 5000
    path.write_bytes(content)
    assert files.sha256(path) == hashlib.sha256(content).hexdigest()
    with pytest.raises(FileNotFoundError):
        files.sha256(tmp_path / "missing")
