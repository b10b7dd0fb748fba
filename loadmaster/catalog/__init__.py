"""The instance catalog: what each SageMaker instance type offers and costs, each figure with its source.

The data lives in `instances.json` beside this file; `loadmaster catalog refresh` rebuilds its prices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Mapping

CATALOG_FILE = Path(__file__).with_name("instances.json")

# The hardware a model can run on, as the portfolio's `devices` names it.
GPU, NEURON, CPU = "gpu", "neuron", "cpu"
# Families reported not to take inference components (*unverified*: we found no AWS document that lists them, and
# SageMaker's API enums accept them). The planner does not choose them for a pool; a pool written on one is kept,
# with a note in the plan. Dedicated endpoints on them are unaffected.
NO_INFERENCE_COMPONENT_FAMILIES = frozenset({"m5", "m5d", "c5", "c5d", "p2"})


@dataclass(frozen=True)
class InstanceType:
    """One SageMaker ML instance type as the catalog knows it."""

    name: str
    accelerators: int
    accelerator: str | None
    accelerator_memory_gib: int
    vcpu: int
    memory_gib: int
    nvme_storage_gb: int
    price_usd_per_hour: float | None
    price_source: str | None

    @property
    def memory_mb(self) -> int:
        """Host memory in MiB, the unit of an inference component's MinMemoryRequiredInMb."""
        return self.memory_gib * 1024

    @property
    def has_local_nvme(self) -> bool:
        """SageMaker refuses a KMS key on endpoint configs of these (FACTS.md, sagemaker-python-sdk issue 3677)."""
        return self.nvme_storage_gb > 0

    @property
    def family(self) -> str:
        return self.name.split(".")[1]

    @property
    def device(self) -> str:
        """What a model runs on here: NVIDIA GPUs, AWS Neuron accelerators (Inferentia, Trainium), CPU only, or for
        other accelerators (Habana Gaudi on ml.dl1) their name, which no model's `devices` lists: never chosen."""
        accelerator = self.accelerator or ""
        if not self.accelerators:
            return CPU
        if accelerator.startswith("NVIDIA"):
            return GPU
        if "Inferentia" in accelerator or "Trainium" in accelerator:
            return NEURON
        return accelerator or "unnamed accelerator"

    @property
    def hosts_inference_components(self) -> bool:
        return self.family not in NO_INFERENCE_COMPONENT_FAMILIES

    def describe_accelerators(self) -> str:
        unit = "GPU" if self.accelerator and "NVIDIA" in self.accelerator else "accelerator"
        return f"{self.accelerators} {unit}{'' if self.accelerators == 1 else 's'}"


@dataclass(frozen=True)
class Catalog:
    instance_types: Mapping[str, InstanceType]
    sources: Mapping[str, Mapping[str, object]]

    def __contains__(self, name: str) -> bool:
        return name in self.instance_types

    def __getitem__(self, name: str) -> InstanceType:
        return self.instance_types[name]

    def with_prices(self, prices: Mapping[str, float], source: str) -> "Catalog":
        """A copy whose prices for the given instance types are replaced (a portfolio's `prices:`)."""
        updated = dict(self.instance_types)
        for name, price in prices.items():
            updated[name] = replace(updated[name], price_usd_per_hour=price, price_source=source)
        return Catalog(updated, self.sources)


@cache
def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    document = json.loads(Path(path).read_text())
    instance_types = {
        row["instance_type"]: InstanceType(
            name=row["instance_type"],
            accelerators=row["accelerators"],
            accelerator=row["accelerator"],
            accelerator_memory_gib=row["accelerator_memory_gib"],
            vcpu=row["vcpu"],
            memory_gib=row["memory_gib"],
            nvme_storage_gb=row["nvme_storage_gb"],
            price_usd_per_hour=row["price_usd_per_hour"],
            price_source=row["sources"]["price_usd_per_hour"],
        )
        for row in document["instances"]
    }
    return Catalog(instance_types, document["sources"])
