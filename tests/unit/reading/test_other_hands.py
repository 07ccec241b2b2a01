"""Real digits of other hands: the held-out part, files read back, answers, strips."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from mnist_samples import digits28, write_mnist

from digits_helpers.core.registry import SVC
from digits_helpers.data import digits as data
from digits_helpers.data import scan
from digits_helpers.data.mnist_package import DEFAULT_DEST
from digits_helpers.reading import checks, other_hands, predict


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """A folder of IDX files like data/mnist's: 28x28 digits, a training and a held-out part."""
    folder = tmp_path_factory.mktemp("mnist")
    write_mnist(folder, "idx", digits28())
    return other_hands.load_real_digits(folder)


def test_the_two_parts_are_the_training_and_the_test_files(real):
    training, held_out = real
    arrays = digits28()
    assert len(training) == len(arrays["train_labels"])
    assert len(held_out) == len(arrays["test_labels"])
    assert held_out.images.shape[1:] == (28, 28) and held_out.images.dtype == np.float32
    assert 0 <= held_out.images.min() and held_out.images.max() <= 1
    np.testing.assert_array_equal(held_out.labels, arrays["test_labels"])


def test_the_folder_make_data_sets_up_is_required_and_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `make data`"):
        other_hands.mnist_dir(tmp_path)
    (tmp_path / DEFAULT_DEST).mkdir(parents=True)
    (tmp_path / DEFAULT_DEST / "PROVENANCE.json").write_text("{}")
    assert other_hands.mnist_dir(tmp_path) == tmp_path / DEFAULT_DEST


def test_digits_a_28x28_split_trained_on_are_not_strangers(real):
    training, held_out = real
    dataset = data.Dataset(
        "mnist",
        np.concatenate([training.images, held_out.images[:5]]),
        np.concatenate([training.labels, held_out.labels[:5]]),
    )
    split = data.split_dataset(dataset, test_size=0.2, random_state=0)
    trained_on = {tuple(np.rint(row * 255).astype(int)) for row in split.X_train}
    unseen = other_hands.unseen_by(held_out, split)
    for image in unseen.images:
        assert tuple(np.rint(image.ravel() * 255).astype(int)) not in trained_on
    seen = sum(
        tuple(np.rint(image.ravel() * 255).astype(int)) in trained_on
        for image in held_out.images[:5]
    )
    assert len(unseen) == len(held_out) - seen


def test_an_8x8_split_leaves_every_real_digit_a_stranger(real, split):
    _, held_out = real
    assert len(other_hands.unseen_by(held_out, split)) == len(held_out)


def test_files_are_read_back_as_predict_reads_them(real, tmp_path):
    _, held_out = real
    few = held_out.subset(np.arange(6))
    read = other_hands.write_and_read(few, size=64)
    assert read.readable.all() and len(read) == 6
    paths = checks.write_scans(few.images, tmp_path, checks.Condition(64))  # the same files
    for index, path in enumerate(paths):
        for dataset in ("digits", "mnist"):
            expected = predict.file_features(path, dataset=dataset)[0]
            np.testing.assert_array_equal(read.features[dataset][index], expected)


def test_scans_written_and_read_in_pieces_by_worker_processes_are_those_of_one_call(real):
    from digits_helpers.core import cluster

    _, held_out = real
    few = held_out.subset(np.arange(12))
    alone = other_hands.write_and_read(few, preparations=("digits",))
    with cluster.backend("", n_jobs=2) as workers:
        spread = other_hands.write_and_read(few, preparations=("digits",), run_tasks=workers.map)
    assert list(spread.features) == ["digits"]
    np.testing.assert_array_equal(spread.features["digits"], alone.features["digits"])
    np.testing.assert_array_equal(spread.readable, alone.readable)
    np.testing.assert_array_equal(spread.labels, few.labels)


def test_a_file_predict_refuses_is_unreadable_and_wrong():
    two = np.zeros((1, 28, 28), np.float32)
    two[0, 8:20, 3:6] = 1  # two strokes side by side: two pieces of ink
    two[0, 8:20, 22:25] = 1
    read = other_hands.write_and_read(other_hands.RealDigits(two, np.array([1])))
    assert not read.readable[0]


@dataclass
class _Fixed:
    """A stand-in for a loaded model: fixed probabilities, whatever the input."""

    probabilities_: np.ndarray
    card: dict
    model: object = SVC

    def probabilities(self, features):
        assert len(features) == len(self.probabilities_)
        return self.probabilities_


