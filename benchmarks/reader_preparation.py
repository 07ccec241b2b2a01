"""The reader's training digits made one after the other, and in pieces on local processes.

    python benchmarks/reader_preparation.py              # 2 interleaved rounds
    python benchmarks/reader_preparation.py --rounds 3

Chapter 7 draws the 10,000 real MNIST digits of ``data/mnist``'s training part as scans and
reads them back (:func:`digits_helpers.reading.reader.prepared_as_scans`), then grows the
8,241 training digits by shifts and scan variants to 82,410 images
(:func:`digits_helpers.data.augment.augmented`, ``"scan"``), before its network trains.
Both are made digit by digit, and every random draw of the variants is made first, in
order; so the work can be cut into pieces spread over processes
(:func:`digits_helpers.core.cluster.in_pieces`) and give the same images.

Each round runs "one after the other" (what the chapter did before) and "in pieces"
(the chapter's local workers, ``n_jobs=-1``, started afresh: their start is counted), in
the same process, and checks that the arrays are identical. Writes
``benchmarks/results/reader_preparation.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from joblib.externals.loky import get_reusable_executor

from digits_helpers.core import cluster
from digits_helpers.core.files import write_json
from digits_helpers.core.machine import described, package_versions
from digits_helpers.data import augment
from digits_helpers.data import digits as data
from digits_helpers.reading import other_hands, reader

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 42  # the full profile's model_seed


def prepare(run_tasks: cluster.RunTasks | None) -> tuple[list[np.ndarray], float]:
    """The reader's training images and labels as ``train_reader`` makes them, and the seconds."""
    split = data.load_split("digits", test_size=0.2, random_state=42, stratify=False)
    training, _ = other_hands.load_real_digits(other_hands.mnist_dir())
    start = time.perf_counter()
    held = reader.validation_rows(training.labels)
    prepared = reader.prepared_as_scans(training.images, run_tasks=run_tasks)
    images = np.concatenate([prepared[~held], split.train_images.astype(np.float32)])
    labels = np.concatenate([training.labels[~held], split.y_train])
    grown, grown_labels = augment.augmented(images, labels, "scan", seed=SEED, run_tasks=run_tasks)
    return [prepared, grown, grown_labels], time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"one after the other": [], "in pieces": []}
    n_images = 0
    for round_ in range(args.rounds):
        alone, seconds = prepare(None)
        timings["one after the other"].append(seconds)
        get_reusable_executor().shutdown(wait=True)  # the workers' start is counted
        with cluster.backend("", n_jobs=-1) as workers:
            spread, seconds = prepare(workers.map)
        timings["in pieces"].append(seconds)
        if not all(np.array_equal(a, b) for a, b in zip(alone, spread, strict=True)):
            print("the images made in pieces differ from those made one after the other")
            return 1
        n_images = len(alone[1])
        print(
            f"round {round_ + 1}: one after the other {timings['one after the other'][-1]:.1f} s,"
            f" in pieces {seconds:.1f} s, identical",
            flush=True,
        )
    record = {"seconds": timings, "n_images": n_images, "versions": package_versions()}
    RESULTS.mkdir(exist_ok=True)
    write_json(RESULTS / "reader_preparation.json", record)
    lines = [
        "# The reader's training digits: one after the other, and in pieces",
        "",
        f"{args.rounds} interleaved rounds on {described()}, the full profile's digits"
        f" ({n_images:,} images after growing, seed {SEED}); identical arrays in every round."
        " `python benchmarks/reader_preparation.py`.",
        "",
        "| how | median s | min s | max s |",
        "|---|---|---|---|",
    ]
    for how, values in timings.items():
        lines.append(
            f"| {how} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |"
        )
    (RESULTS / "reader_preparation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
