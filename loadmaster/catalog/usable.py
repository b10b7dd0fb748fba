"""What a copy can really have of an instance: every usable-memory figure and every reserve, in one place.

- *Accelerator memory*: the catalog lists each device's memory as its maker sells it, in GB; a process is given
  less, in GiB. Where measured, the figure is the total `nvidia-smi` reports per device (modal-labs/modal-client
  PR 2797: A10G 23028 MiB, L4 23034 MiB, L40S 46068 MiB, A100 40 GB 40960 MiB, A100 80 GB 81920 MiB,
  H100 81559 MiB, T4 15360 MiB). Any other device counts its sold GB as 10^9 bytes, in GiB: at or below every
  measured total, so a model sized for it really has its headroom.
- *Host memory and CPU*: SageMaker's agents, the OS and the container runtime keep part of every instance.
  SageMaker documents no figure (neither CreateInferenceComponent nor InferenceComponentComputeResourceRequirements
  says how much of an instance a copy may reserve), so these are loadmaster's defaults, which a portfolio
  overrides with `reserve:`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from loadmaster.catalog import InstanceType

BYTES_PER_GB = 10**9
BYTES_PER_GIB = 2**30

# MiB a process sees per device, by accelerator and sold GB (modal-labs/modal-client PR 2797, nvidia-smi totals).
_MEASURED_DEVICE_MIB = {
    ("NVIDIA A10G", 24): 23028,
    ("NVIDIA L4", 24): 23034,
    ("NVIDIA L40S", 48): 46068,
    ("NVIDIA T4", 16): 15360,
    ("NVIDIA A100", 40): 40960,
    ("NVIDIA A100 80GB", 80): 81920,
    ("NVIDIA H100", 80): 81559,
}

def usable_accelerator_memory_gib(instance: "InstanceType") -> float:
    """GiB of one accelerator's memory that a process is given."""
    measured = _MEASURED_DEVICE_MIB.get((instance.accelerator, instance.accelerator_memory_gib))
    if measured is not None:
        return measured / 1024
    return instance.accelerator_memory_gib * BYTES_PER_GB / BYTES_PER_GIB


class Reserve(BaseModel):
    """What every instance keeps for SageMaker's agents, the OS and the container runtime (`reserve:`).

    Our defaults, not AWS figures: SageMaker documents none. A copy may reserve what is left.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    host_memory_percent: float = Field(default=10.0, ge=0, lt=100, description="Percent of each instance's host memory no copy may reserve. Default: 10.")
    cpu_percent: float = Field(default=5.0, ge=0, lt=100, description="Percent of each instance's vCPUs no copy may reserve. Default: 5.")

    def describe(self) -> str:
        return f"{self.host_memory_percent:g} % of host memory and {self.cpu_percent:g} % of vCPUs are kept for SageMaker, the OS and the container runtime (`reserve:`)"


DEFAULT_RESERVE = Reserve()


def usable_memory_mb(instance: "InstanceType") -> int:
    """MiB of host memory the copies on one instance may reserve in all."""
    return math.floor(instance.memory_mb * (1 - instance.reserve.host_memory_percent / 100))


def usable_vcpu(instance: "InstanceType") -> float:
    """vCPUs the copies on one instance may reserve in all."""
    return round(instance.vcpu * (1 - instance.reserve.cpu_percent / 100), 6)
