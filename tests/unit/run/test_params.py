"""The parameter namespace: profiles, overrides and refusals."""

from __future__ import annotations

import pytest

from digits_helpers.run import params
from digits_helpers.run.params import ParameterError


@pytest.mark.parametrize("profile", params.PROFILES)
def test_every_profile_sets_every_parameter_validly(profile, tmp_path):
    from mnist_samples import write_mnist

    # The mnist profile reads the user's files: it is valid once data_dir names them.
    assignments = []
    if params.load_profile(profile)["dataset"] == "mnist":
        write_mnist(tmp_path, "idx.gz")
        assignments = [f"data_dir={tmp_path}"]
    values = params.resolve(profile, assignments=assignments)
    assert set(values) == set(params.SCHEMA)


def test_full_profile_holds_the_reference_grid_of_576_combinations():
    grid = params.resolve("full")["param_grid"]
    sizes = [len(v) for v in grid.values()]
    assert sizes and __import__("math").prod(sizes) == 576


def test_full_profile_holds_the_reference_keras_configurations():
    configs = params.resolve("full")["keras_configurations"]
    assert [c["epochs"] for c in configs] == [50, 75, 100, 50, 75]
    assert [c["batch_size"] for c in configs] == [64, 32, 128, 32, 64]


def test_set_overrides_the_profile_and_parses_yaml_values():
    values = params.resolve("quick", assignments=["random_state=7", "stratify=true"])
    assert values["random_state"] == 7 and values["stratify"] is True


def test_params_file_overrides_the_profile(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("cv: 5\nrepeat_seeds: [3, 4]\n")
    values = params.resolve("quick", params_file=path)
    assert values["cv"] == 5 and values["repeat_seeds"] == [3, 4]


@pytest.mark.parametrize(
    ("assignment", "named", "accepted"),
    [
        ("test_size=1.5", "test_size", "from 0.05 to 0.5"),
        ("test_size=0", "test_size", "from 0.05 to 0.5"),
        ("test_size=0.9", "test_size", "from 0.05 to 0.5"),
        ("random_state=-1", "random_state", "integer from 0 to 4294967295"),
        ("random_state=1.5", "random_state", "integer from 0 to 4294967295"),
        ("random_state=4294967296", "random_state", "integer from 0 to 4294967295"),
        ("cv=1", "cv", "integer from 2 to 20"),
        ("cv=200", "cv", "integer from 2 to 20"),
        ("repeat_seeds=[1, 1]", "repeat_seeds", "distinct"),
        ("param_grid={activation: [sigmoid]}", "param_grid", "'relu'"),
        ("param_grid={alpha: [-1]}", "param_grid", "range [0.0, inf)"),
        ("param_grid={batch_size: [0]}", "param_grid", "batch_size"),
        ("param_grid={early_stopping: [maybe]}", "param_grid", "early_stopping"),
        ("n_jobs=0", "n_jobs", "-1"),
        ("stratify=maybe", "stratify", "true or false"),
        ("dataset=emnist", "dataset", "'digits', 'mnist'"),
        ("search_strategy=random", "search_strategy", "'halving'"),
        ("keras_hidden_units=[]", "keras_hidden_units", "list of at least 1"),
        ("repeat_seeds=[1]", "repeat_seeds", "at least 2"),
        ("param_grid={alpha: []}", "param_grid", "non-empty list"),
        ("param_grid={colour: [red]}", "param_grid", "accepted keys"),
        ("param_grid={hidden_layer_sizes: [[0]]}", "param_grid", "positive integers"),
        ("svc_param_grid={C: [0], gamma: [scale]}", "svc_param_grid", "numbers > 0"),
        (
            "keras_configurations=[{validation_split: 1.2, learning_rate: 0.1, "
            "batch_size: 3, epochs: 2}]",
            "keras_configurations",
            "validation_split must be a number from 0.05 to 0.5",
        ),
        (
            "keras_configurations=[{validation_split: 0.99, learning_rate: 0.1, "
            "batch_size: 3, epochs: 2}]",
            "keras_configurations",
            "validation_split must be a number from 0.05 to 0.5 (got 0.99)",
        ),
        (
            "keras_configurations=[{validation_split: 0.01, learning_rate: 0.1, "
            "batch_size: 3, epochs: 2}]",
            "keras_configurations",
            "validation_split must be a number from 0.05 to 0.5 (got 0.01)",
        ),
        (
            "keras_configurations=[{epochs: 2}]",
            "keras_configurations",
            "missing setting validation_split",
        ),
    ],
)
def test_invalid_value_is_refused_naming_parameter_and_accepted_values(assignment, named, accepted):
    with pytest.raises(ParameterError) as error:
        params.resolve("quick", assignments=[assignment])
    assert named in str(error.value) and accepted in str(error.value)


def test_unknown_parameter_is_refused_with_the_known_names():
    with pytest.raises(ParameterError, match="unknown parameter 'tset_size'.*test_size"):
        params.resolve("quick", assignments=["tset_size=0.3"])


def test_set_without_equals_sign_is_refused():
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        params.resolve("quick", assignments=["test_size"])


def test_unknown_profile_is_refused():
    with pytest.raises(ParameterError, match="quick, full"):
        params.resolve("huge")


def test_params_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ParameterError, match="mapping"):
        params.resolve("quick", params_file=path)


