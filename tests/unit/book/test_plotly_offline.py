"""Specifications of digits_helpers.book.plotly_offline (offline plotly output for the book)."""

from __future__ import annotations

import os
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from digits_helpers.book import plotly_offline
from digits_helpers.book.plotly_offline import (
    RENDERER_NAME,
    copy_plotly_js,
    figure_html,
    figure_id,
    register_renderer,
)

INSTALLED_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@pytest.fixture
def fig() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]), layout={"height": 300})


@pytest.fixture
def restore_default_renderer():
    previous = pio.renderers.default
    yield
    pio.renderers.default = previous


@pytest.fixture
def fresh_display_counter(monkeypatch):
    monkeypatch.setattr(plotly_offline, "_displayed", plotly_offline.Counter())


# --- figure_html -----------------------------------------------------------------------


def _build() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]), layout={"height": 300})


def test_figure_html_is_deterministic():
    assert figure_html(_build()) == figure_html(_build())


def test_figure_id_ignores_key_order(fig):
    # a copy of a figure serialises its template keys in another order
    assert figure_id(go.Figure(fig)) == figure_id(fig)


def test_figure_html_uses_id_derived_from_figure(fig):
    assert f'id="{figure_id(fig)}"' in figure_html(fig)


def test_figure_id_differs_between_figures(fig):
    other = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 2, 1]))
    assert figure_id(fig) != figure_id(other)


def test_figure_html_does_not_embed_or_fetch_plotlyjs(fig):
    html = figure_html(fig)
    assert len(html) < 50_000
    assert "<script src" not in html.replace('charset="utf-8" ', "")
    assert "cdn" not in html.lower()
    assert "mathjax.js" not in html.lower() and "tex-svg" not in html


def test_figure_html_calls_plotly_newplot(fig):
    assert "Plotly.newPlot(" in figure_html(fig)


def test_figure_html_keeps_figure_height(fig):
    assert "height:300px" in figure_html(fig)


# --- renderer --------------------------------------------------------------------------


def test_register_renderer_makes_it_the_default(restore_default_renderer):
    register_renderer()
    assert pio.renderers.default == RENDERER_NAME


def test_register_renderer_is_idempotent(restore_default_renderer):
    register_renderer()
    first = pio.renderers[RENDERER_NAME]
    register_renderer()
    assert pio.renderers[RENDERER_NAME] is first
    assert pio.renderers.default == RENDERER_NAME


def test_register_renderer_can_leave_default_alone(restore_default_renderer):
    pio.renderers.default = "json"
    register_renderer(make_default=False)
    assert pio.renderers.default == "json"
    assert RENDERER_NAME in pio.renderers


def test_mimebundle_has_html_and_plotly_json(fig, restore_default_renderer, fresh_display_counter):
    register_renderer()
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"text/html", "application/vnd.plotly.v1+json"}
    assert bundle["application/vnd.plotly.v1+json"]["data"][0]["y"] == [3, 1, 2]


def test_renderer_emits_html_without_plotlyjs(fig, restore_default_renderer, fresh_display_counter):
    register_renderer()
    html = fig._repr_mimebundle_()["text/html"]
    assert html == figure_html(fig)
    assert len(html) < 50_000  # plotly.min.js alone is ~4.8 MB


def test_renderer_gives_repeated_identical_figures_distinct_ids(
    fig, restore_default_renderer, fresh_display_counter
):
    register_renderer()
    first = fig._repr_mimebundle_()["text/html"]
    second = fig._repr_mimebundle_()["text/html"]
    assert f'id="{figure_id(fig)}"' in first
    assert f'id="{figure_id(fig)}-2"' in second


def test_renderer_output_is_reproducible_across_sessions(
    fig, restore_default_renderer, monkeypatch
):
    register_renderer()
    monkeypatch.setattr(plotly_offline, "_displayed", plotly_offline.Counter())
    run_1 = [fig._repr_mimebundle_() for _ in range(2)]
    monkeypatch.setattr(plotly_offline, "_displayed", plotly_offline.Counter())
    run_2 = [fig._repr_mimebundle_() for _ in range(2)]
    assert run_1 == run_2


# --- copy_plotly_js --------------------------------------------------------------------


def test_copy_plotly_js_copies_the_installed_bundle(tmp_path):
    target = copy_plotly_js(tmp_path / "_static")
    assert target == tmp_path / "_static" / "plotly.min.js"
    assert target.read_bytes() == INSTALLED_JS.read_bytes()


def test_copy_plotly_js_skips_identical_file(tmp_path):
    target = copy_plotly_js(tmp_path)
    os.utime(target, (1_000_000, 1_000_000))
    copy_plotly_js(tmp_path)
    assert target.stat().st_mtime == 1_000_000


def test_copy_plotly_js_replaces_stale_file(tmp_path):
    (tmp_path / "plotly.min.js").write_text("old plotly")
    target = copy_plotly_js(tmp_path)
    assert target.read_bytes() == INSTALLED_JS.read_bytes()


def test_copy_plotly_js_leaves_no_temporary_files(tmp_path):
    copy_plotly_js(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["plotly.min.js"]


def test_copy_plotly_js_makes_file_world_readable(tmp_path):
    assert copy_plotly_js(tmp_path).stat().st_mode & 0o444 == 0o444
