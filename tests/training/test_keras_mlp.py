"""Specification of digits_helpers.models.keras_mlp (Keras MLP trainers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from digits_helpers.models.keras_config import KerasConfig
from digits_helpers.models.keras_mlp import KerasRun, build_mlp, train_configuration
from digits_helpers.models.keras_sweep import KerasSweep, run_sweep

pytestmark = pytest.mark.tensorflow

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICK = KerasConfig(validation_split=0.2, learning_rate=0.005, batch_size=64, epochs=3)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    X = (data.images / data.images.max()).astype(np.float32).reshape(len(data.images), 64)
    return train_test_split(X, data.target, test_size=0.2, random_state=42)


def _fake_run(val_accuracy: float, val_loss: float, test_accuracy: float) -> KerasRun:
    return KerasRun(
        config=QUICK,
        history={
            "loss": [0.1],
            "accuracy": [0.99],
            "val_loss": [val_loss],
            "val_accuracy": [val_accuracy],
        },
        test_loss=0.1,
        test_accuracy=test_accuracy,
        train_seconds=0.0,
        test_predictions=np.zeros(3, dtype=int),
        model=None,
    )


def test_build_mlp_has_reference_architecture():
    model = build_mlp(64, 10)
    assert model.input_shape == (None, 64)
    assert [layer.units for layer in model.layers] == [112, 112, 10]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "relu", "softmax"]


def test_input_and_output_sizes_come_from_the_data(digits):
    X_train, X_test, y_train, y_test = digits
    keep = y_train < 5
    run = train_configuration(
        X_train[keep, :40], y_train[keep], X_test[y_test < 5, :40], y_test[y_test < 5], QUICK
    )
    assert run.model.input_shape == (None, 40)
    assert run.model.output_shape == (None, 5)
    assert run.model.predict(X_test[:2, :40], verbose=0).shape == (2, 5)


@pytest.mark.parametrize("trainer", ["compiled", "fit"])
def test_history_has_one_value_per_epoch_for_each_metric(digits, trainer):
    run = train_configuration(*digits_args(digits), QUICK, trainer=trainer)
    assert set(run.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == QUICK.epochs for values in run.history.values())
    assert all(isinstance(v, float) for values in run.history.values() for v in values)


def digits_args(digits):
    X_train, X_test, y_train, y_test = digits
    return X_train, y_train, X_test, y_test


def test_test_outputs_are_consistent(digits):
    X_train, y_train, X_test, y_test = digits_args(digits)
    run = train_configuration(X_train, y_train, X_test, y_test, QUICK)
    assert run.test_predictions.shape == (len(X_test),)
    assert run.test_accuracy == pytest.approx(np.mean(run.test_predictions == y_test))
    model_predictions = run.model.predict(X_test, verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(model_predictions, run.test_predictions)


_DETERMINISM_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from digits_helpers.models.keras_mlp import train_configuration

    data = load_digits()
    X = (data.images / data.images.max()).astype(np.float32).reshape(len(data.images), 64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, data.target, test_size=0.2, random_state=42
    )
    config = {"validation_split": 0.15, "learning_rate": 0.005, "batch_size": 50, "epochs": 3}
    run = train_configuration(X_train, y_train, X_test, y_test, config, seed=7)
    print(json.dumps({"test_accuracy": run.test_accuracy, "test_loss": run.test_loss,
                      "history": run.history}))
    """
)


def test_same_seed_in_separate_processes_gives_identical_results():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _DETERMINISM_SCRIPT],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=REPO_ROOT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    first, second = (json.loads(out.strip().splitlines()[-1]) for out in outputs)
    assert first == second


def test_result_does_not_depend_on_position_in_sweep(digits):
    other = KerasConfig(validation_split=0.1, learning_rate=0.01, batch_size=32, epochs=2)
    alone = train_configuration(*digits_args(digits), QUICK, seed=3)
    sweep = run_sweep(*digits_args(digits), [other, QUICK], seed=3)
    assert sweep.runs[1].history == alone.history
    assert sweep.runs[1].test_accuracy == alone.test_accuracy


def test_different_seeds_give_different_weights(digits):
    one_epoch = KerasConfig(validation_split=0.2, learning_rate=0.001, batch_size=64, epochs=1)
    a = train_configuration(*digits_args(digits), one_epoch, seed=1)
    b = train_configuration(*digits_args(digits), one_epoch, seed=2)
    assert not np.array_equal(a.model.get_weights()[0], b.model.get_weights()[0])


