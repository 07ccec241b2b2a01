"""What a killed run leaves in runs/ is recognised by its writer's pid and removed."""

from __future__ import annotations

import subprocess
import sys

from digits_helpers.core import files
from digits_helpers.run.pipeline import remove_debris


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_a_half_written_latest_of_a_dead_writer_is_removed_and_a_live_ones_kept(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    with files.replacing(runs / "LATEST") as mine:  # this process's, being written
        mine.write_text("x")
        dead = runs / f".LATEST.{_dead_pid()}.abc123.tmp"
        dead.write_text("half")
        lines: list[str] = []
        removed = remove_debris(runs, lines.append)
        assert removed == [dead] and mine.exists()
        assert "LATEST" in lines[0]
    assert (runs / "LATEST").read_text() == "x"
