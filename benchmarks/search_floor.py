"""Where a fit of the search spends its time: scikit-learn's loop, ours, and the arithmetic.

    python benchmarks/search_floor.py              # every 8th candidate of the effective grid
    python benchmarks/search_floor.py --every 24   # a smaller sample

The search trains one ``MLPClassifier`` per candidate and fold, each on one BLAS thread in a
worker process. For a sample of the full profile's effective-grid candidates, on the first
fold's training rows, in this process and on one BLAS thread as the workers fit, each
candidate is fitted with scikit-learn's own ``MLPClassifier`` (the reference's loop) and with
the search's :class:`~digits_helpers.models.lean_mlp.LeanMLPClassifier`, interleaved, and the
two fits are checked bit for bit (weights, epochs). Then the same number of mini-batch steps is
replayed with only the arithmetic every step must do, in the candidate's shapes:

- the matrix products of the forward and backward passes (BLAS),
- Adam's update of all the weights (twelve NumPy passes over one flat buffer, as ours does).

What is left of our step beyond those two is the rest of the step (activations, softmax, loss,
the batch's rows gathered), the per-epoch work (shuffles, early stopping's validation) and the
Python between the calls. Writes ``benchmarks/results/search_floor.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer
from threadpoolctl import threadpool_limits

from digits_helpers.core.files import write_json
from digits_helpers.core.machine import described, package_versions
from digits_helpers.data import digits as data
from digits_helpers.models.lean_mlp import LeanMLPClassifier, _FlatParameters
from digits_helpers.models.search import effective_grid, grid_from_params
from digits_helpers.run.params import load_profile

RESULTS = Path(__file__).resolve().parent / "results"


def candidates(every: int) -> list[dict]:
    """Every ``every``-th candidate of the full profile's effective grid, in its order."""
    grid, _ = effective_grid(grid_from_params(load_profile("full")["param_grid"]))
    keys = list(grid)
    combos = [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]
    return combos[::every]


def fitted(cls: type[MLPClassifier], params: dict, X: np.ndarray, y: np.ndarray):
    """A fit on one BLAS thread, and its wall seconds."""
    model = cls(solver="adam", max_iter=200, random_state=42, **params)
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


def steps_of(model: MLPClassifier, n_rows: int) -> tuple[int, int]:
    """Mini-batch steps the fit took, and the batch size."""
    rows = n_rows - (math.ceil(n_rows * model.validation_fraction) if model.early_stopping else 0)
    batch = min(model.batch_size, rows)
    return model.n_iter_ * math.ceil(rows / batch), batch


