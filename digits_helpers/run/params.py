"""The study's parameters: one flat namespace, validated before anything runs.

Every notebook declares a subset of these names in its ``parameters`` cell. A run
resolves a profile (``smoke``, ``quick``, ``full`` or ``mnist``), an optional YAML file
and ``--set`` overrides into one mapping, checks every value here, and only then executes.
"""

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    TypeAdapter,
    ValidationError,
    WrapValidator,
    create_model,
    model_validator,
)

from digits_helpers.core.cluster import ACCEPTS as SCHEDULER_ACCEPTS
from digits_helpers.core.cluster import check_scheduler
from digits_helpers.core.project import find_root
from digits_helpers.core.registry import (
    CNN_AUGMENTATIONS,
    DATASETS,
    DATASETS_FROM_FILES,
    MNIST_IMAGE_SHAPE,
    N_CLASSES,
    PROFILES,
    SEARCH_STRATEGIES,
)
from digits_helpers.core.values import is_int, is_number, quoted
from digits_helpers.models.keras_config import ACCEPTS as KERAS_RULES
from digits_helpers.models.keras_config import KerasConfig
from digits_helpers.run.mlp_grid import RULES as MLP_RULES

KERAS_CONFIG_KEYS = tuple(f.name for f in fields(KerasConfig))
# MLPClassifier arguments a grid may vary: the ones that shape the network or its training.
GRID_KEYS = ("hidden_layer_sizes", *MLP_RULES)
MAX_SEED = 2**32 - 1  # what NumPy's and scikit-learn's random states accept
MIN_IMAGES = 100  # a split of fewer digits leaves too few per class for cv folds and a test


class ParameterError(ValueError):
    """A parameter name or value that the study does not accept.

    Its message is complete on one line, so inside an IPython kernel (a notebook run
    by papermill or Jupyter) it is shown as ``ParameterError: <message>`` instead of
    a traceback through this module.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


# --- The values a parameter may take, each type with the text that says so ---------


def _whole(value: Any) -> int:
    """An integer by :func:`~digits_helpers.core.values.is_int` (not a bool, not 3.0)."""
    if not is_int(value):
        raise ValueError("not an integer")
    return int(value)


def _finite(value: Any) -> int | float:
    """A number by :func:`~digits_helpers.core.values.is_number`, as a plain int or float."""
    if not is_number(value):
        raise ValueError("not a finite number")
    return int(value) if is_int(value) else float(value)


def _listed(value: Any) -> list:
    """A list or a tuple, as a list (a set or a string is not a list of values)."""
    if not isinstance(value, list | tuple):
        raise ValueError("not a list")
    return list(value)


def _distinct(values: list) -> list:
    if len(set(values)) != len(values):
        raise ValueError("repeated values")
    return values


def _accepts(text: str) -> Any:
    return Field(json_schema_extra={"accepts": text})


def _integer(low: int, high: int | None = None) -> Any:
    """The type of an integer from ``low`` (to ``high``), with the text of what it accepts."""
    bounds = f">= {low}" if high is None else f"from {low} to {high}"
    return Annotated[
        int, BeforeValidator(_whole), Field(ge=low, le=high), _accepts(f"an integer {bounds}")
    ]


def _fraction(low: float, high: float) -> Any:
    """The type of a number from ``low`` to ``high``, given back as a float."""
    return Annotated[
        float,
        BeforeValidator(_finite),
        Field(ge=low, le=high),
        _accepts(f"a number from {low} to {high}"),
    ]


def _one_of(options: tuple[str, ...]) -> Any:
    """The type of one of ``options``."""
    return Annotated[Literal[options], _accepts("one of " + ", ".join(map(repr, options)))]


def _integers(low: int, high: int, *, min_length: int = 1, unique: bool = False) -> Any:
    """The type of a list of integers from ``low`` to ``high``, optionally distinct."""
    text = f"a list of at least {min_length} {'distinct ' if unique else ''}integers"
    return Annotated[
        list[_integer(low, high)],
        BeforeValidator(_listed),
        Field(min_length=min_length),
        *([AfterValidator(_distinct)] if unique else []),
        _accepts(f"{text} from {low} to {high}"),
    ]


def _some_of(options: tuple[str, ...]) -> Any:
    """The type of a non-empty list of distinct values among ``options``."""
    return Annotated[
        list[Literal[options]],
        BeforeValidator(_listed),
        Field(min_length=1),
        AfterValidator(_distinct),
        _accepts("a non-empty list of distinct values among " + ", ".join(map(repr, options))),
    ]


Flag = Annotated[bool, Strict(), _accepts("true or false")]
Seed = _integer(0, MAX_SEED)
Target = _fraction(0.5, 1.0)


def _entries(rule: Any) -> Any:
    """A grid entry: a non-empty list of values each accepted by ``rule``."""
    return Annotated[list[rule], BeforeValidator(_listed), Field(min_length=1)]


LayerSizes = Annotated[
    list[_integer(1)],
    BeforeValidator(lambda value: [value] if is_int(value) else _listed(value)),
    Field(min_length=1),
]
# Every key optional: an entry absent from a grid is not set (and not validated).
MLPGrid = create_model(
    "MLPGrid",
    __config__=ConfigDict(extra="forbid"),
    hidden_layer_sizes=(_entries(LayerSizes), Field(default_factory=list)),
    **{
        key: (_entries(Annotated[Any, PlainValidator(rule)]), Field(default_factory=list))
        for key, rule in MLP_RULES.items()
    },
)


def _mapping(value: Any) -> dict:
    """A non-empty mapping, as a dict."""
    if not isinstance(value, Mapping) or not value:
        raise ValueError("not a non-empty mapping")
    return dict(value)


def _in_given_order(value: dict, handler: Callable[[Any], Any]) -> dict:
    """The grid's entries in the order given (a grid model keeps only which were set)."""
    grid = handler(value)
    return {key: getattr(grid, key) for key in value}


