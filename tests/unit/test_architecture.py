"""ARCHITECTURE.md and the README's layout describe the package as it is.

import-linter (``make lint``) checks that the layers import downwards; these tests check
that the pages a newcomer reads name every layer and every module in it.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from study import REPO

PACKAGE = REPO / "digits_helpers"
LAYERS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


def _contracted_layers() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in layers for name in layer.split("|")]


def test_every_module_and_folder_of_the_package_is_in_a_layer_of_the_contract():
    top = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"} | set(LAYERS)
    assert top == set(_contracted_layers()), "import-linter checks only what a layer names"


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_says_what_lives_there(layer):
    doc = (PACKAGE / layer / "__init__.py").read_text()
    assert re.fullmatch(r'"""[^"]+"""\n', doc), "a docstring of what lives there, nothing else"


@pytest.mark.parametrize("layer", LAYERS)
def test_architecture_md_names_every_module_of_each_layer(layer):
    text = (REPO / "ARCHITECTURE.md").read_text()
    section = text[text.index(f"**`{layer}/`") :].split("\n\n", 1)[0]
    modules = {p.stem for p in (PACKAGE / layer).glob("*.py") if p.stem != "__init__"}
    missing = {m for m in modules if f"`{m}`" not in section}
    assert not missing, f"ARCHITECTURE.md's {layer}/ paragraph does not name {sorted(missing)}"


def test_the_readme_layout_shows_every_layer():
    readme = (REPO / "README.md").read_text()
    layout = readme[readme.index("## Layout") :].split("\n## ", 1)[0]
    assert all(f"{layer}/" in layout for layer in LAYERS)
