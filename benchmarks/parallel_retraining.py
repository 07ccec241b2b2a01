"""The comparison chapter's repeated-split retraining: one after the other, or in parallel.

    python benchmarks/parallel_retraining.py --run runs/full          # 3 rounds
    python benchmarks/parallel_retraining.py --run runs/quick --rounds 1

Every model the chapters chose is trained again on every seed's split of ``repeat_seeds``
(chapter 5). Before this change the trainings ran one after the other in the notebook's
kernel (``here``); now they are independent tasks, run by local worker processes
(``scheduler: ''``) or a Dask LocalCluster (``scheduler: local``). The three ways run
interleaved, in one process, on the same run's choices, and must give the same scores
to the bit (checked: the script fails otherwise). Writes
``benchmarks/results/parallel_retraining.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digits_helpers.core import cluster, registry
from digits_helpers.core.files import write_json
from digits_helpers.core.machine import package_versions
from digits_helpers.data import digits as data
from digits_helpers.study import compare, results

RESULTS = Path(__file__).resolve().parent / "results"
WAYS = ("here", "local processes", "Dask LocalCluster")


def retrain(run_dir: Path, way: str) -> tuple[dict[str, list[float]], float]:
    """The repeated-split scores of the run's chosen models, and the seconds they took."""
    parameters = json.loads((run_dir / "results.json").read_text())["parameters"]
    stages = results.load_stages(run_dir, registry.stage("comparison").reads)
    predictors = compare.chosen_predictors(stages, seed=parameters["model_seed"])
    dataset = data.load_dataset(parameters["dataset"])
    scheduler = {"here": "", "local processes": "", "Dask LocalCluster": "local"}[way]
    start = time.perf_counter()
    with cluster.backend(scheduler, n_jobs=parameters["n_jobs"]) as workers:
        scores = compare.repeated_scores(
            dataset,
            predictors,
            parameters["repeat_seeds"],
            test_size=parameters["test_size"],
            stratify=parameters["stratify"],
            run_tasks=None if way == "here" else workers.map,
        )
    return scores, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("runs/full"), help="a finished run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    args = parser.parse_args(argv)
    seconds: dict[str, list[float]] = {way: [] for way in WAYS}
    reference = None
    for round_ in range(args.rounds):
        for way in WAYS:
            scores, spent = retrain(args.run, way)
            reference = reference or scores
            if scores != reference:
                print(f"{way} gave other scores than {WAYS[0]}: {scores} != {reference}")
                return 1
            seconds[way].append(spent)
            print(f"round {round_ + 1}: {way}: {spent:.1f} s", flush=True)
    n_tasks = sum(len(v) for v in reference.values())
    record = {
        "run": str(args.run),
        "tasks": n_tasks,
        "seconds": seconds,
        "identical_scores": True,
        "versions": package_versions(),
    }
    RESULTS.mkdir(exist_ok=True)
    write_json(RESULTS / "parallel_retraining.json", record)
    lines = [
        "# Repeated-split retraining: one after the other, or in parallel",
        "",
        f"Run `{args.run}`: {n_tasks} trainings (models x `repeat_seeds`), "
        f"{args.rounds} interleaved rounds, one process; the scores were identical in "
        "every round and every way.",
        "",
        "| way | median s | min s | max s |",
        "|---|---|---|---|",
    ]
    for way, values in seconds.items():
        lines.append(
            f"| {way} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |"
        )
    (RESULTS / "parallel_retraining.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
