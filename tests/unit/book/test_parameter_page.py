"""The generated Parameters page: every schema name, both profiles, and who reads it."""

from __future__ import annotations

import re

import pytest
import yaml
from study import REPO

from digits_helpers.book import parameter_page
from digits_helpers.core.registry import STAGES
from digits_helpers.run.params import PROFILES, SCHEMA, Parameter, load_profile

NOTEBOOKS = [REPO / "notebooks" / step.filename for step in STAGES]


@pytest.fixture(scope="module")
def page() -> str:
    """The page for the committed notebooks, as ``digits-book build`` writes it."""
    return parameter_page.page_text(NOTEBOOKS)


def section(page: str, name: str) -> str:
    """The text of one parameter's section, up to the next heading."""
    match = re.search(rf"^## `{re.escape(name)}`\n(.*?)(?=^## |\Z)", page, re.M | re.S)
    assert match, f"no section for {name}"
    return match[1]


def shown_values(text: str) -> dict[str, object]:
    """Profile -> value, read back from a section's table row or YAML block."""
    values: dict[str, object] = {}
    table = re.search(r"^\| (`.*) \|\n\|[- |]+\n\| (.*) \|$", text, re.M)
    if table:
        profiles = re.findall(r"`(\w+)`", table[1])
        cells = [cell.strip().strip("`") for cell in table[2].split(" | ")]
        values.update(zip(profiles, (yaml.safe_load(c) for c in cells), strict=True))
    for profile, body in re.findall(
        r"^The `(\w+)` profile:\n\n```yaml\n(.*?)\n```", text, re.M | re.S
    ):
        values[profile] = yaml.safe_load(body)
    return values


def test_every_parameter_has_a_section_in_schema_order(page):
    headings = re.findall(r"^## `(\w+)`$", page, re.M)
    assert headings == list(SCHEMA)


@pytest.mark.parametrize("name", list(SCHEMA))
def test_each_section_shows_both_profile_values(page, name):
    shown = shown_values(section(page, name))
    assert set(shown) == set(PROFILES)
    for profile in PROFILES:
        assert shown[profile] == load_profile(profile)[name], (name, profile)


@pytest.mark.parametrize("name", list(SCHEMA))
def test_each_section_says_what_it_accepts_and_its_help(page, name):
    text = section(page, name)
    assert f"Accepts {SCHEMA[name].accepts}." in text
    help_text = SCHEMA[name].help
    assert help_text[0].upper() + help_text[1:] in text


def test_each_section_names_the_chapters_that_declare_it(page):
    declared = parameter_page.declared_by(NOTEBOOKS)
    for name in SCHEMA:
        readers = [chapter for chapter, names in declared.items() if name in names]
        text = section(page, name)
        if len(readers) == len(STAGES):
            assert "Read by every chapter." in text, name
        else:
            linked = re.findall(r"\{doc\}`chapters/(\w+)`", text)
            assert linked == readers, name


def test_structured_values_are_yaml_blocks_and_short_ones_inline(page):
    assert "```yaml\n- {validation_split: 0.2" in section(page, "keras_configurations")
    assert "hidden_layer_sizes: [[112, 112]]\n" in section(page, "param_grid")
    assert "| `[112, 112]` | `[112, 112]` |" in section(page, "keras_hidden_units")


def test_notebook_names_outside_the_schema_are_listed_with_their_comment(page):
    assert "## Set by the command line" in page
    assert "`run_dir`\n: Folder where this notebook saves its results." in page


def test_a_new_parameter_appears_even_when_no_chapter_reads_it_or_a_profile_lacks_it():
    schema = {
        **SCHEMA,
        "target_accuracy": Parameter("target_accuracy", "a number", float, "the MLP target"),
    }
    profiles = {"quick": {"target_accuracy": 0.96}, "full": {}}
    text = parameter_page.render(schema, profiles, {"01_preprocessing": ["dataset"]})
    part = section(text, "target_accuracy")
    assert "No chapter declares it." in part
    assert "| `quick` | `full` |\n| --- | --- |\n| `0.96` | (not set) |" in part


def test_write_parameter_page_writes_book_parameters_md(tmp_path):
    (tmp_path / "book").mkdir()
    path = parameter_page.write_parameter_page(tmp_path, NOTEBOOKS)
    assert path == tmp_path / "book" / "parameters.md"
    assert path.read_text() == parameter_page.page_text(NOTEBOOKS)
