"""The instance catalog: what each SageMaker hosting instance type offers and costs, each figure with its source.

The data lives in `instances.json` beside this file: every value of botocore's `ProductionVariantInstanceType` enum
(tests/test_catalog.py keeps it so), each accelerator model described once under `accelerators`.
`loadmaster catalog refresh` rebuilds its prices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Mapping

from loadmaster.errors import PortfolioError, Problem

from loadmaster.catalog.usable import (
    DEFAULT_RESERVE,
    Reserve,
    usable_accelerator_memory_gib,
    usable_memory_mb,
    usable_vcpu,
)

CATALOG_FILE = Path(__file__).with_name("instances.json")
# A month of an always-on instance is 730 hours (24 x 365 / 12), as the AWS Pricing Calculator's monthly estimates
# and cost tools built on AWS prices count it (infracost issue 1556; docs/aws-facts.md): every hourly figure
# loadmaster prints becomes a monthly one, and a monthly one (a batch transform's runs) an hourly one, at this rate.
HOURS_PER_MONTH = 730
SCHEMA = 2
NVIDIA_GPU, NEURON, GAUDI = "nvidia-gpu", "neuron", "gaudi"
ACCELERATOR_KINDS = (NVIDIA_GPU, NEURON, GAUDI)
MIB_PER_GIB = 1024


# The hardware a model can run on, as the portfolio's `devices` names it: NVIDIA GPUs, NEURON (the accelerator kind
# of Inferentia and Trainium, and its device name too), or CPU only.
GPU, CPU = "gpu", "cpu"
# Families reported not to take inference components (*unverified*: we found no AWS document that lists them, and
# SageMaker's API enums accept them). The planner does not choose them for a pool; a pool written on one is kept,
# with a note in the plan. Dedicated endpoints on them are unaffected.
NO_INFERENCE_COMPONENT_FAMILIES = frozenset({"m5", "m5d", "c5", "c5d", "p2"})


class CatalogError(ValueError):
    """A catalog file that cannot be used, with the one-line reason."""


@dataclass(frozen=True)
class InstanceType:
    """One SageMaker ML instance type as the catalog knows it."""

    name: str
    accelerators: int
    accelerator: str | None
    accelerator_memory_gib: float  # per device, as its maker sells it (GB): see usable_accelerator_memory_gib
    vcpu: int
    memory_gib: float  # fractional where EC2's is (ml.c4.large: 3.75 GiB)
    nvme_storage_gb: int
    price_usd_per_hour: float | None
    price_source: str | None
    accelerator_kind: str | None = None  # one of ACCELERATOR_KINDS; None for CPU-only types
    price_is_estimate: bool = False
    price_source_title: str | None = None
    reserve: Reserve = DEFAULT_RESERVE  # what the instance keeps for itself (loadmaster/catalog/usable.py)

    @property
    def memory_mb(self) -> int:
        """Host memory in MiB, the unit of an inference component's MinMemoryRequiredInMb."""
        return int(self.memory_gib * MIB_PER_GIB)

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
    def has_local_nvme(self) -> bool:
        """SageMaker refuses a KMS key on endpoint configs of these (FACTS.md, sagemaker-python-sdk issue 3677)."""
        return self.nvme_storage_gb > 0

    @property
    def family(self) -> str:
        return self.name.split(".")[1]

    @property
    def device(self) -> str:
        """What a model runs on here: NVIDIA GPUs, AWS Neuron accelerators (Inferentia, Trainium), CPU only, or for
        other accelerators (Gaudi on ml.dl1) their kind, which no model's `devices` lists: never chosen."""
        return {None: CPU, NVIDIA_GPU: GPU}.get(self.accelerator_kind, self.accelerator_kind)

    @property
    def hosts_inference_components(self) -> bool:
        return self.family not in NO_INFERENCE_COMPONENT_FAMILIES

    def describe_accelerators(self) -> str:
        unit = "GPU" if self.accelerator_kind == NVIDIA_GPU else "accelerator"
        return f"{self.accelerators} {unit}{'' if self.accelerators == 1 else 's'}"