def replay(model: MLPClassifier, n_steps: int, batch: int) -> dict[str, float]:
    """Seconds of ``n_steps`` steps' matrix products, and of as many Adam updates."""
    rng = np.random.default_rng(0)
    coefs = [rng.standard_normal(c.shape) for c in model.coefs_]
    sizes = [c.shape[0] for c in coefs] + [coefs[-1].shape[1]]
    acts = [rng.standard_normal((batch, size)) for size in sizes]
    deltas = [rng.standard_normal((batch, size)) for size in sizes[1:]]
    grads = [np.empty_like(c) for c in coefs]
    start = time.perf_counter()
    for _ in range(n_steps):
        for i, coef in enumerate(coefs):  # forward
            acts[i] @ coef
        for i in range(len(coefs) - 1, -1, -1):  # backward
            np.matmul(acts[i].T, deltas[i], out=grads[i])
            if i:
                deltas[i] @ coefs[i].T
    matmuls = time.perf_counter() - start
    intercepts = [rng.standard_normal(c.shape[1]) for c in coefs]
    flat = _FlatParameters(coefs, intercepts, AdamOptimizer(coefs + intercepts, 0.001))
    flat.grads[:] = rng.standard_normal(flat.grads.shape) * 1e-3
    start = time.perf_counter()
    for _ in range(n_steps):
        flat.adam_step()
    return {"matmuls": matmuls, "adam": time.perf_counter() - start}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--every", type=int, default=8, help="sample every N-th candidate")
    args = parser.parse_args()
    split = data.load_split("digits", test_size=0.2, random_state=42, stratify=False)
    train, _ = next(StratifiedKFold(n_splits=3).split(split.X_train, split.y_train))
    X, y = split.X_train[train], split.y_train[train]
    totals = dict.fromkeys(("sklearn", "ours", "matmuls", "adam", "steps"), 0.0)
    rows = []
    sample = candidates(args.every)
    with threadpool_limits(limits=1, user_api="blas"):
        for number, params in enumerate(sample, start=1):
            reference, reference_s = fitted(MLPClassifier, params, X, y)
            ours, ours_s = fitted(LeanMLPClassifier, params, X, y)
            same = ours.n_iter_ == reference.n_iter_ and all(
                np.array_equal(a, b)
                for a, b in zip(
                    ours.coefs_ + ours.intercepts_,
                    reference.coefs_ + reference.intercepts_,
                    strict=True,
                )
            )
            if not same:
                print(f"candidate {params}: our fit differs from scikit-learn's")
                return 1
            n_steps, batch = steps_of(ours, len(y))
            arithmetic = replay(ours, n_steps, batch)
            for key, value in (("sklearn", reference_s), ("ours", ours_s), ("steps", n_steps)):
                totals[key] += value
            totals["matmuls"] += arithmetic["matmuls"]
            totals["adam"] += arithmetic["adam"]
            rows.append(
                {
                    **{k: str(v) for k, v in params.items()},
                    "steps": n_steps,
                    "sklearn_s": reference_s,
                    "ours_s": ours_s,
                    **{f"{k}_s": v for k, v in arithmetic.items()},
                }
            )
            print(
                f"[{number}/{len(sample)}] {n_steps} steps: scikit-learn {reference_s:.2f} s, "
                f"ours {ours_s:.2f} s, matmuls {arithmetic['matmuls']:.2f} s, "
                f"Adam {arithmetic['adam']:.2f} s",
                flush=True,
            )
    per_step = {
        k: 1e6 * totals[k] / totals["steps"] for k in ("sklearn", "ours", "matmuls", "adam")
    }
    rest = per_step["ours"] - per_step["matmuls"] - per_step["adam"]
    record = {
        "every": args.every,
        "n_candidates": len(sample),
        "n_rows": len(y),
        "seconds": {k: v for k, v in totals.items() if k != "steps"},
        "steps": int(totals["steps"]),
        "microseconds_per_step": {**per_step, "rest of ours": rest},
        "candidates": rows,
        "versions": package_versions(),
    }
    RESULTS.mkdir(exist_ok=True)
    write_json(RESULTS / "search_floor.json", record)
    share = {k: per_step[k] / per_step["ours"] for k in ("matmuls", "adam")}
    lines = [
        "# Where a fit of the search spends its time",
        "",
        f"{len(sample)} candidates (every {args.every}th of the full profile's effective grid),"
        f" first fold's {len(y):,} training rows, {int(totals['steps']):,} mini-batch steps in"
        f" all; {described()}, one BLAS thread; every fit of ours bit for bit scikit-learn's."
        " `python benchmarks/search_floor.py`.",
        "",
        "| per mini-batch step | µs | share of ours |",
        "|---|---:|---:|",
        f"| scikit-learn's loop (the reference's fits) | {per_step['sklearn']:.0f} |"
        f" {per_step['sklearn'] / per_step['ours']:.2f}x |",
        f"| **ours** (`LeanMLPClassifier`) | **{per_step['ours']:.0f}** | 100% |",
        f"| of which the matrix products (BLAS) | {per_step['matmuls']:.0f} |"
        f" {share['matmuls']:.0%} |",
        f"| of which Adam's update (12 NumPy passes over the weights) | {per_step['adam']:.0f} |"
        f" {share['adam']:.0%} |",
        f"| the rest: activations, softmax, loss, rows gathered, epochs' work, Python |"
        f" {rest:.0f} | {rest / per_step['ours']:.0%} |",
    ]
    (RESULTS / "search_floor.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
