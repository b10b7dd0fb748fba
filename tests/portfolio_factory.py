"""Large, valid portfolios generated from a seed, for the tests of stack splitting and rehearsal at scale."""

from __future__ import annotations

import math
import random
from typing import Any

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
# ml.g5.48xlarge: 8 accelerators, 192 vCPUs, 768 GiB (FACTS.md, "Instance catalog").
POOL_INSTANCE = ("ml.g5.48xlarge", 8)


def large_portfolio(models: int, *, pool_sizes: tuple[int, ...], seed: int = 0, name: str = "fleet") -> dict[str, Any]:
    """A portfolio of `models` models: one pool per entry of `pool_sizes` with that many inference components,
    the rest on dedicated endpoints. Scaling varies with the seed: target tracking, scale to zero, or none."""
    if sum(pool_sizes) > models:
        raise ValueError(f"pools hold {sum(pool_sizes)} models, more than the {models} asked for")
    rng = random.Random(seed)
    instance_type, accelerators = POOL_INSTANCE
    pools, entries = [], []
    for pool_index, size in enumerate(pool_sizes):
        pool = f"pool-{pool_index:02d}"
        components = [_component(rng, f"{pool}-m{index:03d}", pool) for index in range(size)]
        copies = sum(max(component["copies"]["min"], 1) for component in components)
        # Room for every copy at creation, so that the endpoint can place them all without waiting for scaling,
        # and for every copy at once at the peak (one accelerator each).
        least = math.ceil(copies / accelerators)
        most = math.ceil(sum(component["copies"]["max"] for component in components) / accelerators)
        pools.append({"name": pool, "instance_type": instance_type, "instances": {"min": least, "max": max(most, least)}})
        entries += components
    entries += [_dedicated(rng, f"solo-{index:03d}") for index in range(models - sum(pool_sizes))]
    return {"version": 1, "name": name, "region": "us-east-1", "tags": {"team": "fleet"}, "pools": pools, "models": entries}


def _component(rng: random.Random, name: str, pool: str) -> dict[str, Any]:
    low = rng.choice([0, 1, 1, 2])
    scaling: Any = rng.choice([{"metric": "concurrent-requests-per-copy", "target": rng.randint(1, 8)}, {"metric": "invocations-per-copy", "target": 100}])
    if low > 0 and rng.random() < 0.2:
        scaling = "none"
    return {
        "name": name,
        "image": IMAGE,
        "artifact": f"s3://fleet-models/{name}/model.tar.gz",
        "pool": pool,
        "per_copy": {"accelerators": 1, "memory_mb": rng.choice([8192, 16384, 24576]), "cpu_cores": rng.choice([2, 4])},
        "copies": {"min": low, "max": low if scaling == "none" else low + rng.randint(1, 3)},
        "scaling": scaling,
    }


def _dedicated(rng: random.Random, name: str) -> dict[str, Any]:
    low = rng.randint(1, 2)
    return {
        "name": name,
        "image": IMAGE,
        "artifact": f"s3://fleet-models/{name}/model.tar.gz",
        "hosting": "dedicated",
        "instance_type": rng.choice(["ml.g5.xlarge", "ml.g5.2xlarge"]),
        "instances": {"min": low, "max": low + rng.randint(0, 4)},
        "scaling": {"metric": "concurrent-requests-per-model", "target": rng.randint(2, 20)},
    }