@dataclass(frozen=True)
class Catalog:
    instance_types: Mapping[str, InstanceType]
    sources: Mapping[str, Mapping[str, object]]
    region: str | None = None  # the region its prices are for (instances.json `region`)

    def __contains__(self, name: str) -> bool:
        return name in self.instance_types

    def __getitem__(self, name: str) -> InstanceType:
        return self.instance_types[name]

    def with_prices(self, prices: Mapping[str, float], source: str) -> "Catalog":
        """A copy whose prices for the given instance types are replaced (a portfolio's `prices:`)."""
        updated = dict(self.instance_types)
        for name, price in prices.items():
            updated[name] = replace(updated[name], price_usd_per_hour=price, price_source=source,
                                    price_is_estimate=False, price_source_title=source)
        return Catalog(updated, self.sources, self.region)

    def with_reserve(self, reserve: Reserve) -> "Catalog":
        """A copy whose instance types keep `reserve` for themselves (a portfolio's `reserve:`)."""
        return Catalog({name: replace(instance, reserve=reserve) for name, instance in self.instance_types.items()}, self.sources, self.region)


@cache
def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    """The catalog in `path`; CatalogError (one line, naming the instance type or field) when it cannot be used."""
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(f"cannot read it: {error}") from None
    except json.JSONDecodeError as error:
        raise CatalogError(f"not JSON: {error}") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        found = document.get("schema") if isinstance(document, dict) else None
        raise CatalogError(f"schema {found!r} is not the supported instance catalog schema {SCHEMA}")
    sources, accelerators, rows = document.get("sources", {}), document.get("accelerators", {}), document.get("instances")
    if not isinstance(rows, list):
        raise CatalogError(f"'instances' must be a list, found {type(rows).__name__}")
    instance_types = {}
    for index, row in enumerate(rows):
        where = row.get("instance_type", f"instances[{index}]") if isinstance(row, dict) else f"instances[{index}]"
        try:
            instance = _instance_type(row, accelerators, sources)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise CatalogError(f"{where}: {_reason(error)}") from None
        if instance.name in instance_types:
            raise CatalogError(f"{where}: listed twice")
        instance_types[instance.name] = instance
    region = document.get("region")
    return Catalog(instance_types, sources, region if isinstance(region, str) else None)


def catalog_from(path: str | Path | None) -> Catalog:
    """The catalog in `path` (the shipped one when None): what `plan`, `validate`, `synth` and `cdk synth -c catalog=FILE`
    all price and check with, so a plan never shows what cannot be synthesized. A bad file is bad input (exit 2)."""
    try:
        return load_catalog(Path(path)) if path else load_catalog()
    except CatalogError as error:
        raise PortfolioError(str(path), [Problem("", f"not a readable instance catalog: {error}")]) from None


def _instance_type(row: dict[str, Any], accelerators: Mapping[str, Any], sources: Mapping[str, Any]) -> InstanceType:
    model = row["accelerator"]
    accelerator = accelerators[model] if model is not None else None
    if accelerator is not None and accelerator["kind"] not in ACCELERATOR_KINDS:
        raise ValueError(f"accelerator {model!r} has kind {accelerator['kind']!r}, not one of {', '.join(ACCELERATOR_KINDS)}")
    if accelerator is None and row["accelerators"] != 0:
        raise ValueError(f"{row['accelerators']!r} accelerators but no accelerator model")
    price_source = row["sources"]["price_usd_per_hour"]
    source = sources[price_source] if price_source is not None else {}
    price = row["price_usd_per_hour"]
    if price is not None and price_source is None:
        raise ValueError("a price_usd_per_hour needs its source (sources.price_usd_per_hour)")
    return InstanceType(
        name=row["instance_type"],
        accelerators=_count(row, "accelerators", minimum=1 if accelerator else 0),
        accelerator=model,
        accelerator_memory_gib=_amount(accelerator, "memory_gib") if accelerator else 0,
        vcpu=_count(row, "vcpu", minimum=1),
        memory_gib=_amount(row, "memory_gib"),
        nvme_storage_gb=_count(row, "nvme_storage_gb", minimum=0),
        price_usd_per_hour=None if price is None else _amount(row, "price_usd_per_hour"),
        price_source=price_source,
        accelerator_kind=accelerator["kind"] if accelerator else None,
        price_is_estimate=bool(source.get("estimate", False)),
        price_source_title=source.get("title"),
    )


def _count(entry: Mapping[str, Any], field: str, minimum: int) -> int:
    value = entry[field]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{field} must be a whole number of at least {minimum}, found {value!r}")
    return value


def _amount(entry: Mapping[str, Any], field: str) -> int | float:
    value = entry[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{field} must be a positive number, found {value!r}")
    return value


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing or unknown {error}"
    return str(error)
