"""Plotly figure builders for the digits book.

Every function takes plain data (arrays, lists, mappings, DataFrames -- never a
fitted estimator) and *returns* a :class:`plotly.graph_objects.Figure`. Nothing
is shown or printed here: notebooks decide when to display a figure.

All figures share the same look: ``template="plotly_white"``, a title, labelled
axes, a fixed height and compact margins (see :func:`_finish`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "TRAINING_COLOR",
    "VALIDATION_COLOR",
    "accuracy_comparison",
    "confusion_matrix_figure",
    "coverage_curve",
    "cv_results_figure",
    "history_grid",
    "loss_curve",
    "repeated_split_figure",
    "sample_digits",
    "scan_strip",
    "timing_figure",
]

TEMPLATE = "plotly_white"
#: Colour of training curves in every figure.
TRAINING_COLOR = "#1f77b4"
#: Colour of validation curves in every figure.
VALIDATION_COLOR = "#ff7f0e"
#: Colour for wrong predictions in :func:`sample_digits`.
ERROR_COLOR = "#d62728"
#: Tick format for accuracies (0.9765 -> "97.7%", 0.96 -> "96%").
PERCENT = ".1~%"


def _finish(
    fig: go.Figure,
    *,
    title: str,
    height: int,
    xaxis_title: str | None = None,
    yaxis_title: str | None = None,
    margin_top: int = 60,
    margin_bottom: int = 50,
) -> go.Figure:
    """Apply the shared layout (template, title, height, compact margins)."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.02, "xanchor": "left"},
        height=height,
        margin={"l": 60, "r": 20, "t": margin_top, "b": margin_bottom},
    )
    if xaxis_title is not None:
        fig.update_layout(xaxis_title=xaxis_title)
    if yaxis_title is not None:
        fig.update_layout(yaxis_title=yaxis_title)
    return fig


def _as_text(value: Any) -> str:
    """Stringify a label or parameter value (tuples such as ``(112, 112)`` included)."""
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def _axis_suffix(index: int) -> str:
    """Plotly axis-name suffix of the ``index``-th (0-based) subplot: '', '2', '3', ..."""
    return "" if index == 0 else str(index + 1)


def loss_curve(
    loss: Sequence[float],
    *,
    title: str = "Training loss of the best MLPClassifier",
    validation_score: Sequence[float] | None = None,
) -> go.Figure:
    """Plot a training loss curve, optionally with validation accuracy.

    Parameters
    ----------
    loss
        Loss per epoch, e.g. ``MLPClassifier.loss_curve_``.
    title
        Figure title.
    validation_score
        Validation accuracy per epoch, e.g. ``MLPClassifier.validation_scores_``
        (only set when ``early_stopping=True``). Drawn on a secondary y axis
        "Validation accuracy".

    Returns
    -------
    plotly.graph_objects.Figure
    """
    loss = np.asarray(loss, dtype=float)
    epochs = np.arange(1, len(loss) + 1)
    has_validation = validation_score is not None
    fig = make_subplots(specs=[[{"secondary_y": has_validation}]])
    fig.add_trace(
        go.Scatter(
            x=epochs,
            y=loss,
            mode="lines",
            name="Training loss",
            line={"color": TRAINING_COLOR},
            hovertemplate="epoch %{x}<br>loss %{y:.4f}<extra></extra>",
        ),
        secondary_y=False,
    )
    if has_validation:
        scores = np.asarray(validation_score, dtype=float)
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, len(scores) + 1),
                y=scores,
                mode="lines",
                name="Validation accuracy",
                line={"color": VALIDATION_COLOR, "dash": "dot"},
                hovertemplate="epoch %{x}<br>accuracy %{y:.2%}<extra></extra>",
            ),
            secondary_y=True,
        )
        fig.update_yaxes(
            title_text="Validation accuracy", tickformat=PERCENT, showgrid=False, secondary_y=True
        )
    fig.update_yaxes(title_text="Loss", secondary_y=False)
    fig.update_xaxes(title_text="Epoch")
    fig.update_layout(
        showlegend=has_validation,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
    )
    return _finish(fig, title=title, height=380)