def _read(labels, readable=None) -> other_hands.ReadScans:
    n = len(labels)
    features = {"digits": np.zeros((n, 8, 8), np.float32)}
    readable = np.ones(n, bool) if readable is None else np.asarray(readable)
    return other_hands.ReadScans(features, readable, np.asarray(labels))


def test_answers_count_unreadable_files_as_wrong_and_unanswered():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.95, 0.05]])
    loaded = _Fixed(probabilities, {"dataset": "digits"})
    given = other_hands.answers(loaded, _read([0, 1, 1, 0], readable=[1, 1, 1, 0]))
    assert given.predicted.tolist() == [0, 1, 0, -1]
    assert given.accuracy == pytest.approx(0.5)
    at = given.at(0.7)
    assert at["n_answered"] == 2 and at["answered"] == pytest.approx(0.5)
    assert at["answered_accuracy"] == pytest.approx(1.0)
    assert np.isnan(given.at(0.99)["answered_accuracy"])


def test_the_strangers_table_has_a_row_per_model_and_formats_as_percentages():
    loaded = _Fixed(np.array([[0.9, 0.1], [0.7, 0.3]]), {"dataset": "digits"})
    table = other_hands.strangers_table([loaded], _read([0, 1]), threshold=0.8)
    (row,) = table.to_dict("records")
    assert row.pop("ms_per_digit") > 0
    assert row == {"model": SVC.name, "accuracy": 0.5, "answered": 0.5, "answered_accuracy": 1.0}
    shown = other_hands.format_strangers(table)
    assert shown.loc[SVC.name].tolist() == ["50.0%", "50.0%", "100.0%"]


def test_strips_are_drawn_from_one_seed(real):
    _, held_out = real
    first = other_hands.strip_specs(held_out, 20, seed=3)
    assert first == other_hands.strip_specs(held_out, 20, seed=3)
    assert first != other_hands.strip_specs(held_out, 20, seed=4)
    for spec in first:
        assert len(spec.indices) == len(set(spec.indices)) == other_hands.STRIP_DIGITS
        assert all(gap in other_hands.STRIP_GAPS for gap in spec.gaps)
        assert all(abs(j) <= other_hands.JITTER for j in spec.jitter)
    assert any(spec.thin for spec in first) and any(any(spec.broken) for spec in first)


def test_a_strip_holds_its_digits_in_order_and_a_broken_stroke_has_a_gap(real):
    _, held_out = real
    spec = other_hands.StripSpec(
        indices=(0, 1, 2, 3, 4),
        gaps=(10, 10, 10, 10),
        jitter=(0,) * 5,
        thin=False,
        broken=(False,) * 5,
    )
    strip = other_hands.draw_strip(held_out, spec, seed=0)
    assert strip.truth == "".join(str(int(held_out.labels[i])) for i in range(5))
    assert strip.grey.dtype == np.uint8 and strip.grey.min() < 60 and strip.grey.max() == 255
    broken = other_hands.draw_strip(
        held_out, spec.__class__(**{**spec.__dict__, "broken": (True,) * 5}), seed=0
    )
    assert (broken.grey > strip.grey).any()  # some ink erased
    ink = scan.find_ink(strip.grey.astype(np.float32) / 255)
    assert ink.mask.any()


def test_the_strip_summary_counts_shares_and_keeps_misses_first():
    import pandas as pd

    table = pd.DataFrame(
        {
            "truth": ["12345", "67890", "11111"],
            "read": ["12345", "6?890", "1111"],
            "pieces": [5, 5, 4],
            "exact": [True, False, False],
            "segmented": [True, True, False],
            "unsure": [False, True, False],
            "misread": [False, False, False],
            "touching": [False, True, True],
            "thin": [False, False, True],
            "broken": [False, False, False],
            "seconds": [0.1, 0.3, 0.2],
        }
    )
    summary = other_hands.strip_summary(table, examples=2)
    assert summary["n_strips"] == 3
    assert summary["exact"] == pytest.approx(1 / 3)
    assert summary["segmented"] == pytest.approx(2 / 3)
    assert summary["exact_touching"] == 0.0
    assert summary["seconds_per_strip"] == pytest.approx(0.2)
    assert np.isnan(summary["exact_broken"])
    assert summary["examples"] == [
        {"truth": "67890", "read": "6?890"},
        {"truth": "11111", "read": "1111"},
    ]