Positive = Annotated[int | float, BeforeValidator(_finite), Field(gt=0)]


class SvcGrid(BaseModel):
    """The RBF SVC's grid: numbers kept as given (``C: [1, 3]`` stays integers)."""

    model_config = ConfigDict(extra="forbid")
    C: Annotated[list[Positive], BeforeValidator(_listed), Field(min_length=1)]
    gamma: Annotated[
        list[Positive | Literal["scale", "auto"]], BeforeValidator(_listed), Field(min_length=1)
    ]


def _keras_config(value: Any) -> dict:
    return KerasConfig.from_dict(value).to_dict()  # its ValueError names the setting


def _data_dir(value: str) -> str:
    """A non-empty folder made absolute (notebooks run in the run's folder).

    A relative folder is taken from the project's folder when there is one above the
    current folder (the ``mnist`` profile's ``data/mnist``, which ``make data`` sets up),
    else from the current folder.
    """
    if not value.strip():
        return ""
    path = Path(value).expanduser()
    if not path.is_absolute():
        try:
            path = find_root() / path
        except FileNotFoundError:
            path = path.absolute()
    return str(path)


def _non_zero(value: int) -> int:
    if value == 0:
        raise ValueError("zero")
    return value


def _all_or_enough(value: int) -> int:
    if value != 0 and value < MIN_IMAGES:
        raise ValueError("too few")
    return value


DATA_DIR_ACCEPTS = (
    "a folder path holding MNIST's four IDX files (gzipped or not) or mnist.npz when dataset"
    " is 'mnist', '' when it is 'digits'"
)
# The last validation_split of the training rows choose among the configurations; at
# least 5% (about 70 digits of the default split) so the choice rests on more than a
# handful of digits, at most half so validation never outweighs what is trained on.
KERAS_ACCEPTS = (
    "a non-empty list of mappings with keys " + ", ".join(KERAS_CONFIG_KEYS) + f" ({KERAS_RULES})"
)
GRID_ACCEPTS = (
    "a mapping from MLPClassifier arguments (" + ", ".join(GRID_KEYS) + ") to non-empty lists"
    " of values"
)
SVC_ACCEPTS = (
    "a mapping with keys 'C' (a list of numbers > 0) and 'gamma' (a list of numbers > 0 "
    "or 'scale' or 'auto')"
)


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
                    f" mnist.npz; nothing is downloaded (got {quoted(data_dir)})"
                )
            from digits_helpers.data.mnist_files import MnistFileError, check_mnist_files  # NumPy

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
                f" scikit-learn (got {quoted(data_dir)})"
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


def check_across(values: Mapping[str, Any]) -> None:
    """The rules across parameters: :func:`check_data_source`, :func:`check_split_size`.

    Parameters
    ----------
    values : Mapping[str, Any]
        Parameters, each already valid on its own; absent names are not checked.

    Raises
    ------
    ParameterError
        From the first rule broken.
    """
    check_data_source(values)
    check_split_size(values)


