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
    assert cli.main(["run", "--set", "colour=red"]) == 2
    assert "known parameters" in capsys.readouterr().err


def test_misspelt_parameter_exits_2_suggesting_the_name(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # were it accepted, nothing could run here
    assert cli.main(["run", "--set", "rando_state=1"]) == 2
    assert capsys.readouterr().err == (
        "digits-book run: error: unknown parameter 'rando_state' (did you mean 'random_state'?)\n"
    )


def test_huge_integer_exits_2_in_one_short_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # were it accepted, nothing could run here
    assert cli.main(["run", "--set", "test_size=1" + "0" * 400]) == 2
    err = capsys.readouterr().err
    assert err == (
        "digits-book run: error: parameter 'test_size' must be a number from 0.05 to 0.5 "
        "(got an integer of about 401 digits)\n"
    )


def test_validation_split_that_leaves_too_few_training_rows_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # were it accepted, nothing could run here
    config = "{validation_split: 0.99, learning_rate: 0.001, batch_size: 64, epochs: 10}"
    assert cli.main(["run", "--set", f"keras_configurations=[{config}]"]) == 2
    assert "validation_split must be a number from 0.05 to 0.5 (got 0.99)" in (
        capsys.readouterr().err
    )


def test_an_error_during_the_run_is_not_reported_as_refused_input(monkeypatch, tmp_path):
    from digits_helpers.run import pipeline

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text("root: x\n")
    monkeypatch.chdir(tmp_path)

    def broken_run(*args, **kwargs):
        raise ValueError("a bug, not the user's input")

    monkeypatch.setattr(pipeline, "run", broken_run)
    with pytest.raises(ValueError, match="a bug"):
        cli.main(["run"])


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
    assert "validation_split from 0.05 to 0.5 (so that training keeps at least half" in out


def test_build_without_any_run_says_what_to_do(capsys, tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text("root: x\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build"]) == 2
    assert "digits-book run" in capsys.readouterr().err


# What a command that refuses or only checks must not load: the pipeline's notebook
# machinery (papermill, nbformat, jupyter_client), the study's tables, the training.
HEAVY = (
    "tensorflow",
    "keras",
    "sklearn",
    "scipy",
    "pandas",
    "papermill",
    "nbformat",
    "jupyter_client",
)
# Answers at once: the help, the parameters, a check, and the refusals before a run.
LIGHT_COMMANDS = {
    "help": ("--help",),
    "params": ("params",),
    "run --check": ("run", "--check"),
    "bad run name": ("run", "--name", "../elsewhere"),
    "unreachable scheduler": ("run", "--check", "--set", "scheduler=tcp://127.0.0.1:{port}"),
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """``imported(command)``: its exit status and the top-level packages it imported."""
    import socket
    import subprocess
    import sys

    project = tmp_path_factory.mktemp("project")
    (project / "notebooks").mkdir()
    (project / "_toc.yml").write_text("root: index\n")
    with socket.socket() as listener:  # a port nobody listens on once it is closed
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    found: dict[str, tuple[int, set[str]]] = {}

    def run(command: str) -> tuple[int, set[str]]:
        if command not in found:
            args = [a.format(port=port) for a in LIGHT_COMMANDS[command]]
            completed = subprocess.run(
                [sys.executable, "-X", "importtime", "-m", "digits_helpers", *args],
                cwd=project,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            packages = {
                line.rsplit("|", 1)[1].strip().split(".")[0]
                for line in completed.stderr.splitlines()
                if line.startswith("import time:")
            }
            found[command] = completed.returncode, packages
        return found[command]

    return run


@pytest.mark.parametrize(
    ("command", "status"),
    [("help", 0), ("params", 0), ("run --check", 0), ("bad run name", 2)]
    + [("unreachable scheduler", 2)],
)
def test_a_command_that_checks_or_refuses_loads_no_heavy_library(imported, command, status):
    returned, packages = imported(command)
    assert returned == status
    assert sorted(packages & set(HEAVY)) == []
