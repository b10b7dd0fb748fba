"""Givens for the planner tests: small portfolios written as Python dictionaries, validated and planned like a file."""

from __future__ import annotations

from typing import Any

from loadmaster.catalog import load_catalog
from loadmaster.plan import Plan
from loadmaster.planner.make import make_plan
from loadmaster.spec.load import validate_portfolio
from loadmaster.spec.schema import Portfolio

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"  # cu124: GPUs only
UNTAGGED = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bert-classifier:latest"  # says nothing of its hardware


def auto_model(name: str, size_gb: float = 15, pattern: str = "variable", mean: float = 10, peak: float = 20, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, "hosting": "auto", "size_gb": size_gb,
            "traffic": {"pattern": pattern, "mean_concurrency": mean, "peak_concurrency": peak}, **fields}


def portfolio_of(models: list[dict[str, Any]], pools: list[dict[str, Any]] | None = None, **fields: Any) -> Portfolio:
    document = {"version": 1, "name": "test", "region": "us-east-1", "models": models, "pools": pools or [], **fields}
    return validate_portfolio(document, "test.yaml", load_catalog())


def plan_of(models: list[dict[str, Any]], pools: list[dict[str, Any]] | None = None, **fields: Any) -> Plan:
    return make_plan(portfolio_of(models, pools, **fields), "test.yaml", load_catalog())

