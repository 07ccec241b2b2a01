"""Render plotly figures in the built Jupyter Book: offline and with small pages.

Why this module exists -- three traps with plotly's stock renderers when
notebooks are executed by papermill and rendered by Jupyter Book 1 (myst-nb):

1. The default renderer writes only ``application/vnd.plotly.v1+json``, which
   myst-nb cannot render: the figure is dropped with a warning.
2. ``notebook_connected`` loads plotly.js from a CDN: blank pages offline.
3. ``notebook`` embeds the whole ~5 MB plotly.js in *every* figure.

The fix: a renderer (:data:`RENDERER_NAME`) whose mimebundle holds

* ``text/html`` -- a ``<div>`` plus a ``Plotly.newPlot`` call, *without*
  plotly.js (:func:`figure_html`). The book loads plotly.js once per page from
  a local ``_static/plotly.min.js`` (:func:`copy_plotly_js`; Jupyter Book 1
  adds every ``*.js`` found in the book's root ``_static/`` to every page).
  myst-nb selects ``text/html`` from the bundle, but (in Sphinx mode) it first
  converts *every* mime type of the bundle and warns about the plotly one.
  ``nb_mime_priority_overrides`` does not silence that; the book's
  ``_config.yml`` needs::

      sphinx:
        config:
          suppress_warnings: ["mystnb.unknown_mime_type"]

  (which also hides a figure dropped for lack of ``text/html``: check that
  notebook outputs with plotly JSON also carry ``text/html``).
* ``application/vnd.plotly.v1+json`` -- what JupyterLab / VS Code draw
  (the html alone is blank there, as no plotly.js is loaded in the notebook).

Div ids are derived from a hash of the figure JSON, so re-executing a notebook
reproduces its outputs byte for byte (the notebooks are regression-tested with
nbval). Within one kernel session, the n-th display of an *identical* figure
gets the suffix ``-n`` so that the two divs on a page do not share an id.

Usage, in the first cell of a notebook::

    from digits_helpers.book.plotly_offline import register_renderer
    register_renderer()

and, before ``jupyter-book build book/`` (Jupyter Book scans ``_static`` when it
reads its configuration, so the file must exist before the build starts)::

    copy_plotly_js(Path("book/_static"))
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Mapping
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer

from digits_helpers.core.files import replacing

__all__ = [
    "PLOTLY_JS_NAME",
    "RENDERER_NAME",
    "BookRenderer",
    "copy_plotly_js",
    "figure_html",
    "figure_id",
    "register_renderer",
]

RENDERER_NAME = "digits_book"
PLOTLY_JS_NAME = "plotly.min.js"
PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"
#: Height of the figure div when the figure's layout sets none (plotly's own default).
DEFAULT_HEIGHT = 525

FigureLike = go.Figure | Mapping[str, Any]


def _config_json(config: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(config or {}), sort_keys=True, default=str)


def figure_id(fig: FigureLike, *, config: Mapping[str, Any] | None = None) -> str:
    """Deterministic div id for ``fig``: ``"plotly-"`` + 16 hex digits of a SHA-256.

    Parameters
    ----------
    fig
        Figure or figure dict.
    config
        plotly.js config passed along with the figure (part of the hash).
    """
    # Canonical (sorted-key) JSON: equal figures get equal ids whatever their key order.
    canonical = json.dumps(json.loads(pio.to_json(fig, validate=False)), sort_keys=True)
    payload = canonical + _config_json(config)
    return "plotly-" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def figure_html(
    fig: FigureLike,
    *,
    config: Mapping[str, Any] | None = None,
    div_id: str | None = None,
) -> str:
    """HTML snippet drawing ``fig`` with an already loaded plotly.js.

    No ``<script src=...>``, no plotly.js, no MathJax; the div id defaults to
    :func:`figure_id`, so the same figure always gives the same text.

    Parameters
    ----------
    fig
        Figure or figure dict.
    config
        Optional plotly.js config (e.g. ``{"displaylogo": False}``).
    div_id
        Override the div id.

    Returns
    -------
    str
    """
    return pio.to_html(
        fig,
        config=dict(config or {}),
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        div_id=div_id or figure_id(fig, config=config),
        default_width="100%",
        default_height=DEFAULT_HEIGHT,
        validate=False,
    )


# id -> times displayed in this process; see BookRenderer.to_mimebundle.
_displayed: Counter[str] = Counter()


class BookRenderer(MimetypeRenderer):
    """Mimebundle with ``text/html`` (for the book) and the plotly JSON (for Jupyter UIs).

    Parameters
    ----------
    config
        Optional plotly.js config dict used for both outputs.
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = dict(config) if config else {}

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
        """Return ``{"text/html": ..., "application/vnd.plotly.v1+json": ...}``."""
        base_id = figure_id(fig_dict, config=self.config)
        _displayed[base_id] += 1
        count = _displayed[base_id]
        div_id = base_id if count == 1 else f"{base_id}-{count}"
        html = figure_html(fig_dict, config=self.config, div_id=div_id)
        plotly_json = json.loads(pio.to_json(fig_dict, validate=False, remove_uids=False))
        if self.config:
            plotly_json["config"] = dict(self.config)
        return {"text/html": html, PLOTLY_MIMETYPE: plotly_json}


def register_renderer(make_default: bool = True) -> None:
    """Register :class:`BookRenderer` as :data:`RENDERER_NAME` (idempotent).

    Parameters
    ----------
    make_default
        Also set ``plotly.io.renderers.default`` to it, so that ``fig.show()``
        and a figure as last expression of a cell both use it.
    """
    if RENDERER_NAME not in pio.renderers or not isinstance(
        pio.renderers[RENDERER_NAME], BookRenderer
    ):
        pio.renderers[RENDERER_NAME] = BookRenderer()
    if make_default:
        pio.renderers.default = RENDERER_NAME


def _installed_plotly_js() -> Path:
    """Path of ``plotly.min.js`` shipped in the installed plotly package."""
    with as_file(files("plotly") / "package_data" / PLOTLY_JS_NAME) as path:
        return Path(path)


def copy_plotly_js(static_dir: Path) -> Path:
    """Copy the installed plotly's ``plotly.min.js`` into ``static_dir``.

    Parameters
    ----------
    static_dir
        Target directory, typically the book's root ``_static``; created if
        needed.

    Returns
    -------
    pathlib.Path
        Path of the copy. Nothing is written when a file with identical content
        is already there (keeps mtimes stable for incremental builds). The copy
        is atomic (temporary file + rename).
    """
    source = _installed_plotly_js()
    static_dir = Path(static_dir)
    static_dir.mkdir(parents=True, exist_ok=True)
    target = static_dir / PLOTLY_JS_NAME
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return target
    with replacing(target, mode=0o644) as temporary:  # served to browsers
        shutil.copyfile(source, temporary)
    return target