class StudyParameters(BaseModel):
    """The schema of the study's parameters: each one's type, bounds and description.

    The one definition of what a parameter accepts: ``digits-book run`` validates a
    resolved profile with it (:func:`validate`), a notebook its own values
    (:func:`check_notebook_parameters`), and ``digits-book params`` and the book's
    Parameters page show it (:data:`SCHEMA`). Each type carries the text of what it
    accepts, which a refusal quotes.
    """

    model_config = ConfigDict(extra="forbid")

    dataset: _one_of(DATASETS) = Field(description="which dataset to load")
    data_dir: Annotated[str, Strict(), AfterValidator(_data_dir), _accepts(DATA_DIR_ACCEPTS)] = (
        Field(description="the folder of the MNIST files (dataset mnist); nothing is downloaded")
    )
    max_images: Annotated[
        int,
        BeforeValidator(_whole),
        AfterValidator(_all_or_enough),
        _accepts(f"0 (all the digits) or an integer >= {MIN_IMAGES}"),
    ] = Field(description="use only the first N digits of the dataset, before the split (0: all)")
    test_size: _fraction(0.05, 0.5) = Field(description="fraction of the data held out for testing")
    random_state: Seed = Field(description="seed of the train/test split")
    stratify: Flag = Field(description="keep class proportions equal in train and test")
    model_seed: Seed = Field(description="seed of every model's initialisation and shuffling")
    param_grid: Annotated[
        MLPGrid, WrapValidator(_in_given_order), BeforeValidator(_mapping), _accepts(GRID_ACCEPTS)
    ] = Field(description="the MLPClassifier hyperparameter grid")
    cv: _integer(2, 20) = Field(description="number of cross-validation folds")
    n_jobs: Annotated[
        int,
        BeforeValidator(_whole),
        AfterValidator(_non_zero),
        _accepts("a non-zero integer (-1: all cores, -2: all but one, ...)"),
    ] = Field(
        description=(
            "parallel workers for the searches, the retrainings, the scans and the reader's digits"
        )
    )
    scheduler: Annotated[str, PlainValidator(check_scheduler), _accepts(SCHEDULER_ACCEPTS)] = Field(
        description=(
            "where the searches, the retrainings, the scans and the reader's digits are computed"
        )
    )
    mlp_max_iter: _integer(1) = Field(description="maximum epochs of each MLPClassifier fit")
    search_strategy: _one_of(SEARCH_STRATEGIES) = Field(
        description="how the hyperparameter grid is searched"
    )
    keras_configurations: Annotated[
        list[Annotated[dict, PlainValidator(_keras_config)]],
        BeforeValidator(_listed),
        Field(min_length=1),
        _accepts(KERAS_ACCEPTS),
    ] = Field(description="the Keras training configurations")
    keras_hidden_units: _integers(1, 4096) = Field(description="units of each hidden Dense layer")
    cnn_epochs: _integer(1) = Field(description="epochs of the convolutional network")
    cnn_augmentations: _some_of(CNN_AUGMENTATIONS) = Field(
        description="how the CNN's training digits may be grown; several: chosen on validation"
    )
    svc_param_grid: Annotated[
        SvcGrid,
        BeforeValidator(_mapping),
        AfterValidator(SvcGrid.model_dump),
        _accepts(SVC_ACCEPTS),
    ] = Field(description="the RBF SVC's C and gamma grid")
    repeat_seeds: _integers(0, MAX_SEED, min_length=2, unique=True) = Field(
        description="split seeds for the repeated-split comparison"
    )
    target_accuracy: Target = Field(
        description="the team's target: the test accuracy an MLP must reach"
    )
    mlp_target: Target = Field(
        description="the goal for an MLP beyond the reference (its grid search's test accuracy)"
    )
    beyond_target: Target = Field(description="the goal for the best model beyond the MLP")
    reader_epochs: _integer(1) = Field(description="epochs of the reader (chapter 7)")
    reader_augmentation: _one_of(CNN_AUGMENTATIONS) = Field(
        description="how the reader's training digits are grown (as the CNN's)"
    )
    sure_accuracy: _fraction(0.9, 0.9999) = Field(
        description="the accuracy required of the digits the reader answers; its threshold is"
        " the lowest that reaches it on validation digits"
    )

    @model_validator(mode="after")
    def _rules_across(self) -> "StudyParameters":
        check_across(dict(self))
        return self


@dataclass(frozen=True)
class Parameter:
    """One entry of the namespace, as the command line and the book show it.

    Attributes
    ----------
    name : str
        The parameter's name.
    accepts : str
        What it accepts, as a refusal says it.
    check : Callable[[Any], Any]
        Validates one value: returns it normalised or raises :class:`ParameterError`.
    help : str
        What it sets.
    """

    name: str
    accepts: str
    check: Callable[[Any], Any]
    help: str