def test_compiled_trainer_learns_digits(digits):
    config = KerasConfig(validation_split=0.2, learning_rate=0.005, batch_size=32, epochs=15)
    run = train_configuration(*digits_args(digits), config)
    assert run.test_accuracy > 0.9
    assert run.history["val_accuracy"][-1] > 0.9
    assert run.history["loss"][-1] < run.history["loss"][0]


def test_compiled_and_fit_trainers_agree(digits):
    config = KerasConfig(validation_split=0.2, learning_rate=0.005, batch_size=64, epochs=10)
    compiled = train_configuration(*digits_args(digits), config, trainer="compiled")
    fitted = train_configuration(*digits_args(digits), config, trainer="fit")
    assert abs(compiled.test_accuracy - fitted.test_accuracy) < 0.04
    for key in ("accuracy", "val_accuracy"):
        assert abs(compiled.history[key][-1] - fitted.history[key][-1]) < 0.05


def test_best_is_chosen_by_validation_accuracy_not_test_accuracy():
    runs = [
        _fake_run(val_accuracy=0.90, val_loss=0.3, test_accuracy=0.99),
        _fake_run(val_accuracy=0.95, val_loss=0.3, test_accuracy=0.80),
    ]
    sweep = KerasSweep.from_runs(runs)
    assert sweep.best_index == 1
    assert sweep.best is runs[1]


def test_best_ties_break_on_validation_loss_then_index():
    tie_on_accuracy = [_fake_run(0.95, 0.30, 0.9), _fake_run(0.95, 0.20, 0.8)]
    assert KerasSweep.from_runs(tie_on_accuracy).best_index == 1
    full_tie = [_fake_run(0.95, 0.20, 0.8), _fake_run(0.95, 0.20, 0.9)]
    assert KerasSweep.from_runs(full_tie).best_index == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("validation_split", 0.0),
        ("validation_split", 1.0),
        ("validation_split", -0.1),
        ("learning_rate", 0.0),
        ("learning_rate", -1e-3),
        ("batch_size", 0),
        ("batch_size", 2.5),
        ("epochs", 0),
        ("epochs", "10"),
    ],
)
def test_invalid_config_values_raise_naming_the_parameter(field, value):
    values = QUICK.to_dict() | {field: value}
    with pytest.raises(ValueError, match=field):
        KerasConfig(**values)


def test_from_dict_round_trips_and_rejects_unknown_or_missing_keys():
    assert KerasConfig.from_dict(QUICK.to_dict()) == QUICK
    with pytest.raises(ValueError, match="momentum"):
        KerasConfig.from_dict(QUICK.to_dict() | {"momentum": 0.9})
    incomplete = QUICK.to_dict()
    del incomplete["epochs"]
    with pytest.raises(ValueError, match="epochs"):
        KerasConfig.from_dict(incomplete)


def test_invalid_data_raises(digits):
    X_train, y_train, X_test, y_test = digits_args(digits)
    with pytest.raises(ValueError, match="y_train"):
        train_configuration(X_train, y_train[:-1], X_test, y_test, QUICK)
    with pytest.raises(ValueError, match="validation_split"):
        train_configuration(
            X_train[:3],
            np.array([0, 1, 1]),
            X_test,
            y_test % 2,
            {**QUICK.to_dict(), "validation_split": 0.9},
        )
    with pytest.raises(ValueError, match="trainer"):
        train_configuration(X_train, y_train, X_test, y_test, QUICK, trainer="sgd")


def test_sweep_reports_its_count_to_the_progress_file_and_prints_nothing(
    digits, capsys, tmp_path, monkeypatch
):
    from digits_helpers.core import progress

    state = tmp_path / "progress.json"
    monkeypatch.setenv(progress.ENV, str(state))
    configs = [QUICK.to_dict(), {**QUICK.to_dict(), "batch_size": 32, "epochs": 2}]
    run_sweep(*digits_args(digits), configs)
    assert json.loads(state.read_text()) == {
        "label": "Keras configurations",
        "done": 2,
        "total": 2,
    }
    assert capsys.readouterr() == ("", "")


