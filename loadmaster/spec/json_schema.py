"""The portfolio's JSON Schema, for editors to complete and check portfolio files (`loadmaster schema`; the
repository keeps a copy in schema/portfolio.schema.json, `loadmaster init` writes one beside a team's portfolio).

It is pydantic's schema of `Portfolio`: each hosting's model is one branch of a `oneOf`, told apart by its `hosting`
constant, each with `additionalProperties: false`. What needs the whole file (pool references, fit on the catalog,
regions) only `loadmaster validate` checks.
"""

from __future__ import annotations

import json
import re
from typing import Any

from loadmaster.spec.schema import Portfolio

SCHEMA_FILE = "portfolio.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def portfolio_json_schema() -> dict[str, Any]:
    schema = _portable(Portfolio.model_json_schema())
    return {"$schema": DRAFT, **schema}


def schema_text() -> str:
    """The schema as the file holds it: stable key order, two-space indents, a final newline."""
    return json.dumps(portfolio_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _portable(node: Any) -> Any:
    """Patterns without Python's named groups (`(?P<region>...)`): editors read ECMAScript regular expressions,
    which spell them otherwise, and plain groups mean the same in both."""
    if isinstance(node, dict):
        return {key: re.sub(r"\(\?P<\w+>", "(", value) if key == "pattern" and isinstance(value, str) else _portable(value)
                for key, value in node.items()}
    if isinstance(node, list):
        return [_portable(item) for item in node]
    return node
