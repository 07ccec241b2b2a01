"""How often a strip of real handwritten digits is cut into one piece per digit.

    python benchmarks/segmentation.py            # 300 strips, a few seconds
    python benchmarks/segmentation.py --strips 1000

The strips are chapter 7's (:func:`digits_helpers.reading.other_hands.strip_specs`: five digits,
gaps from touching to wide, jitter, thin pens, broken strokes), drawn from the validation
digits of ``data/mnist``'s training part (``make data``; the reader's validation rows),
never from its held-out part. For each value of ``max_aspect`` (the widest a single digit
may be, as a share of the strip's digit height), the share of strips that
:func:`digits_helpers.data.segment.segment_strip` cuts into exactly five pieces, and how the
others go wrong. Writes ``benchmarks/results/segmentation.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
from pathlib import Path

import numpy as np

from digits_helpers.core.project import find_root
from digits_helpers.data import scan, segment
from digits_helpers.reading import other_hands, reader

RESULTS = Path(__file__).resolve().parent / "results"
ASPECTS = (0.9, 1.0, 1.1, 1.2, 1.3, 1.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strips", type=int, default=300, help="strips per value")
    parser.add_argument("--seed", type=int, default=7, help="seed of the strips")
    args = parser.parse_args()
    training, _ = other_hands.load_real_digits(other_hands.mnist_dir(find_root()))
    validation = training.subset(reader.validation_rows(training.labels))
    specs = other_hands.strip_specs(validation, args.strips, seed=args.seed)
    masks = []
    for number, spec in enumerate(specs):
        strip = other_hands.draw_strip(validation, spec, seed=number)
        masks.append(scan.find_ink(strip.grey.astype(np.float32) / 255).mask)
    rows = []
    for aspect in ASPECTS:
        counts = np.array([len(segment.segment_strip(m, max_aspect=aspect)) for m in masks])
        touching = np.array([any(gap < 0 for gap in spec.gaps) for spec in specs])
        rows.append(
            {
                "max_aspect": aspect,
                "five_pieces": float((counts == 5).mean()),
                "too_many": float((counts > 5).mean()),
                "too_few": float((counts < 5).mean()),
                "five_pieces_touching": float((counts[touching] == 5).mean()),
                "five_pieces_not_touching": float((counts[~touching] == 5).mean()),
            }
        )
        print(f"max_aspect {aspect}: {rows[-1]['five_pieces']:.1%} cut into five pieces")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    record = {"strips": args.strips, "seed": args.seed, "commit": commit, "date": when}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "segmentation.json").write_text(json.dumps({**record, "rows": rows}, indent=2))
    lines = [
        "# Cutting strips of real handwriting into digits",
        "",
        f"`python benchmarks/segmentation.py --strips {args.strips}` at {commit}, {when}: "
        f"{args.strips} five-digit strips of the validation digits of `data/mnist`'s training "
        "part, drawn as chapter 7 draws its strips (never its held-out digits). The share cut "
        "into five pieces by `segment_strip(max_aspect=...)`; the default is "
        f"`MAX_ASPECT = {segment.MAX_ASPECT}`.",
        "",
        "| max_aspect | five pieces | too many | too few | five, with a touching pair | "
        "five, none touching |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['max_aspect']} | {row['five_pieces']:.1%} | {row['too_many']:.1%} | "
            f"{row['too_few']:.1%} | {row['five_pieces_touching']:.1%} | "
            f"{row['five_pieces_not_touching']:.1%} |"
        )
    (RESULTS / "segmentation.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
