"""Seeded, generated portfolios of `hosting: auto` models: the benchmark's input and the packing tests'.

Sizes and traffic follow the shape of Salesforce's platform (FACTS.md, "The seeds' headline figures"): many
small models, medium 10-20 GB models with high, variable traffic, large 20-80 GB models with little traffic.
"""

from __future__ import annotations

import random
from typing import Any

from loadmaster.catalog import Catalog
from loadmaster.spec.load import validate_portfolio
from loadmaster.spec.schema import Portfolio

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
# (share of models, size range in GB, patterns with their weights, mean concurrency range, peak / mean range)
_KINDS = (
    (0.45, (0.5, 8.0), {"steady": 2, "variable": 3, "intermittent": 2, "batch": 1}, (0.2, 20.0), (1.5, 4.0)),
    (0.35, (10.0, 20.0), {"steady": 1, "variable": 3, "intermittent": 1, "batch": 1}, (2.0, 40.0), (1.5, 3.0)),
    (0.20, (20.0, 80.0), {"steady": 1, "variable": 1, "intermittent": 3, "batch": 1}, (0.1, 4.0), (2.0, 10.0)),
)
_LATENCY_OBJECTIVES_MS = (500, 2_000, 10_000, 600_000)


def generated_document(models: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    return {
        "version": 1,
        "name": f"bench-{models}-{seed}",
        "region": "us-east-1",
        "models": [_model(rng, index) for index in range(models)],
    }


def generated_portfolio(models: int, seed: int, catalog: Catalog) -> Portfolio:
    return validate_portfolio(generated_document(models, seed), f"<generated {models} models, seed {seed}>", catalog)


def _model(rng: random.Random, index: int) -> dict[str, Any]:
    _, sizes, patterns, means, bursts = rng.choices(_KINDS, weights=[kind[0] for kind in _KINDS])[0]
    pattern = rng.choices(list(patterns), weights=list(patterns.values()))[0]
    mean = round(rng.uniform(*means), 1)
    return {
        "name": f"model-{index:03d}",
        "image": IMAGE,
        "hosting": "auto",
        "size_gb": round(rng.uniform(*sizes), 1),
        "latency_slo_ms": rng.choice(_LATENCY_OBJECTIVES_MS),
        "traffic": {"pattern": pattern, "mean_concurrency": mean, "peak_concurrency": round(mean * rng.uniform(*bursts), 1)},
    }
