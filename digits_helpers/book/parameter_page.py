"""The book's "Parameters" page, written from the schema the command line checks.

``digits-book build`` calls :func:`write_parameter_page` when it stages a run's
chapters: the page lists every name of :data:`digits_helpers.run.params.SCHEMA`, its
value in each shipped profile, what it accepts, its help text and the chapters whose
``parameters`` cell declares it. Nothing on the page is typed by hand, so a parameter
added to the schema, a changed profile or a notebook that starts reading a parameter
shows up in the next build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from digits_helpers.run.params import PROFILES, SCHEMA, Parameter, load_profile

# Where the page goes: beside the book's own pages, ignored by git like book/chapters/.
PAGE = Path("book") / "parameters.md"
# A value whose one-line YAML is longer than this is shown as a YAML block instead.
INLINE_WIDTH = 40
NOT_SET = "(not set)"


def flow(value: Any) -> str:
    """``value`` as one line of YAML, as ``--set NAME=VALUE`` accepts it.

    Parameters
    ----------
    value : Any
        A parameter value as a profile holds it.

    Returns
    -------
    str
        For example ``0.2``, ``true``, ``digits``, ``[112, 112]`` or
        ``{C: [1, 3], gamma: [scale]}``.

    Examples
    --------
    >>> flow([112, 112])
    '[112, 112]'
    >>> flow(False)
    'false'
    """
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def block(value: Any) -> str:
    """``value`` as YAML lines in the style of the profile files.

    A mapping gives one ``key: value`` line per key and a list one ``- item`` line per
    item, each value or item on one line (:func:`flow`), so that a grid or a list of
    configurations reads as a table.

    Parameters
    ----------
    value : Any
        A structured parameter value (``param_grid``, ``keras_configurations``).

    Returns
    -------
    str
        The YAML text, without a final newline.

    Examples
    --------
    >>> print(block({"C": [1, 3], "gamma": ["scale"]}))
    C: [1, 3]
    gamma: [scale]
    """
    if isinstance(value, Mapping):
        return "\n".join(f"{flow(key)}: {flow(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return "\n".join(f"- {flow(item)}" for item in value)
    return flow(value)


def is_long(value: Any) -> bool:
    """Whether ``value`` is shown as a YAML block rather than inline."""
    return isinstance(value, Mapping | list | tuple) and len(flow(value)) > INLINE_WIDTH


def declared_by(notebooks: Iterable[Path]) -> dict[str, list[str]]:
    """The parameters each notebook declares in its ``parameters`` cell.

    Parameters
    ----------
    notebooks : iterable of Path
        Notebooks of the study, in reading order.

    Returns
    -------
    dict
        Notebook name (its file name without ``.ipynb``) -> the names its
        ``parameters`` cell assigns, as :func:`papermill.inspect_notebook` finds them.
    """
    return {path.stem: list(_inspect(path)) for path in notebooks}


def notebook_only(notebooks: Iterable[Path], schema: Mapping[str, Parameter]) -> dict[str, str]:
    """Names the notebooks declare that are not study parameters, with their comment.

    Parameters
    ----------
    notebooks : iterable of Path
        Notebooks of the study.
    schema : Mapping[str, Parameter]
        The study's parameters.

    Returns
    -------
    dict
        Name -> the comment after it in the first notebook that declares it
        (``run_dir`` -> ``folder where this notebook saves its results``).
    """
    found: dict[str, str] = {}
    for path in notebooks:
        for name, info in _inspect(path).items():
            if name not in schema and name not in found:
                found[name] = info.get("help") or ""
    return found


def _inspect(path: Path) -> dict[str, dict[str, Any]]:
    import papermill

    return papermill.inspect_notebook(str(path))


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _values(name: str, profiles: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A parameter's value in each profile: a one-row table, or one YAML block each."""
    values = {profile: values.get(name, NOT_SET) for profile, values in profiles.items()}
    if not any(is_long(v) for v in values.values()):
        cells = [v if v == NOT_SET else f"`{flow(v)}`" for v in values.values()]
        return [
            "| " + " | ".join(f"`{profile}`" for profile in values) + " |",
            "|" + " --- |" * len(values),
            "| " + " | ".join(cells) + " |",
        ]
    lines = []
    for profile, value in values.items():
        if value == NOT_SET:
            lines += [f"The `{profile}` profile: {NOT_SET}.", ""]
        else:
            lines += [f"The `{profile}` profile:", "", "```yaml", block(value), "```", ""]
    return lines[:-1]


