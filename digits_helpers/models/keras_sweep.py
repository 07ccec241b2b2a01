"""The Keras sweep: one network trained under several configurations, one chosen.

The configuration is chosen on validation accuracy, never on the test set. The
training itself is :func:`digits_helpers.models.keras_mlp.train_configuration`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from digits_helpers.core.cluster import RunTasks, in_this_process
from digits_helpers.core.formatting import pct
from digits_helpers.models.keras_config import KerasConfig, as_configs
from digits_helpers.models.keras_mlp import Augment, KerasRun, Trainer, train_configuration


@dataclass
class KerasSweep:
    """Results of several configurations and the one selected on validation data.

    Attributes
    ----------
    runs : list[KerasRun]
        One run per configuration, in input order.
    best_index : int
        Index of the run with the highest last-epoch validation accuracy (ties:
        lower last-epoch validation loss, then lower index).  Test metrics are
        never used for the selection.
    """

    runs: list[KerasRun]
    best_index: int

    @classmethod
    def from_runs(cls, runs: Sequence[KerasRun]) -> KerasSweep:
        """Collect runs and select the best one by validation metrics.

        Parameters
        ----------
        runs : Sequence[KerasRun]
            At least one run.

        Returns
        -------
        KerasSweep
        """
        runs = list(runs)
        if not runs:
            raise ValueError("runs must contain at least one KerasRun")
        best = min(
            range(len(runs)),
            key=lambda i: (
                -runs[i].history["val_accuracy"][-1],
                runs[i].history["val_loss"][-1],
                i,
            ),
        )
        return cls(runs=runs, best_index=best)

    @property
    def best(self) -> KerasRun:
        """The run selected by validation accuracy."""
        return self.runs[self.best_index]

    @property
    def train_seconds(self) -> float:
        """Wall seconds of training every configuration."""
        return float(sum(run.train_seconds for run in self.runs))

    def summaries(self, *, with_history: bool = False) -> list[dict]:
        """One JSON-ready summary per configuration, in order.

        Parameters
        ----------
        with_history : bool, default=False
            Also include each run's per-epoch ``history``.

        Returns
        -------
        list of dict
            ``config``, ``test_accuracy``, ``test_loss``, ``train_seconds`` and
            ``final_val_accuracy`` (and ``history``) of each run.
        """
        summaries = []
        for run in self.runs:
            summary = {
                "config": run.config.to_dict(),
                "test_accuracy": run.test_accuracy,
                "test_loss": run.test_loss,
                "train_seconds": run.train_seconds,
                "final_val_accuracy": run.history["val_accuracy"][-1],
            }
            if with_history:
                summary["history"] = run.history
            summaries.append(summary)
        return summaries

    def table(self) -> pd.DataFrame:
        """Summarise the sweep, one row per configuration.

        Returns
        -------
        pandas.DataFrame
            Columns ``model`` (1-based), ``validation_split``, ``learning_rate``,
            ``batch_size``, ``epochs``, ``val_accuracy`` (last epoch), ``test_loss``,
            ``test_accuracy``, ``train_seconds``.
        """
        rows = [
            {
                "model": i + 1,
                **run.config.to_dict(),
                "val_accuracy": run.history["val_accuracy"][-1],
                "test_loss": run.test_loss,
                "test_accuracy": run.test_accuracy,
                "train_seconds": run.train_seconds,
            }
            for i, run in enumerate(self.runs)
        ]
        return pd.DataFrame(rows)


def run_sweep(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    configurations: Sequence[KerasConfig | Mapping],
    *,
    seed: int = 42,
    hidden_units: Sequence[int] = (112, 112),
    trainer: Trainer = "compiled",
    augment: Augment | None = None,
    run_tasks: RunTasks | None = None,
    label: str = "Keras configurations",
) -> KerasSweep:
    """Train every configuration (same seed each) and select the best by validation.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : numpy.ndarray
        As in :func:`train_configuration`.
    configurations : Sequence[KerasConfig or Mapping]
        Configurations to train, validated before any training starts.
    seed, hidden_units, trainer, augment
        As in :func:`train_configuration`.
    run_tasks : callable, optional
        ``run_tasks(function, items, label=...)``, such as
        :meth:`digits_helpers.core.cluster.Workers.map`: each configuration becomes an
        independent task, trained wherever it runs with the same seed, so the runs are
        the ones trained here one after the other. By default they are trained here.
    label : str, default="Keras configurations"
        What the terminal's progress line counts (:mod:`digits_helpers.core.progress`).

    Returns
    -------
    KerasSweep
    """
    configs = as_configs(configurations)
    train = partial(
        train_configuration,
        X_train,
        y_train,
        X_test,
        y_test,
        seed=seed,
        hidden_units=hidden_units,
        trainer=trainer,
        augment=augment,
    )
    return KerasSweep.from_runs((run_tasks or in_this_process)(train, configs, label=label))


def rounded_table(table: pd.DataFrame) -> pd.DataFrame:
    """The sweep's accuracies for a reader, as percentages (no losses, no timings).

    Timings vary from run to run; the accuracies move within a few tenths of a point
    with the CPU's floating-point kernels (the nbval tolerance covers them); losses
    are shown in the training curves instead.

    Parameters
    ----------
    table : pandas.DataFrame
        As :meth:`KerasSweep.table` returns it.

    Returns
    -------
    pandas.DataFrame
        Columns ``model`` (from 1), ``val accuracy`` (last epoch) and
        ``test accuracy``, the accuracies as text such as ``"98.33%"``.
    """
    return pd.DataFrame(
        {
            "model": table["model"],
            "val accuracy": table["val_accuracy"].map(pct),
            "test accuracy": table["test_accuracy"].map(pct),
        }
    )


def configuration_table(configurations: Sequence[KerasConfig | Mapping]) -> pd.DataFrame:
    """The configurations to train, one numbered row each.

    Parameters
    ----------
    configurations : Sequence of KerasConfig or Mapping

    Returns
    -------
    pandas.DataFrame
        Columns ``model`` (from 1) and the four settings.
    """
    configs = as_configs(configurations)
    table = pd.DataFrame([c.to_dict() for c in configs])
    table.insert(0, "model", range(1, len(configs) + 1))
    return table
