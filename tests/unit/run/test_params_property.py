"""Generated parameter sets through both entry points: the command line and a notebook.

``digits-book run --check --set NAME=VALUE ...`` resolves and validates exactly as a
run does, then stops before executing anything; a notebook validates its own
parameters with ``check_notebook_parameters(globals())``. For every generated set,
valid or not, both must agree: accepted by both, or refused by both with the same
one-line message (exit 2 on the command line), and never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import math

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from digits_helpers import cli
from digits_helpers.core.registry import CNN_AUGMENTATIONS
from digits_helpers.core.registry import SEARCH_STRATEGIES as STRATEGIES
from digits_helpers.run.params import (
    KERAS_CONFIG_KEYS,
    MAX_SEED,
    SCHEMA,
    ParameterError,
    check_notebook_parameters,
    load_profile,
)

SEEDS = st.integers(0, MAX_SEED)
NOT_A_SEED = st.integers(max_value=-1) | st.integers(min_value=MAX_SEED + 1)
FRACTIONS = st.floats(0.05, 0.5)
NOT_A_FRACTION = (
    st.floats(max_value=0.0499) | st.floats(min_value=0.5001) | st.just(math.nan) | st.text()
)
KERAS_CONFIG = st.fixed_dictionaries(
    {
        "validation_split": FRACTIONS,
        "learning_rate": st.floats(1e-6, 1.0),
        "batch_size": st.integers(1, 512),
        "epochs": st.integers(1, 50),
    }
)
# Values of any shape, most of them invalid for any parameter; their verdict is the
# notebook's, which the command line must then match.
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)

# Per parameter: values it accepts, values it refuses.
VALID = {
    "dataset": st.just("digits"),
    "test_size": FRACTIONS,
    "random_state": SEEDS,
    "stratify": st.booleans(),
    "model_seed": SEEDS,
    "cv": st.integers(2, 20),
    "n_jobs": st.integers().filter(bool),
    "mlp_max_iter": st.integers(min_value=1),
    "search_strategy": st.sampled_from(STRATEGIES),
    "keras_configurations": st.lists(KERAS_CONFIG, min_size=1, max_size=3),
    "keras_hidden_units": st.lists(st.integers(1, 4096), min_size=1, max_size=3),
    "cnn_epochs": st.integers(min_value=1),
    "cnn_augmentations": st.lists(st.sampled_from(CNN_AUGMENTATIONS), min_size=1, unique=True),
    "repeat_seeds": st.lists(SEEDS, min_size=2, max_size=4, unique=True),
    **{name: st.floats(0.5, 1.0) for name in ("target_accuracy", "mlp_target", "beyond_target")},
}
INVALID = {
    "dataset": st.text().filter(lambda s: s != "digits"),
    "test_size": NOT_A_FRACTION,
    "random_state": NOT_A_SEED,
    "stratify": st.integers(0, 1) | st.sampled_from(["yes", "no"]),
    "model_seed": NOT_A_SEED | st.floats(),
    "cv": st.integers(max_value=1) | st.integers(min_value=21),
    "n_jobs": st.just(0) | st.floats(),
    "mlp_max_iter": st.integers(max_value=0),
    "search_strategy": st.text().filter(lambda s: s not in STRATEGIES),
    "keras_configurations": st.just([])
    | st.lists(KERAS_CONFIG.map(lambda c: {**c, "validation_split": 0.9}), min_size=1, max_size=2)
    | st.lists(KERAS_CONFIG.map(lambda c: {k: c[k] for k in KERAS_CONFIG_KEYS[1:]}), min_size=1),
    "keras_hidden_units": st.just([]) | st.lists(st.integers(max_value=0), min_size=1),
    "cnn_epochs": st.integers(max_value=0),
    "cnn_augmentations": st.sampled_from([[], ["rotate"], ["scan", "scan"], "scan"]),
    "repeat_seeds": st.lists(SEEDS, max_size=1) | st.lists(st.just(7), min_size=2, max_size=3),
    **{
        name: st.floats(max_value=0.49) | st.floats(min_value=1.01) | st.text()
        for name in ("target_accuracy", "mlp_target", "beyond_target")
    },
}


@st.composite
def parameter_sets(draw) -> tuple[dict, bool | None]:
    """A few parameters with values; True if all valid, False if one is not, else None."""
    names = draw(st.lists(st.sampled_from(sorted(SCHEMA)), min_size=1, max_size=3, unique=True))
    values, verdicts = {}, []
    for name in names:
        kind = draw(st.sampled_from(["valid", "invalid", "junk"]))
        if kind == "junk" or name not in VALID:
            values[name] = draw(JUNK)
            verdicts.append(None)
        else:
            values[name] = draw((VALID if kind == "valid" else INVALID)[name])
            verdicts.append(kind == "valid")
    if False in verdicts:
        return values, False
    return values, (True if all(verdicts) else None)


def as_yaml(value) -> str:
    """VALUE of ``--set NAME=VALUE``: YAML in flow style, on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def command_line(*args: str) -> tuple[int, str]:
    """``digits-book`` in this process: its exit status and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(list(args))
    return status, err.getvalue()


def notebook_verdict(values: dict) -> str | None:
    """What a notebook's own check says: None, or its one-line ParameterError.

    A notebook's namespace holds every parameter its cell declares, the given ones over
    the defaults: ``data_dir`` never comes without ``dataset``. The defaults here are the
    profile ``digits-book run`` starts from.
    """
    try:
        check_notebook_parameters({**load_profile("quick"), **values})
    except ParameterError as exc:
        return str(exc)
    return None


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    """A folder that is a project (``--check`` finds it) with nothing to execute."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text("root: index\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=parameter_sets())
@example(case=({"beyond_target": 1.0, "target_accuracy": 1.0, "data_dir": "0"}, None))
def test_command_line_and_notebook_agree_on_every_parameter_set(project_dir, case):
    values, expected = case
    encoded = {name: as_yaml(value) for name, value in values.items()}
    assume(all(as_yaml(yaml.safe_load(encoded[n])) == encoded[n] for n in values))
    refused = notebook_verdict(values)
    if expected is not None:
        assert (refused is None) is expected, refused
    args = [arg for name in values for arg in ("--set", f"{name}={encoded[name]}")]
    status, err = command_line("run", "--check", *args)
    if refused is None:
        assert (status, err) == (0, "")
    else:
        assert "\n" not in refused
        assert (status, err) == (2, f"digits-book run: error: {refused}\n")
    assert list(project_dir.iterdir()) != [] and not (project_dir / "runs").exists()


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True).filter(lambda n: n not in SCHEMA)
)
def test_unknown_names_are_refused_by_the_command_line_in_one_line(project_dir, name):
    status, err = command_line("run", "--check", "--set", f"{name}=1")
    assert status == 2
    assert err.startswith(f"digits-book run: error: unknown parameter {name!r}")
    assert err.count("\n") == 1
