"""Reference vs ours, side by side in one process, interleaved, with ratios.

    python benchmarks/bench.py            # the full search space and configurations
    python benchmarks/bench.py --quick    # a subset (same ratio logic), under 3 minutes

Prints, per stage, the wall seconds of both, the ratio reference/ours and the scores
of both, and writes ``benchmarks/results/<mode>.json`` and ``<mode>.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The reference's worker processes would print a ConvergenceWarning per capped fit.
os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning")

from reference import (  # noqa: E402
    REFERENCE_GRID,
    reference_grid_search,
    reference_keras,
    test_accuracy,
)

from digits_helpers.core.files import write_json
from digits_helpers.core.machine import package_versions
from digits_helpers.core.registry import SEARCH_STRATEGIES
from digits_helpers.data.digits import load_split
from digits_helpers.models import keras_sweep
from digits_helpers.models.search import run_search
from digits_helpers.run.params import load_profile

RESULTS = Path(__file__).resolve().parent / "results"
QUICK_GRID = {
    "hidden_layer_sizes": [(100,), (112, 112)],
    "activation": ["relu", "tanh"],
    "alpha": [0.0001, 0.01],
    "batch_size": [64],
    "learning_rate": ["adaptive", "constant"],
    "learning_rate_init": [0.001, 0.01],
    "early_stopping": [False],
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_search(split, grid: dict, strategies: list[str]) -> list[dict]:
    """Reference GridSearchCV, then ours on the same grid with each strategy, same process."""
    log(f"sklearn: reference GridSearchCV over {_size(grid)} combinations")
    ref = reference_grid_search(split.X_train, split.y_train, grid)
    ref_test = test_accuracy(ref["estimator"], split.X_test, split.y_test)
    log(f"sklearn: reference took {ref['seconds']:.1f} s")
    stages = []
    for strategy in strategies:
        log(f"sklearn: ours ({strategy})")
        ours = run_search(
            split.X_train,
            split.y_train,
            {k: [list(v) if isinstance(v, tuple) else v for v in vs] for k, vs in grid.items()},
            strategy=strategy,
            cv=3,
            n_jobs=-1,
            max_iter=200,
            random_state=42,
        )
        log(f"sklearn: ours ({strategy}) took {ours.search_seconds:.1f} s")
        stages.append(
            {
                "stage": f"sklearn search ({_size(grid)} combinations, {strategy})",
                "reference_seconds": ref["seconds"],
                "ours_seconds": ours.search_seconds,
                "reference_best_cv": ref["best_cv_score"],
                "ours_best_cv": ours.best_cv_score,
                "reference_test_accuracy": ref_test,
                "ours_test_accuracy": test_accuracy(
                    ours.best_estimator, split.X_test, split.y_test
                ),
                "reference_best_params": {k: str(v) for k, v in ref["best_params"].items()},
                "ours_best_params": {k: str(v) for k, v in ours.best_params.items()},
                "ours_n_fits": ours.n_fits,
                "reference_n_fits": ref["n_fits"],
            }
        )
    return stages


def bench_keras(split, configurations: list[dict], seeds: list[int]) -> dict:
    """Reference model.fit loop and our compiled trainer, alternating seed by seed."""
    ref_seconds, ours_seconds, ref_acc, ours_acc = 0.0, 0.0, [], []
    for seed in seeds:
        ref = reference_keras(
            split.X_train, split.y_train, split.X_test, split.y_test, configurations, seed=seed
        )
        start = time.perf_counter()
        sweep = keras_sweep.run_sweep(
            split.X_train, split.y_train, split.X_test, split.y_test, configurations, seed=seed
        )
        ours = time.perf_counter() - start
        ref_seconds += ref["seconds"]
        ours_seconds += ours
        ref_acc += ref["test_accuracies"]
        ours_acc += [r.test_accuracy for r in sweep.runs]
        log(f"keras seed {seed}: reference {ref['seconds']:.1f} s, ours {ours:.1f} s")
    return {
        "stage": f"keras sweeps ({len(configurations)} configurations x {len(seeds)} seeds)",
        "reference_seconds": ref_seconds,
        "ours_seconds": ours_seconds,
        "reference_mean_test_accuracy": statistics.mean(ref_acc),
        "ours_mean_test_accuracy": statistics.mean(ours_acc),
        "reference_test_accuracies": ref_acc,
        "ours_test_accuracies": ours_acc,
    }


def _size(grid: dict) -> int:
    size = 1
    for values in grid.values():
        size *= len(values)
    return size


def markdown(report: dict) -> str:
    """The result as a short markdown table."""
    lines = [
        f"# Benchmark: reference vs digits-book ({report['mode']})",
        "",
        f"Measured {report['date']} on {report['machine']}, command `{report['command']}`.",
        "",
        "| stage | reference s | ours s | ratio | reference score | ours score |",
        "|---|---:|---:|---:|---|---|",
    ]
    for stage in report["stages"]:
        if "reference_best_cv" in stage:
            ref_score = (
                f"CV {stage['reference_best_cv']:.4f}, test {stage['reference_test_accuracy']:.4f}"
            )
            our_score = f"CV {stage['ours_best_cv']:.4f}, test {stage['ours_test_accuracy']:.4f}"
        else:
            ref_score = f"mean test {stage['reference_mean_test_accuracy']:.4f}"
            our_score = f"mean test {stage['ours_mean_test_accuracy']:.4f}"
        lines.append(
            f"| {stage['stage']} | {stage['reference_seconds']:.1f} | {stage['ours_seconds']:.1f}"
            f" | {stage['ratio']:.1f}x | {ref_score} | {our_score} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="subset grid, fewer epochs")
    parser.add_argument(
        "--strategy",
        action="append",
        choices=SEARCH_STRATEGIES,
        default=None,
        help="our search strategy; repeat for several (default: full profile's)",
    )
    parser.add_argument("--seeds", type=int, default=None, help="Keras seeds (default 5; quick 2)")
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--skip-keras", action="store_true")
    args = parser.parse_args(argv)

    profile = load_profile("full")
    strategies = args.strategy or [profile["search_strategy"]]
    grid = QUICK_GRID if args.quick else REFERENCE_GRID
    configurations = profile["keras_configurations"]
    if args.quick:
        configurations = [{**c, "epochs": max(5, c["epochs"] // 5)} for c in configurations]
    seeds = list(range(args.seeds or (2 if args.quick else 5)))
    split = load_split("digits", test_size=0.2, random_state=42)

    stages = []
    if not args.skip_keras:
        stages.append(bench_keras(split, configurations, seeds))
    if not args.skip_sklearn:
        stages.extend(bench_search(split, grid, strategies))
    for stage in stages:
        stage["ratio"] = stage["reference_seconds"] / stage["ours_seconds"]

    mode = "quick" if args.quick else "full"
    report = {
        "mode": mode,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "command": "python benchmarks/bench.py" + " ".join([""] + (argv or sys.argv[1:])),
        "stages": stages,
        "versions": package_versions(),
    }
    text = markdown(report)
    print(text)
    write_json(RESULTS / f"{mode}.json", report)
    (RESULTS / f"{mode}.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