def render(
    schema: Mapping[str, Parameter],
    profiles: Mapping[str, Mapping[str, Any]],
    declared: Mapping[str, Sequence[str]],
    *,
    chapter_dir: str = "chapters",
    others: Mapping[str, str] | None = None,
) -> str:
    """The Markdown (MyST) text of the Parameters page.

    Parameters
    ----------
    schema : Mapping[str, Parameter]
        The parameters, in the order the page lists them
        (:data:`digits_helpers.run.params.SCHEMA`).
    profiles : Mapping[str, Mapping[str, Any]]
        Profile name -> its values (:func:`digits_helpers.run.params.load_profile`). A
        value a profile lacks is shown as ``(not set)``.
    declared : Mapping[str, Sequence[str]]
        Chapter (notebook) name -> the parameters it declares (:func:`declared_by`).
    chapter_dir : str, default "chapters"
        Where the chapters are, relative to the page, for the links to them.
    others : Mapping[str, str], optional
        Names the notebooks declare that are not study parameters, with their help
        (:func:`notebook_only`); listed at the end of the page.

    Returns
    -------
    str
        The page, ending with a newline.
    """
    profile_names = ", ".join(f"`{p}`" for p in profiles)
    lines = [
        "# Parameters",
        "",
        "Every parameter of the study, its value in each profile "
        f"({profile_names}), what it accepts and which chapters read it. This page is "
        "generated by `digits-book build` from the schema that `digits-book run` and the "
        "notebooks check values against, so it cannot disagree with them. "
        "{doc}`reproduce` shows how to set a parameter; `digits-book params` prints the "
        "same list in a terminal.",
        "",
    ]
    for name, parameter in schema.items():
        readers = [chapter for chapter, names in declared.items() if name in names]
        if readers and len(readers) == len(declared) > 1:
            read = "Read by every chapter."
        elif readers:
            links = ", ".join(f"{{doc}}`{chapter_dir}/{chapter}`" for chapter in readers)
            read = f"Read by {links}."
        else:
            read = "No chapter declares it."
        about = [_sentence(parameter.help), f"Accepts {parameter.accepts}.", read]
        lines += [f"## `{name}`", "", " ".join(part for part in about if part), ""]
        lines += [*_values(name, profiles), ""]
    if others:
        lines += [
            "## Set by the command line",
            "",
            "The notebooks also declare these names, which are not parameters of the "
            "study: `digits-book run` sets them, and a notebook opened in JupyterLab "
            "keeps its default.",
            "",
        ]
        lines += [f"`{name}`\n: {_sentence(help_text)}\n" for name, help_text in others.items()]
    return "\n".join(lines).rstrip("\n") + "\n"


def page_text(notebooks: Sequence[Path]) -> str:
    """The page for these chapters, with :data:`~digits_helpers.run.params.SCHEMA` and the profiles.

    Parameters
    ----------
    notebooks : sequence of Path
        The chapters, in reading order; their ``parameters`` cells say which chapter
        reads which parameter.

    Returns
    -------
    str
        What :func:`render` makes of them.
    """
    return render(
        SCHEMA,
        {profile: load_profile(profile) for profile in PROFILES},
        declared_by(notebooks),
        others=notebook_only(notebooks, SCHEMA),
    )


def write_parameter_page(root: Path, notebooks: Sequence[Path]) -> Path:
    """Write ``book/parameters.md`` (:data:`PAGE`) for these chapters.

    Parameters
    ----------
    root : Path
        The project directory.
    notebooks : sequence of Path
        The staged chapters (``book/chapters/*.ipynb``), in reading order.

    Returns
    -------
    Path
        The page written.
    """
    path = root / PAGE
    path.write_text(page_text(notebooks))
    return path
