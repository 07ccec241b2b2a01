"""What training the CNN on scan variants gives, measured on test digits it never saw.

    python benchmarks/scan_augmentation.py             # the full profile's CNN settings
    python benchmarks/scan_augmentation.py --epochs 3  # quicker

For each split seed, the CNN is trained twice on the same training digits, with the
one-pixel shifts only and with the scan variants too (chapter 4's two candidates), and
each is scored on the test digits as they are, as a scan of them is read (centred by its
bounding box), varied as another hand would vary them (slant, rotation, width, pen; a
seed of their own) and read back from files of 16, 64 and 300 pixels. Nothing here
chooses anything: the choice between the two is made on validation digits by the
chapter; this only reports what each gives on the test digits. Writes
``benchmarks/results/scan_augmentation.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digits_helpers.core.files import write_json
from digits_helpers.core.machine import package_versions
from digits_helpers.core.registry import CNN
from digits_helpers.data import augment
from digits_helpers.data import digits as data
from digits_helpers.models import beyond
from digits_helpers.models.artifacts import LoadedModel
from digits_helpers.reading import checks as reading
from digits_helpers.reading import predict

RESULTS = Path(__file__).resolve().parent / "results"
CANDIDATES = ("shifts", "scan")
SIZES = (16, 64, 300)


def _loaded(run: beyond.BeyondRun, split: data.Split) -> LoadedModel:
    card = {"image_shape": list(split.image_shape), "input": "images", "format": "keras"}
    return LoadedModel(model=CNN, card=card, estimator=run.model)


def measure(seed: int, epochs: int) -> dict[str, dict[str, float]]:
    """Both CNNs of one split, scored on every version of its test digits."""
    split = data.split_dataset(data.load_dataset(), random_state=seed)
    versions = {
        "digits": split.test_images,
        "rescanned": augment.rescanned(split.test_images),
        "varied": augment.scan_variants(
            split.test_images, 1, rng=np.random.default_rng(1000 + seed)
        ),
    }
    scores: dict[str, dict[str, float]] = {}
    for candidate in CANDIDATES:
        run = beyond.train_cnn(split, epochs=epochs, augmentations=[candidate], seed=42)
        loaded = _loaded(run, split)
        row = {}
        for name, images in versions.items():
            predicted = reading.in_memory_predictions(loaded, images)
            row[name] = float((predicted == split.y_test).mean())
        with tempfile.TemporaryDirectory() as scratch:
            for size in SIZES:
                condition = reading.Condition(size)
                paths = reading.write_scans(split.test_images, Path(scratch) / str(size), condition)
                read = predict.read_files(paths, loaded, form=False, threshold=0.0)
                # An unreadable file counts as wrong.
                digits = np.array([r.digits[0].digit if r.error is None else -1 for r in read])
                row[f"files {size} px"] = float((digits == split.y_test).mean())
        scores[candidate] = row
        print(f"seed {seed} {candidate:6s} " + "  ".join(f"{k} {v:.4f}" for k, v in row.items()))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="the full profile's cnn_epochs")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    start = time.perf_counter()
    by_seed = {seed: measure(seed, args.epochs) for seed in args.seeds}
    columns = list(next(iter(by_seed.values()))["shifts"])
    lines = [
        "# CNN trained with shifts only vs with scan variants, on test digits",
        "",
        f"`python benchmarks/scan_augmentation.py --epochs {args.epochs}`, split seeds "
        f"{args.seeds}, model seed 42. Mean (and standard deviation) of the test accuracy over "
        "the seeds; every column is the same test digits, in another version.",
        "",
        "| augmentation | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for candidate in CANDIDATES:
        cells, summary[candidate] = [], {}
        for column in columns:
            values = [by_seed[s][candidate][column] for s in args.seeds]
            mean, std = statistics.mean(values), statistics.stdev(values)
            summary[candidate][column] = {"mean": mean, "std": std}
            cells.append(f"{mean:.2%} ({std:.2%})")
        lines.append(f"| {candidate} | " + " | ".join(cells) + " |")
    seconds = time.perf_counter() - start
    lines += ["", f"{seconds:.0f} s on this machine; versions: {package_versions()}."]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scan_augmentation.md").write_text("\n".join(lines) + "\n")
    write_json(
        RESULTS / "scan_augmentation.json",
        {"epochs": args.epochs, "seeds": args.seeds, "by_seed": by_seed, "summary": summary},
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