def test_a_sweep_through_separate_processes_trains_the_same_models(digits):
    """Each configuration as a task in a worker process (as on a Dask cluster) gives the
    runs trained here one after the other, to the bit."""
    from digits_helpers.core import cluster

    configs = [QUICK.to_dict(), {**QUICK.to_dict(), "batch_size": 32, "learning_rate": 0.01}]
    here = run_sweep(*digits_args(digits), configs, seed=3)
    with cluster.backend("", n_jobs=2) as workers:
        spread = run_sweep(*digits_args(digits), configs, seed=3, run_tasks=workers.map)
    for a, b in zip(here.runs, spread.runs, strict=True):
        np.testing.assert_array_equal(a.test_predictions, b.test_predictions)
        assert a.history == b.history
        for wa, wb in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
            np.testing.assert_array_equal(wa, wb)


def test_fit_trainer_prints_nothing(digits, capsys):
    train_configuration(*digits_args(digits), QUICK, trainer="fit")
    assert capsys.readouterr().out == ""


def test_table_has_one_row_per_configuration(digits):
    configs = [
        QUICK,
        KerasConfig(validation_split=0.1, learning_rate=0.01, batch_size=128, epochs=2),
    ]
    table = run_sweep(*digits_args(digits), configs).table()
    assert list(table["model"]) == [1, 2]
    assert list(table.columns) == [
        "model",
        "validation_split",
        "learning_rate",
        "batch_size",
        "epochs",
        "val_accuracy",
        "test_loss",
        "test_accuracy",
        "train_seconds",
    ]
    assert list(table["batch_size"]) == [64, 128]


def test_augment_sees_only_the_training_rows_never_the_validation_rows(digits):
    X_train, y_train, X_test, y_test = digits_args(digits)
    seen = []

    def doubled(X, y):
        seen.append(X.copy())
        return np.concatenate([X, X]), np.concatenate([y, y])

    run = train_configuration(X_train, y_train, X_test, y_test, QUICK, augment=doubled)
    n_train = int(len(X_train) * (1 - QUICK.validation_split))
    (rows,) = seen
    np.testing.assert_array_equal(rows, X_train[:n_train])
    plain = train_configuration(X_train, y_train, X_test, y_test, QUICK)
    assert run.history["loss"] != plain.history["loss"]
    # An augmentation that adds nothing gives the plain run exactly: the validation rows
    # and the training rows are put back together as they were.
    same = train_configuration(X_train, y_train, X_test, y_test, QUICK, augment=lambda X, y: (X, y))
    assert same.history == plain.history
    with pytest.raises(ValueError, match="augment needs trainer='compiled'"):
        train_configuration(X_train, y_train, X_test, y_test, QUICK, augment=doubled, trainer="fit")


def _weights(model) -> list[np.ndarray]:
    return [np.asarray(w) for w in model.get_weights()]


def test_a_seeded_mlp_ignores_other_draws_from_pythons_random():
    """In a Dask worker, other threads draw from ``random`` between the seeding and the
    build: a model built with its seed must not see them, and must be the model Keras
    builds from ``set_random_seed`` in a quiet process (the study's numbers unchanged)."""
    import random

    from digits_helpers.models.keras_mlp import seed_keras

    seed_keras(7)
    quiet = _weights(build_mlp(64, 10))  # Keras' own draws, nothing in between
    seed_keras(7)
    random.random()  # another thread's draw
    disturbed_default = _weights(build_mlp(64, 10))
    seed_keras(7)
    random.random()
    seeded = _weights(build_mlp(64, 10, seed=7))
    assert all(np.array_equal(a, b) for a, b in zip(quiet, seeded, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(quiet, disturbed_default, strict=True))


def test_two_threads_training_at_once_train_what_each_trains_alone(digits):
    """A Dask worker started with several threads runs tasks side by side in one process,
    where the seeds and the compiled trainers are shared: each training must still be
    the one a thread alone trains."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(QUICK, 1), (KerasConfig(0.1, 0.01, 32, 4), 2), (QUICK, 3), (QUICK, 4)]

    def train(job):
        return train_configuration(*digits_args(digits), job[0], seed=job[1])

    alone = [train(job) for job in jobs]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(train, jobs))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a.test_predictions, b.test_predictions)
        assert a.history == b.history
