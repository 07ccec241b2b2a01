"""The study's parameters: one flat namespace, validated before anything runs.

Every notebook declares a subset of these names in its ``parameters`` cell. A run
resolves a profile (``smoke``, ``quick``, ``full`` or ``mnist``), an optional YAML file
and ``--set`` overrides into one mapping, checks every value here, and only then executes.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from digits_helpers.core.cluster import ACCEPTS as SCHEDULER_ACCEPTS
from digits_helpers.core.cluster import check_scheduler
from digits_helpers.core.project import find_root
from digits_helpers.core.registry import (
    CNN_AUGMENTATIONS,
    DATASETS,
    DATASETS_FROM_FILES,
    MNIST_IMAGE_SHAPE,
    N_CLASSES,
    SEARCH_STRATEGIES,
)
from digits_helpers.core.values import is_int, is_number, shown
from digits_helpers.data.mnist_files import MnistFileError, check_mnist_files
from digits_helpers.models.keras_config import ACCEPTS as KERAS_RULES
from digits_helpers.models.keras_config import KerasConfig

PROFILES = ("smoke", "quick", "full", "mnist")
KERAS_CONFIG_KEYS = tuple(f.name for f in fields(KerasConfig))
# MLPClassifier arguments a grid may vary: the ones that shape the network or its training.
GRID_KEYS = (
    "hidden_layer_sizes",
    "activation",
    "solver",
    "alpha",
    "batch_size",
    "learning_rate",
    "learning_rate_init",
    "power_t",
    "momentum",
    "nesterovs_momentum",
    "early_stopping",
    "validation_fraction",
    "beta_1",
    "beta_2",
    "epsilon",
    "n_iter_no_change",
    "tol",
)


class ParameterError(ValueError):
    """A parameter name or value that the study does not accept.

    Its message is complete on one line, so inside an IPython kernel (a notebook run
    by papermill or Jupyter) it is shown as ``ParameterError: <message>`` instead of
    a traceback through this module.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


@dataclass(frozen=True)
class Parameter:
    """One entry of the namespace: how to check a value and what it accepts."""

    name: str
    accepts: str
    check: Callable[[Any], Any]
    help: str


def _fail(name: str, accepts: str, value: Any) -> ParameterError:
    return ParameterError(f"parameter '{name}' must be {accepts} (got {shown(value)})")


def _choice(name: str, options: tuple[str, ...]) -> Parameter:
    accepts = "one of " + ", ".join(repr(o) for o in options)

    def check(value: Any) -> str:
        if value not in options:
            raise _fail(name, accepts, value)
        return value

    return Parameter(name, accepts, check, "")


MAX_SEED = 2**32 - 1  # what NumPy's and scikit-learn's random states accept


def _int(name: str, minimum: int, maximum: int | None = None) -> Parameter:
    accepts = (
        f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
    )

    def check(value: Any) -> int:
        if not is_int(value) or value < minimum or (maximum is not None and value > maximum):
            raise _fail(name, accepts, value)
        return value

    return Parameter(name, accepts, check, "")


def _fraction(name: str, low: float, high: float) -> Parameter:
    accepts = f"a number from {low} to {high}"

    def check(value: Any) -> float:
        if not is_number(value) or not low <= value <= high:
            raise _fail(name, accepts, value)
        return float(value)

    return Parameter(name, accepts, check, "")


def _bool(name: str) -> Parameter:
    accepts = "true or false"

    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise _fail(name, accepts, value)
        return value

    return Parameter(name, accepts, check, "")


def _int_list(
    name: str, minimum: int, maximum: int, *, min_length: int = 1, unique: bool = False
) -> Parameter:
    accepts = (
        f"a list of at least {min_length} {'distinct ' if unique else ''}integers "
        f"from {minimum} to {maximum}"
    )

    def check(value: Any) -> list[int]:
        if (
            not isinstance(value, list | tuple)
            or len(value) < min_length
            or not all(is_int(v) and minimum <= v <= maximum for v in value)
            or (unique and len(set(value)) != len(value))
        ):
            raise _fail(name, accepts, value)
        return list(value)

    return Parameter(name, accepts, check, "")


