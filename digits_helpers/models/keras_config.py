"""One Keras training configuration: its four settings and the one check of them.

No TensorFlow here: the parameter schema validates ``keras_configurations`` with
:class:`KerasConfig` before anything runs, and the trainer receives the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

from digits_helpers.core.values import is_int, is_number, quoted

# The validation rows are taken from the training rows. From 0.05 (so that a
# configuration is chosen on more than a handful of digits) to 0.5 (so that training
# keeps at least as many rows as validation).
VALIDATION_SPLIT = (0.05, 0.5)
ACCEPTS = (
    f"validation_split from {VALIDATION_SPLIT[0]} to {VALIDATION_SPLIT[1]} (so that "
    "training keeps at least half of its rows), learning_rate > 0, batch_size >= 1, "
    "epochs >= 1"
)


@dataclass(frozen=True)
class KerasConfig:
    """Hyper-parameters of one Keras training run, checked when it is made.

    Parameters
    ----------
    validation_split : float
        Fraction of the training rows held out (the last rows, as in Keras), from
        0.05 to 0.5.
    learning_rate : float
        Adam learning rate, > 0.
    batch_size : int
        Mini-batch size, >= 1.
    epochs : int
        Number of passes over the training rows, >= 1.

    Raises
    ------
    ValueError
        Naming the setting, what it accepts and the value given.
    """

    validation_split: float
    learning_rate: float
    batch_size: int
    epochs: int

    def __post_init__(self) -> None:
        low, high = VALIDATION_SPLIT
        vs, lr = self.validation_split, self.learning_rate
        if not (is_number(vs) and low <= vs <= high):
            raise ValueError(
                f"validation_split must be a number from {low} to {high} (got {quoted(vs)})"
            )
        if not (is_number(lr) and lr > 0):
            raise ValueError(f"learning_rate must be a number > 0 (got {quoted(lr)})")
        for name in ("batch_size", "epochs"):
            value = getattr(self, name)
            if not (is_int(value) and value >= 1):
                raise ValueError(f"{name} must be an integer >= 1 (got {quoted(value)})")
        object.__setattr__(self, "validation_split", float(vs))
        object.__setattr__(self, "learning_rate", float(lr))
        object.__setattr__(self, "batch_size", int(self.batch_size))
        object.__setattr__(self, "epochs", int(self.epochs))

    @classmethod
    def from_dict(cls, values: Mapping) -> KerasConfig:
        """Build a configuration from a mapping with exactly the four setting names.

        Parameters
        ----------
        values : Mapping
            Keys ``validation_split``, ``learning_rate``, ``batch_size``, ``epochs``.

        Returns
        -------
        KerasConfig

        Raises
        ------
        ValueError
            If the value is not a mapping, a key is missing or unknown, or a value is
            out of range.
        """
        names = [f.name for f in fields(cls)]
        if not isinstance(values, Mapping):
            raise ValueError(
                f"must be a mapping with keys {', '.join(names)} (got {quoted(values)})"
            )
        unknown = [str(k) for k in values if k not in names]
        if unknown:
            raise ValueError(
                f"unknown setting {', '.join(unknown)}; the settings are {', '.join(names)}"
            )
        missing = [k for k in names if k not in values]
        if missing:
            raise ValueError(
                f"missing setting {', '.join(missing)}; the settings are {', '.join(names)}"
            )
        return cls(**{k: values[k] for k in names})

    def to_dict(self) -> dict:
        """The configuration as a plain ``dict`` (the inverse of :meth:`from_dict`)."""
        return asdict(self)


def as_configs(configurations: Sequence[KerasConfig | Mapping]) -> list[KerasConfig]:
    """Configurations from mappings or :class:`KerasConfig` objects, all checked.

    Parameters
    ----------
    configurations : Sequence of KerasConfig or Mapping
        At least one.

    Returns
    -------
    list of KerasConfig
    """
    configs = [
        c if isinstance(c, KerasConfig) else KerasConfig.from_dict(c) for c in configurations
    ]
    if not configs:
        raise ValueError("configurations must contain at least one configuration")
    return configs