def confusion_matrix_figure(
    cm: np.ndarray,
    labels: Sequence,
    *,
    title: str,
    colorscale: str = "Blues",
) -> go.Figure:
    """Heatmap of a confusion matrix with the counts written in the cells.

    Parameters
    ----------
    cm
        Square matrix, ``cm[i, j]`` = number of samples of true class ``labels[i]``
        predicted as ``labels[j]`` (scikit-learn's convention). Float matrices
        (normalised) are shown with two decimals.
    labels
        Class labels, one per row/column.
    title
        Figure title.
    colorscale
        Any plotly colorscale name.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square matrix, got shape {cm.shape}")
    if len(labels) != cm.shape[0]:
        raise ValueError(f"{len(labels)} labels for a {cm.shape[0]}x{cm.shape[0]} matrix")
    names = [_as_text(label) for label in labels]
    if np.issubdtype(cm.dtype, np.integer):
        text = [[str(int(v)) for v in row] for row in cm]
        z_format = "%{z}"
    else:
        text = [[f"{v:.2f}" for v in row] for row in cm]
        z_format = "%{z:.2f}"
    fig = go.Figure(
        go.Heatmap(
            z=cm,
            x=names,
            y=names,
            text=text,
            texttemplate="%{text}",
            colorscale=colorscale,
            colorbar={"thickness": 12},
            hovertemplate=f"true %{{y}}<br>predicted %{{x}}<br>{z_format}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Predicted label", type="category", side="bottom")
    fig.update_yaxes(
        title_text="True label",
        type="category",
        autorange="reversed",
        scaleanchor="x",
        constrain="domain",
    )
    fig.update_xaxes(constrain="domain")
    return _finish(fig, title=title, height=520)


def history_grid(
    histories: Sequence[Mapping[str, Sequence[float]]],
    metric: Literal["loss", "accuracy"],
    *,
    titles: Sequence[str] | None = None,
    title: str | None = None,
    n_cols: int = 3,
) -> go.Figure:
    """Grid of training/validation curves, one subplot per model.

    Parameters
    ----------
    histories
        One mapping per model, e.g. Keras' ``History.history``: ``metric`` and
        (optionally) ``"val_" + metric`` hold one value per epoch.
    metric
        ``"loss"`` or ``"accuracy"`` (accuracy axes are formatted as percent).
    titles
        Subplot titles; default "Model 1", "Model 2", ...
    title
        Figure title; default "Training and validation <metric>".
    n_cols
        Maximum number of subplots per row.

    Returns
    -------
    plotly.graph_objects.Figure
        Legend has exactly one "Training" and one "Validation" entry.
    """
    n = len(histories)
    if n == 0:
        raise ValueError("histories is empty")
    if n_cols < 1:
        raise ValueError("n_cols must be >= 1")
    if titles is None:
        titles = [f"Model {i + 1}" for i in range(n)]
    if len(titles) != n:
        raise ValueError(f"{len(titles)} titles for {n} histories")
    cols = min(n_cols, n)
    rows = math.ceil(n / cols)
    row_height = 240
    height = row_height * rows + 110
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=list(titles),
        horizontal_spacing=0.09 if metric == "accuracy" else 0.07,
        vertical_spacing=min(0.3, 90 / height) if rows > 1 else 0.1,
    )
    series = (
        ("Training", metric, TRAINING_COLOR),
        ("Validation", f"val_{metric}", VALIDATION_COLOR),
    )
    shown: set[str] = set()
    for i, history in enumerate(histories):
        row, col = divmod(i, cols)
        for name, key, color in series:
            if key not in history:
                if key == metric:
                    raise KeyError(f"history {i + 1} has no {metric!r}: {sorted(history)}")
                continue
            values = np.asarray(history[key], dtype=float)
            fig.add_trace(
                go.Scatter(
                    x=np.arange(1, len(values) + 1),
                    y=values,
                    mode="lines",
                    name=name,
                    legendgroup=name,
                    showlegend=name not in shown,
                    line={"color": color},
                    hovertemplate=f"{name}<br>epoch %{{x}}<br>{metric} %{{y:.4f}}<extra></extra>",
                ),
                row=row + 1,
                col=col + 1,
            )
            shown.add(name)
    metric_title = metric.capitalize()
    for i in range(n):
        row, col = divmod(i, cols)
        is_bottom = i + cols >= n  # nothing below it in the same column
        fig.update_xaxes(title_text="Epoch" if is_bottom else None, row=row + 1, col=col + 1)
        fig.update_yaxes(
            title_text=metric_title if col == 0 else None,
            tickformat=PERCENT if metric == "accuracy" else None,
            row=row + 1,
            col=col + 1,
        )
    fig.update_annotations(font_size=13)
    # Legend on the title's line (container coordinates), clear of the subplot titles.
    fig.update_layout(
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 1 - 38 / height,
            "yanchor": "middle",
            "xanchor": "right",
            "x": 1.0,
        },
    )
    return _finish(
        fig,
        title=title or f"Training and validation {metric}",
        height=height,
        margin_top=90,
    )


def sample_digits(
    images: np.ndarray,
    labels: Sequence,
    *,
    predicted: Sequence | None = None,
    n_cols: int = 10,
    title: str = "Sample digits",
) -> go.Figure:
    """Grid of grayscale digit images with their (true / predicted) labels.

    Parameters
    ----------
    images
        Array ``(n, H, W)``, or flattened ``(n, H*W)`` with square images (e.g.
        ``load_digits().data`` with 64 columns, MNIST with 784). Dark = ink.
    labels
        True label of each image.
    predicted
        Optional predicted labels; subplot titles become "true 3 / pred 8" and
        wrong predictions are written in red.
    n_cols
        Maximum number of images per row.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        With zero images: an empty figure with the annotation "No images to show".
    """
    images = np.asarray(images, dtype=float)
    n = len(images)
    if len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} images")
    if predicted is not None and len(predicted) != n:
        raise ValueError(f"{len(predicted)} predictions for {n} images")
    if n == 0:
        fig = go.Figure()
        fig.add_annotation(
            text="No images to show", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5
        )
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return _finish(fig, title=title, height=200)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"cannot reshape {images.shape[1]} pixels into a square image")
        images = images.reshape(n, side, side)
    if images.ndim != 3:
        raise ValueError(f"images must be (n, H, W) or (n, H*W), got shape {images.shape}")
    if n_cols < 1:
        raise ValueError("n_cols must be >= 1")

    if predicted is None:
        titles = [_as_text(t) for t in labels]
        wrong = [False] * n
    else:
        titles = [
            f"true {_as_text(t)} / pred {_as_text(p)}"
            for t, p in zip(labels, predicted, strict=True)
        ]
        wrong = [_as_text(t) != _as_text(p) for t, p in zip(labels, predicted, strict=True)]
    cols = min(n_cols, n)
    rows = math.ceil(n / cols)
    height = 105 * rows + 80
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=0.01,
        vertical_spacing=min(0.3, 28 / height) if rows > 1 else 0.1,
    )
    zmin, zmax = float(images.min()), float(images.max())
    for i, image in enumerate(images):
        row, col = divmod(i, cols)
        fig.add_trace(
            go.Heatmap(
                z=image,
                colorscale="gray",
                reversescale=True,
                zmin=zmin,
                zmax=zmax,
                showscale=False,
                hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>",
            ),
            row=row + 1,
            col=col + 1,
        )
        suffix = _axis_suffix(i)
        fig.layout[f"yaxis{suffix}"].update(scaleanchor=f"x{suffix}", autorange="reversed")
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, constrain="domain")
    small = 9 if predicted is not None else 11
    for annotation, is_wrong in zip(fig.layout.annotations, wrong, strict=True):
        annotation.font = {"size": small, "color": ERROR_COLOR if is_wrong else "#444"}
    _finish(fig, title=title, height=height, margin_top=70, margin_bottom=10)
    fig.update_layout(margin_l=20, margin_r=20)
    return fig


def accuracy_comparison(
    table: pd.DataFrame,
    *,
    title: str = "Test accuracy by model",
    target: float | None = None,
) -> go.Figure:
    """Test accuracy per model as points with (optional) confidence intervals.

    Parameters
    ----------
    table
        Columns ``model`` and ``accuracy`` (fraction in [0, 1]); optional
        ``ci_low`` and ``ci_high`` (both or neither) give asymmetric error bars.
        Rows are plotted in table order.
    title
        Figure title.
    target
        Accuracy drawn as a dashed reference line labelled "target"; ``None``
        for no line.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    missing = {"model", "accuracy"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks column(s) {sorted(missing)}")
    has_low, has_high = "ci_low" in table.columns, "ci_high" in table.columns
    if has_low != has_high:
        raise ValueError("give both ci_low and ci_high, or neither")
    models = [_as_text(m) for m in table["model"]]
    accuracy = table["accuracy"].to_numpy(dtype=float)
    error_y = None
    hover = "%{x}<br>accuracy %{y:.2%}"
    if has_low:
        low = table["ci_low"].to_numpy(dtype=float)
        high = table["ci_high"].to_numpy(dtype=float)
        error_y = {
            "type": "data",
            "symmetric": False,
            "array": high - accuracy,
            "arrayminus": accuracy - low,
            "thickness": 1.5,
            "width": 6,
        }
        hover += "<br>CI %{customdata[0]:.2%} to %{customdata[1]:.2%}"
    fig = go.Figure(
        go.Scatter(
            x=models,
            y=accuracy,
            mode="markers",
            marker={"size": 11, "color": TRAINING_COLOR},
            error_y=error_y,
            customdata=np.column_stack([low, high]) if has_low else None,
            hovertemplate=hover + "<extra></extra>",
            showlegend=False,
        )
    )
    if target is not None:
        fig.add_hline(
            y=target,
            line_dash="dash",
            line_color="#888",
            annotation_text="target",
            annotation_position="top left",
        )
    fig.update_yaxes(tickformat=PERCENT)
    fig.update_xaxes(type="category")
    return _finish(fig, title=title, height=420, xaxis_title="Model", yaxis_title="Test accuracy")


def repeated_split_figure(
    scores: Mapping[str, Sequence[float]],
    *,
    title: str = "Test accuracy over repeated splits",
) -> go.Figure:
    """Box plot with all points of each model's accuracy across seeds / splits.

    Parameters
    ----------
    scores
        Model name -> test accuracies (fractions), one per split.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    for model, values in scores.items():
        fig.add_trace(
            go.Box(
                y=np.asarray(values, dtype=float),
                name=_as_text(model),
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker={"size": 5, "opacity": 0.7},
                hovertemplate="%{x}<br>accuracy %{y:.2%}<extra></extra>",
            )
        )
    fig.update_yaxes(tickformat=PERCENT)
    fig.update_layout(showlegend=False)
    return _finish(fig, title=title, height=420, xaxis_title="Model", yaxis_title="Test accuracy")


def cv_results_figure(
    cv_results: pd.DataFrame,
    *,
    param: str,
    title: str | None = None,
) -> go.Figure:
    """Distribution of mean cross-validated accuracy for each value of one parameter.

    Parameters
    ----------
    cv_results
        ``pd.DataFrame(search.cv_results_)``; needs ``mean_test_score`` and
        ``param_<param>``.
    param
        Parameter name, with or without the ``param_`` prefix (e.g.
        ``"hidden_layer_sizes"`` or ``"mlp__alpha"``). Values are stringified,
        so tuples such as ``(112, 112)`` work; groups are sorted when the values
        are comparable, else kept in order of first appearance.
    title
        Figure title; default "Cross-validated accuracy by <param>".

    Returns
    -------
    plotly.graph_objects.Figure
    """
    name = param.removeprefix("param_")
    column = f"param_{name}"
    if column not in cv_results.columns:
        available = [c.removeprefix("param_") for c in cv_results.columns if c.startswith("param_")]
        raise KeyError(f"no column {column!r}; parameters available: {available}")
    if "mean_test_score" not in cv_results.columns:
        raise KeyError("cv_results has no 'mean_test_score' column")
    values = list(cv_results[column])
    scores = cv_results["mean_test_score"].to_numpy(dtype=float)
    params = (
        [_as_text(p) for p in cv_results["params"]]
        if "params" in cv_results.columns
        else [_as_text(v) for v in values]
    )
    groups: dict[str, list[int]] = {}
    first_value: dict[str, Any] = {}
    for i, value in enumerate(values):
        key = _as_text(value)
        groups.setdefault(key, []).append(i)
        first_value.setdefault(key, value)
    order = list(groups)
    try:
        order.sort(key=lambda k: first_value[k])
    except TypeError:
        pass  # mixed types (e.g. None and tuples): keep order of appearance
    fig = go.Figure()
    for key in order:
        idx = groups[key]
        fig.add_trace(
            go.Box(
                x=[key] * len(idx),
                y=scores[idx],
                name=key,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker={"size": 5, "opacity": 0.7},
                hovertext=[params[i] for i in idx],
                hovertemplate="%{hovertext}<br>mean CV accuracy %{y:.2%}<extra></extra>",
            )
        )
    fig.update_yaxes(tickformat=PERCENT)
    fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return _finish(
        fig,
        title=title or f"Cross-validated accuracy by {name}",
        height=420,
        xaxis_title=name,
        yaxis_title="Mean CV accuracy",
    )


def timing_figure(
    seconds: Mapping[str, float],
    *,
    title: str = "Training cost",
) -> go.Figure:
    """Horizontal bar chart of wall-clock seconds per model or stage.

    Parameters
    ----------
    seconds
        Name -> wall seconds; bars are drawn top to bottom in mapping order.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    names = [_as_text(k) for k in seconds]
    values = np.asarray(list(seconds.values()), dtype=float)
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=TRAINING_COLOR,
            text=[f"{v:.1f} s" for v in values],
            textposition="auto",
            hovertemplate="%{y}<br>%{x:.2f} s<extra></extra>",
        )
    )
    fig.update_yaxes(type="category", autorange="reversed")
    height = max(220, 110 + 36 * len(names))
    return _finish(
        fig, title=title, height=height, xaxis_title="Wall seconds", yaxis_title="Model or stage"
    )