def _choice_list(name: str, options: tuple[str, ...]) -> Parameter:
    accepts = "a non-empty list of distinct values among " + ", ".join(repr(o) for o in options)

    def check(value: Any) -> list[str]:
        if (
            not isinstance(value, list | tuple)
            or not value
            or not all(isinstance(v, str) and v in options for v in value)
            or len(set(value)) != len(value)
        ):
            raise _fail(name, accepts, value)
        return list(value)

    return Parameter(name, accepts, check, "")


def _check_param_grid(value: Any) -> dict[str, list]:
    accepts = (
        "a mapping from MLPClassifier arguments ("
        + ", ".join(GRID_KEYS)
        + ") to non-empty lists of values"
    )
    if not isinstance(value, Mapping) or not value:
        raise _fail("param_grid", accepts, value)
    grid: dict[str, list] = {}
    for key, values in value.items():
        if key not in GRID_KEYS:
            raise ParameterError(
                f"parameter 'param_grid' has unknown key {shown(key)}; accepted keys: "
                + ", ".join(GRID_KEYS)
            )
        if not isinstance(values, list | tuple) or not values:
            raise ParameterError(
                f"parameter 'param_grid' entry {shown(key)} must be a non-empty list "
                f"(got {shown(values)})"
            )
        if key == "hidden_layer_sizes":
            values = [_layer_sizes(v) for v in values]
        else:
            for v in values:
                _check_mlp_argument(key, v)
        grid[key] = list(values)
    return grid


