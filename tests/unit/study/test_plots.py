"""Specifications of the plotly figure builders in digits_helpers.study.plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sklearn.datasets import load_digits

from digits_helpers.study import plots


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _history(n_epochs: int = 4, metric: str = "loss") -> dict[str, list[float]]:
    values = np.linspace(1.0, 0.2, n_epochs).tolist()
    return {metric: values, f"val_{metric}": [v + 0.1 for v in values]}


def _all_figures(digits) -> dict[str, go.Figure]:
    table = pd.DataFrame({"model": ["sklearn", "keras"], "accuracy": [0.97, 0.98]})
    cv = pd.DataFrame({"param_alpha": [1e-4, 1e-3, 1e-4], "mean_test_score": [0.95, 0.96, 0.97]})
    return {
        "loss_curve": plots.loss_curve([1.0, 0.5]),
        "confusion_matrix_figure": plots.confusion_matrix_figure(
            np.eye(3, dtype=int), [0, 1, 2], title="cm"
        ),
        "history_grid": plots.history_grid([_history()], "loss"),
        "sample_digits": plots.sample_digits(digits.images[:3], digits.target[:3]),
        "accuracy_comparison": plots.accuracy_comparison(table),
        "repeated_split_figure": plots.repeated_split_figure({"a": [0.9, 0.95]}),
        "cv_results_figure": plots.cv_results_figure(cv, param="alpha"),
        "timing_figure": plots.timing_figure({"fit": 1.5}),
    }


# --- shared conventions ----------------------------------------------------------------


def test_every_builder_returns_a_titled_white_figure_with_fixed_height(digits):
    for name, fig in _all_figures(digits).items():
        assert isinstance(fig, go.Figure), name
        assert fig.layout.title.text, name
        assert fig.layout.height and fig.layout.height >= 150, name
        assert fig.layout.template.layout.paper_bgcolor == "white", name


def test_builders_print_nothing(digits, capsys):
    _all_figures(digits)
    assert capsys.readouterr() == ("", "")


# --- loss_curve ------------------------------------------------------------------------


def test_loss_curve_axes_are_epoch_and_loss():
    fig = plots.loss_curve([0.9, 0.4, 0.2])
    assert fig.layout.xaxis.title.text == "Epoch"
    assert fig.layout.yaxis.title.text == "Loss"


def test_loss_curve_epochs_start_at_one():
    fig = plots.loss_curve([0.9, 0.4, 0.2])
    assert list(fig.data[0].x) == [1, 2, 3]


def test_loss_curve_has_default_title():
    assert plots.loss_curve([1.0]).layout.title.text == "Training loss of the best MLPClassifier"


def test_loss_curve_puts_validation_score_on_secondary_axis():
    fig = plots.loss_curve([0.9, 0.4], validation_score=[0.8, 0.9])
    assert len(fig.data) == 2
    assert fig.data[1].yaxis == "y2"
    assert fig.layout.yaxis2.title.text == "Validation accuracy"


def test_loss_curve_without_validation_has_single_trace_and_no_legend():
    fig = plots.loss_curve([0.9, 0.4])
    assert len(fig.data) == 1
    assert fig.layout.showlegend is False


# --- confusion_matrix_figure -----------------------------------------------------------


def test_confusion_matrix_text_shows_counts():
    cm = np.array([[5, 1], [2, 7]])
    fig = plots.confusion_matrix_figure(cm, ["a", "b"], title="cm")
    assert [list(row) for row in fig.data[0].text] == [["5", "1"], ["2", "7"]]
    assert fig.data[0].texttemplate == "%{text}"


def test_confusion_matrix_axes_are_predicted_and_true_labels():
    fig = plots.confusion_matrix_figure(np.eye(2, dtype=int), [0, 1], title="cm")
    assert fig.layout.xaxis.title.text == "Predicted label"
    assert fig.layout.yaxis.title.text == "True label"


def test_confusion_matrix_first_row_is_on_top():
    fig = plots.confusion_matrix_figure(np.eye(2, dtype=int), [0, 1], title="cm")
    assert fig.layout.yaxis.autorange == "reversed"


def test_confusion_matrix_cells_are_square():
    fig = plots.confusion_matrix_figure(np.eye(2, dtype=int), [0, 1], title="cm")
    assert fig.layout.yaxis.scaleanchor == "x"


def test_confusion_matrix_uses_given_title_and_colorscale():
    fig = plots.confusion_matrix_figure(
        np.eye(2, dtype=int), [0, 1], title="Keras", colorscale="Greens"
    )
    assert fig.layout.title.text == "Keras"
    assert (
        fig.data[0].colorscale[-1][1]
        != plots.confusion_matrix_figure(np.eye(2, dtype=int), [0, 1], title="x")
        .data[0]
        .colorscale[-1][1]
    )


def test_confusion_matrix_labels_are_categorical_strings():
    fig = plots.confusion_matrix_figure(np.eye(3, dtype=int), [0, 1, 2], title="cm")
    assert list(fig.data[0].x) == ["0", "1", "2"]
    assert fig.layout.xaxis.type == "category"


def test_confusion_matrix_rejects_label_count_mismatch():
    with pytest.raises(ValueError):
        plots.confusion_matrix_figure(np.eye(3, dtype=int), [0, 1], title="cm")


# --- history_grid ----------------------------------------------------------------------


def test_history_grid_has_one_subplot_per_model():
    fig = plots.history_grid([_history() for _ in range(4)], "loss")
    axes = {trace.xaxis for trace in fig.data}
    assert len(axes) == 4


def test_history_grid_computes_rows_from_number_of_models():
    fig = plots.history_grid([_history() for _ in range(4)], "loss", n_cols=3)
    # 2 rows x 3 columns -> 6 x axes laid out, 4 of them used
    assert len([k for k in fig.layout if k.startswith("xaxis")]) == 6


def test_history_grid_default_subplot_titles_are_model_numbers():
    fig = plots.history_grid([_history(), _history()], "loss")
    assert [a.text for a in fig.layout.annotations] == ["Model 1", "Model 2"]


def test_history_grid_uses_given_subplot_titles():
    fig = plots.history_grid([_history(), _history()], "loss", titles=["small", "big"])
    assert [a.text for a in fig.layout.annotations] == ["small", "big"]


def test_history_grid_legend_entries_not_duplicated():
    fig = plots.history_grid([_history() for _ in range(5)], "loss")
    shown = [trace.name for trace in fig.data if trace.showlegend is not False]
    assert shown == ["Training", "Validation"]


def test_history_grid_uses_same_two_colours_in_every_subplot():
    fig = plots.history_grid([_history() for _ in range(3)], "loss")
    colours = {(trace.name, trace.line.color) for trace in fig.data}
    assert colours == {("Training", plots.TRAINING_COLOR), ("Validation", plots.VALIDATION_COLOR)}


def test_history_grid_plots_training_and_validation_metric():
    fig = plots.history_grid([_history(metric="accuracy")], "accuracy")
    training, validation = fig.data
    assert list(training.y) == pytest.approx(_history(metric="accuracy")["accuracy"])
    assert list(validation.y) == pytest.approx(_history(metric="accuracy")["val_accuracy"])


def test_history_grid_axis_titles_are_epoch_and_metric():
    fig = plots.history_grid([_history()], "loss")
    assert fig.layout.xaxis.title.text == "Epoch"
    assert fig.layout.yaxis.title.text == "Loss"


def test_history_grid_accuracy_axis_is_percent():
    fig = plots.history_grid([_history(metric="accuracy")], "accuracy")
    assert fig.layout.yaxis.tickformat.endswith("%")


def test_history_grid_tolerates_missing_validation_series():
    fig = plots.history_grid([{"loss": [1.0, 0.5]}], "loss")
    assert [trace.name for trace in fig.data] == ["Training"]


def test_history_grid_rejects_empty_input():
    with pytest.raises(ValueError):
        plots.history_grid([], "loss")


# --- sample_digits ---------------------------------------------------------------------


def test_sample_digits_draws_one_heatmap_per_image(digits):
    fig = plots.sample_digits(digits.images[:12], digits.target[:12])
    assert len(fig.data) == 12
    assert all(isinstance(trace, go.Heatmap) for trace in fig.data)


def test_sample_digits_titles_are_labels(digits):
    fig = plots.sample_digits(digits.images[:3], digits.target[:3])
    assert [a.text for a in fig.layout.annotations] == [str(t) for t in digits.target[:3]]


def test_sample_digits_titles_show_true_and_predicted():
    images = np.zeros((2, 8, 8))
    fig = plots.sample_digits(images, [3, 4], predicted=[8, 4])
    assert [a.text for a in fig.layout.annotations] == ["true 3 / pred 8", "true 4 / pred 4"]


def test_sample_digits_hides_axes_and_colorbar(digits):
    fig = plots.sample_digits(digits.images[:2], digits.target[:2])
    assert all(trace.showscale is False for trace in fig.data)
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis2.visible is False


def test_sample_digits_keeps_pixels_square_and_upright(digits):
    fig = plots.sample_digits(digits.images[:2], digits.target[:2])
    assert fig.layout.yaxis2.scaleanchor == "x2"
    assert fig.layout.yaxis2.autorange == "reversed"


def test_sample_digits_handles_empty_input():
    fig = plots.sample_digits(np.empty((0, 8, 8)), [])
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == ["No images to show"]


def test_sample_digits_handles_mnist_sized_images():
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28))
    fig = plots.sample_digits(images, [1, 2, 3])
    assert np.asarray(fig.data[0].z).shape == (28, 28)


def test_sample_digits_accepts_flattened_square_images(digits):
    fig = plots.sample_digits(digits.data[:2], digits.target[:2])
    assert np.asarray(fig.data[0].z).shape == (8, 8)


def test_sample_digits_wraps_rows_at_n_cols(digits):
    fig = plots.sample_digits(digits.images[:7], digits.target[:7], n_cols=3)
    assert len([k for k in fig.layout if k.startswith("xaxis")]) == 9  # 3 rows x 3 cols


def test_sample_digits_rejects_label_count_mismatch(digits):
    with pytest.raises(ValueError):
        plots.sample_digits(digits.images[:3], digits.target[:2])


# --- accuracy_comparison ---------------------------------------------------------------


def _accuracy_table(with_ci: bool = True) -> pd.DataFrame:
    table = pd.DataFrame({"model": ["scikit-learn MLP", "Keras MLP"], "accuracy": [0.97, 0.98]})
    if with_ci:
        table["ci_low"] = [0.95, 0.97]
        table["ci_high"] = [0.98, 0.99]
    return table


def test_accuracy_comparison_error_bars_are_asymmetric_from_ci_columns():
    error = plots.accuracy_comparison(_accuracy_table()).data[0].error_y
    assert error.symmetric is False
    assert list(error.array) == pytest.approx([0.01, 0.01])
    assert list(error.arrayminus) == pytest.approx([0.02, 0.01])


def test_accuracy_comparison_without_ci_has_no_error_bars():
    fig = plots.accuracy_comparison(_accuracy_table(with_ci=False))
    assert fig.data[0].error_y.array is None


def test_accuracy_comparison_draws_dashed_target_line():
    fig = plots.accuracy_comparison(_accuracy_table(), target=0.95)
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == 0.95
    assert line.line.dash == "dash"
    assert [a.text for a in fig.layout.annotations] == ["target"]


def test_accuracy_comparison_draws_the_target_it_is_given():
    (line,) = plots.accuracy_comparison(_accuracy_table(), target=0.96).layout.shapes
    assert line.y0 == 0.96


def test_accuracy_comparison_draws_no_target_by_default():
    assert len(plots.accuracy_comparison(_accuracy_table()).layout.shapes) == 0


def test_accuracy_comparison_target_none_draws_no_line():
    fig = plots.accuracy_comparison(_accuracy_table(), target=None)
    assert len(fig.layout.shapes) == 0


def test_accuracy_comparison_y_axis_is_percent():
    fig = plots.accuracy_comparison(_accuracy_table())
    assert fig.layout.yaxis.tickformat.endswith("%")
    assert fig.layout.yaxis.title.text == "Test accuracy"


def test_accuracy_comparison_requires_model_and_accuracy_columns():
    with pytest.raises(ValueError):
        plots.accuracy_comparison(pd.DataFrame({"model": ["a"]}))


# --- repeated_split_figure -------------------------------------------------------------


def test_repeated_split_figure_has_one_box_with_all_points_per_model():
    fig = plots.repeated_split_figure({"a": [0.95, 0.96], "b": [0.97, 0.98, 0.99]})
    assert [trace.name for trace in fig.data] == ["a", "b"]
    assert all(trace.boxpoints == "all" for trace in fig.data)
    assert len(fig.data[1].y) == 3


def test_repeated_split_figure_y_axis_is_percent():
    fig = plots.repeated_split_figure({"a": [0.95]})
    assert fig.layout.yaxis.tickformat.endswith("%")


# --- cv_results_figure -----------------------------------------------------------------


def _cv_results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "param_hidden_layer_sizes": [(112,), (112, 112), (112,), (64,)],
            "param_alpha": [1e-4, 1e-4, 1e-3, 1e-3],
            "mean_test_score": [0.95, 0.97, 0.96, 0.94],
        }
    )


def test_cv_results_figure_groups_by_stringified_tuple_values():
    fig = plots.cv_results_figure(_cv_results(), param="hidden_layer_sizes")
    assert sorted(trace.name for trace in fig.data) == ["(112, 112)", "(112,)", "(64,)"]


def test_cv_results_figure_groups_hold_mean_test_scores():
    fig = plots.cv_results_figure(_cv_results(), param="hidden_layer_sizes")
    group = next(trace for trace in fig.data if trace.name == "(112,)")
    assert list(group.y) == pytest.approx([0.95, 0.96])


def test_cv_results_figure_accepts_param_prefix():
    fig = plots.cv_results_figure(_cv_results(), param="param_alpha")
    assert len(fig.data) == 2


def test_cv_results_figure_y_axis_is_percent_with_points_shown():
    fig = plots.cv_results_figure(_cv_results(), param="alpha")
    assert fig.layout.yaxis.tickformat.endswith("%")
    assert all(trace.boxpoints == "all" for trace in fig.data)


def test_cv_results_figure_unknown_param_lists_available_ones():
    with pytest.raises(KeyError, match="hidden_layer_sizes"):
        plots.cv_results_figure(_cv_results(), param="batch_size")


# --- timing_figure ---------------------------------------------------------------------


def test_timing_figure_has_one_bar_per_entry_and_wall_seconds_axis():
    fig = plots.timing_figure({"grid search": 42.0, "refit": 3.5})
    assert list(fig.data[0].y) == ["grid search", "refit"]
    assert list(fig.data[0].x) == [42.0, 3.5]
    assert fig.layout.xaxis.title.text == "Wall seconds"


def test_the_coverage_curve_marks_the_operating_point_and_the_allowed_error():
    curve = pd.DataFrame(
        {
            "threshold": [0.5, 0.8, 0.9, 0.99],
            "answered": [1.0, 0.97, 0.95, 0.7],
            "error": [0.02, 0.008, 0.004, float("nan")],
            "n_answered": [100, 97, 95, 0],
        }
    )
    figure = plots.coverage_curve(curve, threshold=0.9, required=0.995)
    line, point = figure.data
    assert list(line.x) == [0.95, 0.97, 1.0]  # the threshold that answers none is left out
    assert (point.x[0], point.y[0]) == (0.95, 0.004)
    assert figure.layout.shapes[0].y0 == pytest.approx(0.005)
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
