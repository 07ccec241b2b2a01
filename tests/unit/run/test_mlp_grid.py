"""The schema's param_grid rules accept exactly what scikit-learn's MLPClassifier accepts.

``digits_helpers.run.mlp_grid`` writes out scikit-learn 1.9's constraints so that the
parameters are checked without importing scikit-learn; here they meet the original.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier
from sklearn.utils._param_validation import InvalidParameterError

from digits_helpers.run import params
from digits_helpers.run.mlp_grid import RULES

# Values of every kind near every bound of the rules, valid and invalid alike.
VALUES = [
    *(0, 1, 2, -1, 10**400, -(10**400)),
    *(0.0, 1e-12, 0.5, 0.999, 1.0, 1.0001, 3.0, -0.5, 1e300),
    *(math.inf, -math.inf, math.nan),
    *(True, False, np.bool_(True), np.bool_(False)),
    *(
        np.int64(0),
        np.int64(3),
        np.int32(-2),
        np.float64(0.5),
        np.float32(2.0),
        np.float64(math.inf),
    ),
    *("auto", "relu", "tanh", "identity", "logistic", "sigmoid", "adam", "sgd", "lbfgs"),
    *("constant", "invscaling", "adaptive", "", "1", np.str_("relu")),
    *(None, [1], (1,), {"a": 1}),
]


def sklearn_accepts(key, value) -> bool:
    try:
        MLPClassifier(**{key: value})._validate_params()
    except InvalidParameterError:
        return False
    return True


@pytest.mark.parametrize("key", list(RULES))
def test_each_rule_accepts_the_values_scikit_learn_accepts(key):
    disagree = []
    for value in VALUES:
        try:
            ours = RULES[key](value) is value
        except ValueError:
            ours = False
        if ours != sklearn_accepts(key, value):
            disagree.append(value)
    assert disagree == []


@pytest.mark.parametrize("key", list(RULES))
def test_each_rule_is_said_as_scikit_learn_says_it(key):
    wrong = next(v for v in (None, "sigmoid", -1) if not sklearn_accepts(key, v))
    with pytest.raises(InvalidParameterError) as error:
        MLPClassifier(**{key: wrong})._validate_params()
    theirs = str(error.value).split(" must be ")[1].split(". Got")[0]
    # scikit-learn lists the options of a set in no fixed order
    assert sorted(re.split(r"[{}]|, ", theirs)) == sorted(re.split(r"[{}]|, ", str(RULES[key])))


def test_the_grid_keys_are_scikit_learns_arguments():
    assert set(params.GRID_KEYS) <= set(MLPClassifier._parameter_constraints)
    assert params.GRID_KEYS[0] == "hidden_layer_sizes" and set(RULES) == set(params.GRID_KEYS[1:])


def test_a_refused_grid_entry_names_the_parameter_the_entry_and_the_value_in_one_line():
    with pytest.raises(params.ParameterError) as error:
        params.resolve("quick", assignments=["param_grid={alpha: [0.1], batch_size: [auto, 0]}"])
    assert str(error.value) == (
        "parameter 'param_grid' entry 'batch_size' must be a str among {'auto'} or an int in "
        "the range [1, inf) (got 0)"
    )


def test_the_first_refused_entry_is_the_first_given():
    with pytest.raises(params.ParameterError, match="unknown key 'colour'"):
        params.SCHEMA["param_grid"].check({"colour": ["red"], "alpha": [-1]})
    with pytest.raises(params.ParameterError, match="entry 'alpha'"):
        params.SCHEMA["param_grid"].check({"alpha": [-1], "colour": ["red"]})


def test_a_grid_keeps_its_order_and_values():
    grid = {"alpha": (0.1, 1), "hidden_layer_sizes": [64, (32, 16)], "batch_size": ["auto"]}
    assert params.SCHEMA["param_grid"].check(grid) == {
        "alpha": [0.1, 1],
        "hidden_layer_sizes": [[64], [32, 16]],
        "batch_size": ["auto"],
    }


def test_the_parameters_load_no_training_library():
    code = (
        "import sys, digits_helpers.run.params as p; p.resolve('full'); print(sorted("
        "m for m in ('sklearn', 'pandas', 'scipy', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