def _check_mlp_argument(key: str, value: Any) -> None:
    """Let scikit-learn's own constraints judge one MLPClassifier argument value."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        MLPClassifier(**{key: value})._validate_params()
    except InvalidParameterError as exc:
        message = str(exc).replace(repr(value), shown(value))  # sklearn quotes the whole value
        raise ParameterError(f"parameter 'param_grid' entry {key!r}: {message}") from exc


def _layer_sizes(value: Any) -> list[int]:
    sizes = [value] if is_int(value) else value
    if (
        not isinstance(sizes, list | tuple)
        or not sizes
        or not all(is_int(s) and s >= 1 for s in sizes)
    ):
        raise ParameterError(
            "parameter 'param_grid' entry 'hidden_layer_sizes' must hold lists of positive "
            f"integers such as [112, 112] (got {shown(value)})"
        )
    return list(sizes)


# The last validation_split of the training rows choose among the configurations; at
# least 5% (about 70 digits of the default split) so the choice rests on more than a
# handful of digits, at most half so validation never outweighs what is trained on.
KERAS_ACCEPTS = (
    "a non-empty list of mappings with keys " + ", ".join(KERAS_CONFIG_KEYS) + f" ({KERAS_RULES})"
)


def _check_keras_configurations(value: Any) -> list[dict]:
    if not isinstance(value, list | tuple) or not value:
        raise _fail("keras_configurations", KERAS_ACCEPTS, value)
    configs = []
    for i, config in enumerate(value, start=1):
        try:
            configs.append(KerasConfig.from_dict(config).to_dict())
        except ValueError as exc:
            raise ParameterError(f"parameter 'keras_configurations' item {i}: {exc}") from None
    return configs


def _check_svc_param_grid(value: Any) -> dict[str, list]:
    accepts = (
        "a mapping with keys 'C' (a list of numbers > 0) and 'gamma' (a list of numbers > 0 "
        "or 'scale' or 'auto')"
    )
    if not isinstance(value, Mapping) or set(value) != {"C", "gamma"}:
        raise _fail("svc_param_grid", accepts, value)
    c_values, gammas = value["C"], value["gamma"]
    if (
        not isinstance(c_values, list | tuple)
        or not c_values
        or not all(is_number(c) and c > 0 for c in c_values)
        or not isinstance(gammas, list | tuple)
        or not gammas
        or not all(g in ("scale", "auto") or (is_number(g) and g > 0) for g in gammas)
    ):
        raise _fail("svc_param_grid", accepts, value)
    return {"C": list(c_values), "gamma": list(gammas)}


def _check_n_jobs(value: Any) -> int:
    if not is_int(value) or value == 0:
        raise _fail("n_jobs", "a non-zero integer (-1: all cores, -2: all but one, ...)", value)
    return value


def _check_scheduler(value: Any) -> str:
    try:
        return check_scheduler(value)
    except ValueError:
        raise _fail("scheduler", SCHEDULER_ACCEPTS, value) from None


def _check_data_dir(value: Any) -> str:
    """A string; a non-empty one is made absolute (notebooks run in the run's folder).

    A relative folder is taken from the project's folder when there is one above the
    current folder (the ``mnist`` profile's ``data/mnist``, which ``make data`` sets up),
    else from the current folder.
    """
    if not isinstance(value, str):
        raise _fail("data_dir", DATA_DIR_ACCEPTS, value)
    if not value.strip():
        return ""
    path = Path(value).expanduser()
    if not path.is_absolute():
        try:
            path = find_root() / path
        except FileNotFoundError:
            path = path.absolute()
    return str(path)


DATA_DIR_ACCEPTS = (
    "a folder path holding MNIST's four IDX files (gzipped or not) or mnist.npz when dataset"
    " is 'mnist', '' when it is 'digits'"
)
MIN_IMAGES = 100  # a split of fewer digits leaves too few per class for cv folds and a test


def _check_max_images(value: Any) -> int:
    if not is_int(value) or (value != 0 and value < MIN_IMAGES):
        raise _fail("max_images", f"0 (all the digits) or an integer >= {MIN_IMAGES}", value)
    return value


def check_data_source(values: Mapping[str, Any]) -> None:
    """Check the parameters that only make sense together with ``dataset``.

    ``data_dir`` must name a folder of valid MNIST files when ``dataset`` is
    ``"mnist"`` (their headers and labels are checked, not their pixels:
    :func:`digits_helpers.data.mnist_files.check_mnist_files`) and be empty for
    ``"digits"``. Names absent from ``values`` are not checked, so a notebook that
    declares a subset of the parameters can call this too.

    Parameters
    ----------
    values : Mapping[str, Any]
        Parameters, each already valid on its own.

    Raises
    ------
    ParameterError
        Naming the parameter (and for a bad file, the file), what was given and what
        is accepted.
    """
    dataset = values.get("dataset")
    if dataset is None:
        return
    if "data_dir" in values:
        data_dir = values["data_dir"]
        if dataset in DATASETS_FROM_FILES:
            if not str(data_dir).strip():
                raise ParameterError(
                    f"parameter 'data_dir' must name the folder of the MNIST files when"
                    f" dataset is {dataset!r}: MNIST's four IDX files (gzipped or not) or"
                    f" mnist.npz; nothing is downloaded (got {shown(data_dir)})"
                )
            try:
                found = check_mnist_files(data_dir)
            except MnistFileError as exc:
                raise ParameterError(f"parameter 'data_dir': {exc}") from None
            if found.image_shape != MNIST_IMAGE_SHAPE:
                rows, cols = found.image_shape
                raise ParameterError(
                    f"parameter 'data_dir': the images in {', '.join(found.source)} are"
                    f" {rows}x{cols}; MNIST's are {MNIST_IMAGE_SHAPE[0]}x{MNIST_IMAGE_SHAPE[1]}"
                )
        elif data_dir:
            raise ParameterError(
                f"parameter 'data_dir' must be '' when dataset is {dataset!r}, which ships with"
                f" scikit-learn (got {shown(data_dir)})"
            )


def check_split_size(values: Mapping[str, Any]) -> None:
    """Refuse a ``max_images`` too small for ``test_size`` and ``cv`` to leave a split.

    Parameters
    ----------
    values : Mapping[str, Any]
        Parameters, each already valid on its own; absent names are not checked.

    Raises
    ------
    ParameterError
        When the test set would hold fewer digits than there are classes, or the
        training set fewer than ``cv`` digits per class on average.
    """
    max_images = values.get("max_images", 0)
    if not max_images or "test_size" not in values:
        return
    n_test = math.ceil(values["test_size"] * max_images)  # as train_test_split counts
    n_train = max_images - n_test
    folds = values.get("cv", 1)
    if n_test < N_CLASSES or n_train < N_CLASSES * folds:
        raise ParameterError(
            f"parameter 'max_images' is too small for test_size {values['test_size']}"
            f" and cv {folds}: {max_images} digits give {n_test} to test and {n_train} to"
            f" train; at least {N_CLASSES} to test and {N_CLASSES * folds} to train are"
            f" needed (got {max_images})"
        )


def _described(parameter: Parameter, help_text: str) -> Parameter:
    return Parameter(parameter.name, parameter.accepts, parameter.check, help_text)


SCHEMA: dict[str, Parameter] = {
    p.name: p
    for p in (
        _described(_choice("dataset", DATASETS), "which dataset to load"),
        Parameter(
            "data_dir",
            DATA_DIR_ACCEPTS,
            _check_data_dir,
            "the folder of the MNIST files (dataset mnist); nothing is downloaded",
        ),
        Parameter(
            "max_images",
            f"0 (all the digits) or an integer >= {MIN_IMAGES}",
            _check_max_images,
            "use only the first N digits of the dataset, before the split (0: all)",
        ),
        _described(_fraction("test_size", 0.05, 0.5), "fraction of the data held out for testing"),
        _described(_int("random_state", 0, MAX_SEED), "seed of the train/test split"),
        _described(_bool("stratify"), "keep class proportions equal in train and test"),
        _described(
            _int("model_seed", 0, MAX_SEED), "seed of every model's initialisation and shuffling"
        ),
        Parameter(
            "param_grid",
            "a mapping from MLPClassifier arguments to non-empty lists of values",
            _check_param_grid,
            "the MLPClassifier hyperparameter grid",
        ),
        _described(_int("cv", 2, 20), "number of cross-validation folds"),
        Parameter(
            "n_jobs",
            "a non-zero integer (-1: all cores, -2: all but one, ...)",
            _check_n_jobs,
            "parallel workers for the searches",
        ),
        Parameter(
            "scheduler",
            SCHEDULER_ACCEPTS,
            _check_scheduler,
            "where the searches and the repeated-split retraining run",
        ),
        _described(_int("mlp_max_iter", 1), "maximum epochs of each MLPClassifier fit"),
        _described(
            _choice("search_strategy", SEARCH_STRATEGIES), "how the hyperparameter grid is searched"
        ),
        Parameter(
            "keras_configurations",
            KERAS_ACCEPTS,
            _check_keras_configurations,
            "the Keras training configurations",
        ),
        _described(_int_list("keras_hidden_units", 1, 4096), "units of each hidden Dense layer"),
        _described(_int("cnn_epochs", 1), "epochs of the convolutional network"),
        _described(
            _choice_list("cnn_augmentations", CNN_AUGMENTATIONS),
            "how the CNN's training digits may be grown; several: chosen on validation",
        ),
        Parameter(
            "svc_param_grid",
            "a mapping with keys 'C' and 'gamma' to lists of values",
            _check_svc_param_grid,
            "the RBF SVC's C and gamma grid",
        ),
        _described(
            _int_list("repeat_seeds", 0, MAX_SEED, min_length=2, unique=True),
            "split seeds for the repeated-split comparison",
        ),
        _described(
            _fraction("target_accuracy", 0.5, 1.0),
            "the team's target: the test accuracy an MLP must reach",
        ),
        _described(
            _fraction("mlp_target", 0.5, 1.0),
            "the goal for an MLP beyond the reference (its grid search's test accuracy)",
        ),
        _described(
            _fraction("beyond_target", 0.5, 1.0),
            "the goal for the best model beyond the MLP",
        ),
        _described(_int("reader_epochs", 1), "epochs of the reader (chapter 7)"),
        _described(
            _choice("reader_augmentation", CNN_AUGMENTATIONS),
            "how the reader's training digits are grown (as the CNN's)",
        ),
        _described(
            _fraction("sure_accuracy", 0.9, 0.9999),
            "the accuracy required of the digits the reader answers; its threshold is the"
            " lowest that reaches it on validation digits",
        ),
    )
}


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check every name and value; return the normalised parameters.

    Raises
    ------
    ParameterError
        For an unknown name (listing the known ones) or an invalid value (naming the
        parameter and what it accepts).
    """
    validate_names(values)
    checked = {name: SCHEMA[name].check(value) for name, value in values.items()}
    missing = sorted(set(SCHEMA) - set(checked))
    if missing:
        raise ParameterError(f"parameter {missing[0]!r} has no value")
    check_data_source(checked)
    check_split_size(checked)
    return checked


def check_notebook_parameters(namespace: Mapping[str, Any]) -> None:
    """Refuse, from inside a notebook, a parameter value that ``digits-book run`` refuses.

    A notebook executed by plain ``papermill -p NAME VALUE`` gets its values without
    the checks of ``digits-book run``. Called in the first code cell after the
    ``parameters`` cell (papermill inserts its cell right after that one), this
    applies the same checks with the same messages, before any work starts.

    Parameters
    ----------
    namespace : Mapping[str, Any]
        The notebook's variables, ``globals()``. Only names of :data:`SCHEMA` are
        checked: a notebook declares a subset of them, and other variables
        (``run_dir``, imports) are not parameters of the study.

    Raises
    ------
    ParameterError
        For the first invalid value, in :data:`SCHEMA` order. In an IPython kernel
        the cell's error reads ``ParameterError: parameter 'test_size' must be a
        number from 0.05 to 0.5 (got 1.5)``, without a traceback.

    Examples
    --------
    The cell after the ``parameters`` cell::

        from digits_helpers.run import params

        params.check_notebook_parameters(globals())
    """
    checked = {}
    for name, parameter in SCHEMA.items():
        if name in namespace:
            checked[name] = parameter.check(namespace[name])
    check_data_source(checked)
    check_split_size(checked)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``NAME=VALUE`` and parse VALUE as YAML (``0.3``, ``true``, ``[1, 2]``)."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ParameterError(f"--set expects NAME=VALUE (got {shown(text)})")
    try:
        value = yaml.safe_load(raw)
    except (yaml.YAMLError, ValueError) as exc:
        raise ParameterError(
            f"--set {name.strip()}: value {shown(raw)} is not valid YAML ({_yaml_problem(exc)})"
        ) from exc
    return name.strip(), value


def _yaml_problem(exc: Exception, *, line: bool = False) -> str:
    """One line out of PyYAML's messages, which span lines (the problem, then where).

    A ``ValueError`` comes from a scalar YAML reads but Python refuses: an integer
    beyond ``sys.get_int_max_str_digits()``, a date such as 2024-13-01.
    """
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        where = f"line {mark.line + 1}, column" if line else "column"
        return f"{problem} at {where} {mark.column + 1}"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.split(": value has")[0]  # the int limit's advice is for programmers


def load_profile(profile: str) -> dict[str, Any]:
    """The raw values of a shipped profile (one of :data:`PROFILES`)."""
    if profile not in PROFILES:
        raise ParameterError(f"profile must be one of {', '.join(PROFILES)} (got {shown(profile)})")
    text = resources.files("digits_helpers.run").joinpath(f"profiles/{profile}.yaml").read_text()
    return yaml.safe_load(text)


def load_params_file(path: Path) -> dict[str, Any]:
    """Read a YAML mapping of parameter overrides."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ParameterError(f"--params: cannot read {path}: {exc.strerror}") from exc
    except (yaml.YAMLError, ValueError) as exc:
        problem = _yaml_problem(exc, line=True)
        raise ParameterError(f"--params: {path} is not valid YAML ({problem})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"--params: {path} must hold a mapping of NAME: VALUE")
    return data


def resolve(
    profile: str = "quick",
    params_file: Path | None = None,
    assignments: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """Profile, then file, then ``--set`` overrides; validated as a whole."""
    values = load_profile(profile)
    if params_file is not None:
        overrides = load_params_file(params_file)
        validate_names(overrides)
        values.update(overrides)
    for text in assignments:
        name, value = parse_assignment(text)
        validate_names({name: value})
        values[name] = value
    return validate(values)


def validate_names(values: Mapping[str, Any]) -> None:
    """Reject unknown names early, before values are merged."""
    unknown = sorted(set(values) - set(SCHEMA), key=str)
    if unknown:
        raise ParameterError(_unknown_message(unknown[0]))


def _unknown_message(name: Any) -> str:
    """Suggest the closest known name; list them all only when none is close."""
    close = difflib.get_close_matches(str(name), SCHEMA, n=1)
    if close:
        return f"unknown parameter {shown(name)} (did you mean {close[0]!r}?)"
    return f"unknown parameter {shown(name)}; known parameters: " + ", ".join(sorted(SCHEMA))