@cache
def _adapter(name: str) -> TypeAdapter:
    """A validator of one field of :class:`StudyParameters` (built on first use)."""
    field = StudyParameters.model_fields[name]
    return TypeAdapter(Annotated[field.annotation, field])


def _check(name: str, value: Any) -> Any:
    try:
        return _adapter(name).validate_python(value)
    except ValidationError as exc:
        raise _refusal(name, value, exc.errors()) from None


SCHEMA: dict[str, Parameter] = {
    name: Parameter(
        name, field.json_schema_extra["accepts"], partial(_check, name), field.description
    )
    for name, field in StudyParameters.model_fields.items()
}


def _refusal(name: str, value: Any, errors: list[Mapping[str, Any]]) -> ParameterError:
    """One line out of pydantic's errors about ``value``, their ``loc`` within it."""
    where, kind = errors[0]["loc"], errors[0]["type"]
    if name == "param_grid" and where:
        # as it is read: the first entry given that is refused (pydantic orders by field)
        keys = list(value)
        return _grid_refusal(value, min((e["loc"] for e in errors), key=lambda w: keys.index(w[0])))
    if name == "keras_configurations" and len(where) == 1 and kind == "value_error":
        return ParameterError(
            f"parameter 'keras_configurations' item {where[0] + 1}: {errors[0]['ctx']['error']}"
        )
    return ParameterError(
        f"parameter '{name}' must be {SCHEMA[name].accepts} (got {quoted(value)})"
    )


def _grid_refusal(grid: Mapping, where: tuple) -> ParameterError:
    key = where[0]
    if key not in GRID_KEYS:
        return ParameterError(
            f"parameter 'param_grid' has unknown key {quoted(key)}; accepted keys: "
            + ", ".join(GRID_KEYS)
        )
    if len(where) == 1:
        return ParameterError(
            f"parameter 'param_grid' entry {quoted(key)} must be a non-empty list "
            f"(got {quoted(grid[key])})"
        )
    item = grid[key][where[1]]
    if key == "hidden_layer_sizes":
        return ParameterError(
            "parameter 'param_grid' entry 'hidden_layer_sizes' must hold lists of positive "
            f"integers such as [112, 112] (got {quoted(item)})"
        )
    return ParameterError(
        f"parameter 'param_grid' entry {key!r} must be {MLP_RULES[key]} (got {quoted(item)})"
    )


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check every name and value with :class:`StudyParameters`; return them normalised.

    Parameters
    ----------
    values : Mapping[str, Any]
        Every parameter of :data:`SCHEMA`.

    Returns
    -------
    dict
        The values, normalised (a fraction as a float, a tuple as a list), in the
        order given.

    Raises
    ------
    ParameterError
        For an unknown name (listing the known ones), an invalid value (naming the
        parameter and what it accepts), a missing one, or a rule across parameters.
    """
    validate_names(values)
    try:
        parameters = StudyParameters.model_validate(dict(values))
    except ValidationError as exc:
        raise _first_refusal(exc, values) from None
    return {name: getattr(parameters, name) for name in values}


def _first_refusal(exc: ValidationError, values: Mapping[str, Any]) -> ParameterError:
    """The first invalid value in schema order, else the first rule broken, else a gap."""
    errors = exc.errors()
    for error in errors:
        if error["type"] == "missing":
            continue
        if not error["loc"]:  # a rule across parameters raised it
            return error["ctx"]["error"]
        name = error["loc"][0]
        about = [{**e, "loc": e["loc"][1:]} for e in errors if e["loc"][:1] == (name,)]
        return _refusal(name, values[name], about)
    return ParameterError(f"parameter {min(e['loc'][0] for e in errors)!r} has no value")


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
    check_across(
        {name: p.check(namespace[name]) for name, p in SCHEMA.items() if name in namespace}
    )


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``NAME=VALUE`` and parse VALUE as YAML (``0.3``, ``true``, ``[1, 2]``)."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ParameterError(f"--set expects NAME=VALUE (got {quoted(text)})")
    try:
        value = yaml.safe_load(raw)
    except (yaml.YAMLError, ValueError) as exc:
        raise ParameterError(
            f"--set {name.strip()}: value {quoted(raw)} is not valid YAML ({_yaml_problem(exc)})"
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
        raise ParameterError(
            f"profile must be one of {', '.join(PROFILES)} (got {quoted(profile)})"
        )
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
        return f"unknown parameter {quoted(name)} (did you mean {close[0]!r}?)"
    return f"unknown parameter {quoted(name)}; known parameters: " + ", ".join(sorted(SCHEMA))
