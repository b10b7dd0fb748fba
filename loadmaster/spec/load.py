"""Reading a portfolio file into a validated `Portfolio`: the YAML reader, the schema, the whole-file checks, and every
problem they find raised once as a `PortfolioError` naming file, model and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from loadmaster.catalog import Catalog, load_catalog
from loadmaster.errors import PortfolioError, Problem
from loadmaster.spec.checks import Items, semantic_problems
from loadmaster.spec.pydantic_errors import kind, problems_from_pydantic
from loadmaster.spec.reader import read_yaml
from loadmaster.spec.schema import Portfolio


def load_portfolio(path: str | Path, catalog: Catalog | None = None) -> Portfolio:
    """Read and validate a portfolio file; raise `PortfolioError` with every problem found."""
    source = str(path)
    document, duplicate_keys = read_yaml(Path(path), source)
    try:
        portfolio = validate_portfolio(document, source, catalog or load_catalog())
    except PortfolioError as error:
        raise PortfolioError(source, duplicate_keys + error.problems) from None
    if duplicate_keys:
        raise PortfolioError(source, duplicate_keys)
    return portfolio


def validate_portfolio(document: Any, source: str, catalog: Catalog) -> Portfolio:
    if not isinstance(document, dict):
        raise PortfolioError(source, [Problem("", f"expected a mapping of portfolio keys, found {kind(document)}")])
    try:
        portfolio = Portfolio.model_validate(document)
    except ValidationError as error:
        # Report the whole-file checks too, on every pool and model that is well-formed by itself
        # or but for unknown keys (then only on the fields it does write: no "required" for a misspelt key).
        items = Items.well_formed(document)
        problems = problems_from_pydantic(error.errors(), document)
        problems += [problem for problem in semantic_problems(items, catalog) if items.written(problem.location, document)]
        raise PortfolioError(source, problems) from None
    problems = semantic_problems(Items.of(portfolio), catalog)
    if problems:
        raise PortfolioError(source, problems)
    return portfolio
