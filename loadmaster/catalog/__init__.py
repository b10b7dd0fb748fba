"""The instance catalog: what each SageMaker instance type offers and costs, each figure with its source.

The data lives in `instances.json` beside this file; `loadmaster catalog refresh` rebuilds its prices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Mapping

from loadmaster.catalog.usable import (
    DEFAULT_RESERVE,
    Reserve,
    accelerator_kind,
    usable_accelerator_memory_gib,
    usable_memory_mb,
    usable_vcpu,
)

CATALOG_FILE = Path(__file__).with_name("instances.json")


@dataclass(frozen=True)
class InstanceType:
    """One SageMaker ML instance type as the catalog knows it."""

    name: str
    accelerators: int
    accelerator: str | None
    accelerator_memory_gib: int  # per device, as its maker sells it (GB): see usable_accelerator_memory_gib
    vcpu: int
    memory_gib: int
    nvme_storage_gb: int
    price_usd_per_hour: float | None
    price_source: str | None
    reserve: Reserve = DEFAULT_RESERVE  # what the instance keeps for itself (loadmaster/catalog/usable.py)

    @property
    def memory_mb(self) -> int:
        """Host memory in MiB, the unit of an inference component's MinMemoryRequiredInMb."""
        return self.memory_gib * 1024

    # What copies may really reserve: every reserve and usable figure lives in loadmaster/catalog/usable.py.
    @property
    def usable_memory_mb(self) -> int:
        return usable_memory_mb(self)

    @property
    def usable_vcpu(self) -> float:
        return usable_vcpu(self)

    @property
    def usable_accelerator_memory_gib(self) -> float:
        return usable_accelerator_memory_gib(self)

    @property
    def accelerator_kind(self) -> str | None:
        return accelerator_kind(self)

    @property
    def has_local_nvme(self) -> bool:
        """SageMaker refuses a KMS key on endpoint configs of these (FACTS.md, sagemaker-python-sdk issue 3677)."""
        return self.nvme_storage_gb > 0

    @property
    def family(self) -> str:
        return self.name.split(".")[1]

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

    def with_reserve(self, reserve: Reserve) -> "Catalog":
        """A copy whose instance types keep `reserve` for themselves (a portfolio's `reserve:`)."""
        return Catalog({name: replace(instance, reserve=reserve) for name, instance in self.instance_types.items()}, self.sources)


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
