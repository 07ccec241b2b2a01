"""The command line refuses bad input before anything runs."""

from __future__ import annotations

import pytest

from digits_helpers import cli


def test_invalid_value_exits_2_naming_the_parameter(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--set", "test_size=1.5"]) == 2
    err = capsys.readouterr().err
    assert "test_size" in err and "from 0.05 to 0.5" in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_parameter_exits_2_listing_known_ones(capsys):
    assert cli.main(["run", "--set", "tset_size=0.3"]) == 2
    assert "known parameters" in capsys.readouterr().err


def test_bad_run_name_exits_2(capsys):
    assert cli.main(["run", "--name", "../elsewhere"]) == 2
    assert "--name" in capsys.readouterr().err


def test_unknown_profile_is_refused_by_argparse():
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "--profile", "huge"])
    assert exit_info.value.code == 2


def test_params_lists_every_parameter_with_what_it_accepts(capsys):
    assert cli.main(["params", "--profile", "full"]) == 0
    out = capsys.readouterr().out
    assert "test_size: fraction of the data held out" in out and "accepts" in out


def test_build_without_any_run_says_what_to_do(capsys, tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text("root: x\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build"]) == 2
    assert "digits-book run" in capsys.readouterr().err
