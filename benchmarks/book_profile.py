"""Where a run's time goes: each chapter's wall time, and the trainings inside it.

    python benchmarks/book_profile.py runs/full                       # one run
    python benchmarks/book_profile.py BEFORE/runs/full runs/full      # before and after

Reads what a run recorded (``results.json``: each notebook's wall seconds, and each
stage's training seconds) and writes ``benchmarks/results/book_profile.md`` with the
commit each run was made from. "other" is the chapter's time outside the recorded
trainings: the kernel's start and imports, loading data, writing and reading scan
files, evaluation, figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digits_helpers.core.registry import STAGES

RESULTS = Path(__file__).resolve().parent / "results"


def trainings(document: dict) -> dict[str, dict[str, float]]:
    """Stage key -> the trainings it recorded, by name, in wall seconds."""
    found: dict[str, dict[str, float]] = {stage.key: {} for stage in STAGES}
    if "sklearn" in document:
        found["sklearn"]["grid search (refit included)"] = document["sklearn"]["search_seconds"]
    if "keras" in document:
        found["keras"]["Keras sweep"] = document["keras"]["train_seconds"]
    for model in document.get("beyond", {}).get("models", []):
        found["beyond"][model["name"]] = model["train_seconds"]
    for row in document.get("comparison", {}).get("library_paths", []):
        name = row["model"]
        found["comparison"][f"{name}, plain library"] = row["training s, plain"]
        found["comparison"][f"{name}, this project"] = row["training s, this project"]
    if "reader" in document:
        found["reader"]["reader"] = document["reader"]["train_seconds"]
    return found


def commit_of(run_dir: Path) -> str:
    """The commit of the checkout the run lives in (its working tree's HEAD)."""
    done = subprocess.run(
        ["git", "-C", str(run_dir), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()[:90] or "unknown"


def column(run_dir: Path) -> tuple[str, dict[str, float], dict[str, dict[str, float]]]:
    document = json.loads((run_dir / "results.json").read_text())
    machine = document.get("machine", {})
    label = f"{commit_of(run_dir)} ({machine.get('cpu', '?')}, {machine.get('cores', '?')} cores)"
    return label, document["timings"]["notebooks"], trainings(document)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("runs", nargs="+", type=Path, help="one or two run folders")
    args = parser.parse_args()
    columns = [column(run.resolve()) for run in args.runs]
    header = "| chapter | " + " | ".join(f"run {i + 1} s" for i in range(len(columns))) + " |"
    lines = ["# Where a run's time goes", ""]
    lines += [
        f"- run {i + 1}: `{run}`, {label}"
        for i, (run, (label, _, _)) in enumerate(zip(args.runs, columns, strict=True))
    ]
    lines += ["", header, "|---" * (len(columns) + 1) + "|"]
    for stage in STAGES:
        cells = [
            f"{notebooks.get(stage.notebook, float('nan')):.1f}" for _, notebooks, _ in columns
        ]
        lines.append(f"| **{stage.notebook}** | " + " | ".join(cells) + " |")
        names = list(dict.fromkeys(n for _, _, found in columns for n in found[stage.key]))
        for name in names:
            cells = [f"{found[stage.key].get(name, float('nan')):.1f}" for _, _, found in columns]
            lines.append(f"| &nbsp;&nbsp;{name} | " + " | ".join(cells) + " |")
        others = []
        for _, notebooks, found in columns:
            others.append(
                f"{notebooks.get(stage.notebook, 0) - sum(found[stage.key].values()):.1f}"
            )
        lines.append("| &nbsp;&nbsp;other | " + " | ".join(others) + " |")
    totals = [f"{sum(notebooks.values()):.1f}" for _, notebooks, _ in columns]
    lines.append("| **all notebooks** | " + " | ".join(totals) + " |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "book_profile.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
