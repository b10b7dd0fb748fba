"""Fixtures of the planner tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from loadmaster.catalog import load_catalog
from loadmaster.cli import main


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture
def plan_json(tmp_path, capsys):
    """`loadmaster plan --format json` of a portfolio of `models`, `pools` and other `fields`, written as YAML: the JSON document, or
    when the portfolio is refused (exit code 2, nothing on stdout) its problems, each without the file's name."""

    def planned(models: list[dict[str, Any]], pools: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any] | list[str]:
        path = tmp_path / "portfolio.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "name": "t", "region": "us-east-1", "pools": pools or [], "models": models, **fields}))
        code = main(["plan", str(path), "--format", "json"])
        out, err = capsys.readouterr()
        if code:
            assert (code, out) == (2, "")
            return [line.removeprefix(f"{path}: ") for line in err.splitlines()]
        return json.loads(out)

    return planned