def misclassified_digits(
    images: np.ndarray, labels: np.ndarray, predictions: Mapping[str, np.ndarray]
) -> list[go.Figure]:
    """For each model, the test digits it got wrong with their true and predicted labels.

    Parameters
    ----------
    images : numpy.ndarray
        The test images, ``(n, H, W)``.
    labels : numpy.ndarray
        Their true labels.
    predictions : Mapping of str to numpy.ndarray
        Model name -> its predicted label of each test image.

    Returns
    -------
    list of plotly.graph_objects.Figure
        One :func:`sample_digits` figure per model, in the mapping's order.
    """
    figures = []
    for name, predicted in predictions.items():
        wrong = np.flatnonzero(np.asarray(predicted) != np.asarray(labels))
        figures.append(
            sample_digits(
                images[wrong],
                labels[wrong],
                predicted=np.asarray(predicted)[wrong],
                title=f"Test digits misclassified by the {name}",
            )
        )
    return figures


def scan_strip(grey: np.ndarray, *, title: str) -> go.Figure:
    """A scanned strip of a form as it looks: grey levels, 0 black and 255 white.

    Parameters
    ----------
    grey : numpy.ndarray
        Shape ``(height, width)``, uint8 grey levels.
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        The strip at its own proportions, without axes.
    """
    grey = np.asarray(grey, dtype=float)
    fig = go.Figure(
        go.Heatmap(
            z=grey,
            colorscale="gray",
            zmin=0,
            zmax=255,
            showscale=False,
            hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, scaleanchor="x", autorange="reversed", constrain="domain")
    height = int(120 + 700 * grey.shape[0] / grey.shape[1])
    return _finish(fig, title=title, height=height, margin_top=50, margin_bottom=10)


def coverage_curve(
    curve: pd.DataFrame,
    *,
    threshold: float,
    required: float,
    title: str = "Digits answered and errors among them",
) -> go.Figure:
    """The coverage/error curve: share of digits answered against the error among them.

    Parameters
    ----------
    curve : pandas.DataFrame
        Columns ``threshold``, ``answered`` and ``error`` (fractions), one row per threshold
        (:func:`digits_helpers.reading.reader.coverage_curve`).
    threshold : float
        The operating point, marked on the curve.
    required : float
        The accuracy required among the answered: a dashed line at ``1 - required``.
    title : str, optional
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Share answered on x, error among the answered on y; a marker at ``threshold``.
    """
    curve = curve.dropna(subset=["error"]).sort_values("answered")
    fig = go.Figure(
        go.Scatter(
            x=curve["answered"],
            y=curve["error"],
            mode="lines",
            name="as the threshold varies",
            line={"color": TRAINING_COLOR},
            customdata=curve["threshold"],
            hovertemplate="threshold %{customdata:.3f}: %{x:.1%} answered, "
            "%{y:.2%} wrong<extra></extra>",
        )
    )
    chosen = curve.iloc[(curve["threshold"] - threshold).abs().argmin()]
    fig.add_trace(
        go.Scatter(
            x=[chosen["answered"]],
            y=[chosen["error"]],
            mode="markers",
            name=f"operating point (p >= {threshold:.3f})",
            marker={"color": ERROR_COLOR, "size": 11},
        )
    )
    fig.add_hline(
        y=1 - required,
        line={"dash": "dash", "color": "grey"},
        annotation_text=f"{1 - required:.1%} error allowed",
    )
    fig.update_xaxes(tickformat=PERCENT)
    fig.update_yaxes(tickformat=".1%", rangemode="tozero")
    return _finish(
        fig,
        title=title,
        height=420,
        xaxis_title="share of the digits answered (not ?)",
        yaxis_title="error among the answered",
    )