def test_values_scikit_learn_accepts_are_accepted():
    values = params.resolve(
        "quick", assignments=["n_jobs=-2", "svc_param_grid={C: [1], gamma: [auto, scale, 0.1]}"]
    )
    assert values["n_jobs"] == -2 and values["svc_param_grid"]["gamma"] == ["auto", "scale", 0.1]


HUGE = "1" + "0" * 400


ABOUT_401_DIGITS = "(got an integer of about 401 digits)"


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        (f"test_size={HUGE}", f"must be a number from 0.05 to 0.5 {ABOUT_401_DIGITS}"),
        (f"random_state={HUGE}", f"integer from 0 to 4294967295 {ABOUT_401_DIGITS}"),
        (
            f"keras_configurations=[{{validation_split: 0.2, learning_rate: {HUGE}, "
            "batch_size: 3, epochs: 2}]",
            f"learning_rate must be a number > 0 {ABOUT_401_DIGITS}",
        ),
        (f"svc_param_grid={{C: [{HUGE}], gamma: [scale]}}", "(got {'C': [1000"),
    ],
)
def test_huge_integer_is_refused_not_overflowed(assignment, expected):
    with pytest.raises(ParameterError) as error:
        params.resolve("quick", assignments=[assignment])
    message = str(error.value)
    assert expected in message and "0" * 100 not in message and len(message) < 250


def test_long_values_are_shortened_in_messages():
    with pytest.raises(ParameterError) as error:
        params.resolve("quick", assignments=["dataset=" + "x" * 5000])
    message = str(error.value)
    assert message.startswith("parameter 'dataset' must be one of 'digits', 'mnist' (got 'xxx")
    assert "(5002 characters)" in message and len(message) < 200


def test_integer_too_long_for_yaml_is_refused_as_unreadable_in_one_line():
    with pytest.raises(ParameterError) as error:
        params.resolve("quick", assignments=["repeat_seeds=[" + "9" * 5000 + "]"])
    message = str(error.value)
    assert message.startswith("--set repeat_seeds: value '[999")
    assert "\n" not in message and len(message) < 250


def test_invalid_yaml_is_refused_in_one_line(tmp_path):
    with pytest.raises(ParameterError) as error:
        params.resolve("quick", assignments=["param_grid={alpha: [1"])
    assert "\n" not in str(error.value) and "is not valid YAML" in str(error.value)
    path = tmp_path / "bad.yaml"
    path.write_text("cv: 3\nparam_grid: {alpha: [1\n")
    with pytest.raises(ParameterError) as error:
        params.resolve("quick", params_file=path)
    assert "\n" not in str(error.value) and "at line 3, column 1" in str(error.value)


def test_unknown_parameter_suggests_the_closest_name():
    with pytest.raises(ParameterError) as error:
        params.resolve("quick", assignments=["rando_state=1"])
    assert str(error.value) == "unknown parameter 'rando_state' (did you mean 'random_state'?)"


def test_unknown_parameter_far_from_every_name_lists_the_known_ones():
    with pytest.raises(ParameterError, match="unknown parameter 'colour'; known parameters: "):
        params.resolve("quick", assignments=["colour=red"])


@pytest.mark.parametrize("split", [0.05, 0.5])
def test_validation_split_bounds_are_accepted(split):
    config = f"{{validation_split: {split}, learning_rate: 0.1, batch_size: 3, epochs: 2}}"
    values = params.resolve("quick", assignments=[f"keras_configurations=[{config}]"])
    assert values["keras_configurations"][0]["validation_split"] == split


def test_notebook_check_refuses_with_the_message_of_the_command_line():
    with pytest.raises(ParameterError) as from_cli:
        params.resolve("quick", assignments=["test_size=1.5"])
    with pytest.raises(ParameterError) as from_notebook:
        params.check_notebook_parameters({"test_size": 1.5, "random_state": 42})
    assert str(from_notebook.value) == str(from_cli.value)
    assert str(from_notebook.value) == (
        "parameter 'test_size' must be a number from 0.05 to 0.5 (got 1.5)"
    )


def test_notebook_check_judges_only_the_study_parameters_present():
    namespace = {"test_size": 0.3, "cv": 4, "run_dir": 17, "np": object(), "In": []}
    assert params.check_notebook_parameters(namespace) is None


def test_parameter_error_renders_in_ipython_as_one_line():
    error = ParameterError("parameter 'cv' must be an integer from 2 to 20 (got 1)")
    assert error._render_traceback_() == [
        "ParameterError: parameter 'cv' must be an integer from 2 to 20 (got 1)"
    ]
