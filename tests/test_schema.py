"""The portfolio's JSON Schema (`loadmaster schema`): what editors complete and check portfolio files with.

It accepts every portfolio loadmaster ships or tests with, refuses what the spec refuses by its structure alone (a
misspelt key, a key of another hosting), and the copy in the repository is the one the command prints.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from loadmaster.cli import main
from loadmaster.commands.init import SCAFFOLD
from loadmaster.spec.json_schema import SCHEMA_FILE, portfolio_json_schema, schema_text

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "schema" / SCHEMA_FILE
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CORPUS = sorted((ROOT / "tests" / "portfolios").glob("*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(portfolio_json_schema())


def errors_of(document: dict) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(document)]


def reasons_of(document: dict) -> list[str]:
    """Every reason the schema gives, down to each branch of the hosting `oneOf`."""
    pending, reasons = list(VALIDATOR.iter_errors(document)), []
    while pending:
        error = pending.pop()
        reasons.append(error.message)
        pending += error.context
    return reasons


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(portfolio_json_schema())


def test_the_committed_schema_is_the_one_loadmaster_schema_prints(capsys):
    # When
    code = main(["schema"])

    # Then
    printed = capsys.readouterr().out
    assert code == 0 and json.loads(printed) == portfolio_json_schema()
    assert COMMITTED.read_text() == printed, f"{COMMITTED.relative_to(ROOT)} is stale: run `loadmaster schema > schema/{SCHEMA_FILE}`"


@pytest.mark.parametrize("path", [*EXAMPLES, *CORPUS], ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_shipped_and_tested_portfolio_passes_the_schema(path):
    assert errors_of(yaml.safe_load(path.read_text())) == []


def test_the_scaffold_portfolio_passes_the_schema_and_names_it_for_the_editor():
    text = (SCAFFOLD / "portfolio.yaml").read_text()

    assert errors_of(yaml.safe_load(text)) == []
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_FILE}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_every_example_names_the_schema_for_the_editor(path):
    assert path.read_text().splitlines()[0] == f"# yaml-language-server: $schema=../schema/{SCHEMA_FILE}"


@pytest.fixture
def example() -> dict:
    return yaml.safe_load((ROOT / "examples" / "codegen-platform.yaml").read_text())


def test_a_misspelt_key_of_a_model_is_refused(example):
    # Given blockgen's per_copy misspelt
    blockgen = next(model for model in example["models"] if model["name"] == "blockgen")
    blockgen["per_cpy"] = blockgen.pop("per_copy")

    # Then its hosting's variant refuses the key by name
    assert "Additional properties are not allowed ('per_cpy' was unexpected)" in reasons_of(example)


def test_a_misspelt_top_level_key_is_refused_by_name(example):
    example["regoin"] = example.pop("region")

    assert errors_of(example) == ["Additional properties are not allowed ('regoin' was unexpected)"]


def test_a_key_of_another_hosting_is_refused(example):
    # Given the dedicated model with an inference component's copies
    inline = next(model for model in example["models"] if model["hosting"] == "dedicated")
    inline["copies"] = {"min": 1, "max": 2}

    assert "Additional properties are not allowed ('copies' was unexpected)" in reasons_of(example)


def test_a_hosting_loadmaster_does_not_have_is_refused(example):
    example["models"][0]["hosting"] = "shared"

    assert errors_of(example) != [] and "'auto' was expected" in reasons_of(example)


def test_the_schema_describes_each_key_with_its_default_and_unit():
    per_copy = portfolio_json_schema()["$defs"]["PerCopy"]["properties"]

    assert "at least 128" in per_copy["memory_mb"]["description"] and "MB" in per_copy["memory_mb"]["description"]
    assert "Default: 0" in per_copy["accelerators"]["description"]


def test_schema_text_ends_in_one_newline():
    assert schema_text().endswith("}\n")


def test_every_spec_class_a_portfolio_holds_is_known_by_name_for_the_union_branches_pydantic_names():
    from loadmaster.spec.base import Spec
    from loadmaster.spec.schema import Portfolio, PoolSpec, spec_classes

    # When pydantic names the branch of a union it tried, it names it by class: every class must be found
    found = spec_classes()
    assert {"Portfolio", "PoolSpec"} <= set(found) and found["PoolSpec"] is PoolSpec and found["Portfolio"] is Portfolio
    assert all(isinstance(cls, type) and issubclass(cls, Spec) and cls.__name__ == name for name, cls in found.items())
    # and the classes of the fields too, not only the top level's
    assert len(found) > 20
