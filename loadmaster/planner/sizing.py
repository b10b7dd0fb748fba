"""What one copy of a model reserves on an instance, and how many copies its traffic needs.

A copy's reservation is the user's `per_copy` when written; otherwise it is derived from the weights' size
(`size_gb`) for each instance type the planner may choose, because the number of GPUs a copy needs depends
on the GPU's memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from loadmaster.catalog import CPU, Catalog, InstanceType
from loadmaster.hostings.inference_component import PerCopy
from loadmaster.limits import MIN_MEMORY_PER_COPY_MB
from loadmaster.planner.devices import Devices, model_devices
from loadmaster.scaling import DEFAULT_TARGET_CONCURRENCY
from loadmaster.spec.base import CountRange, ModelSpec

# Accelerator memory to serve a model = weights x 1.2: a 20 % overhead for the KV cache, activation buffers and
# the serving framework (BentoML, "Calculating GPU memory for serving LLMs": Memory = P x Q/8 x (1 + overhead),
# with 20 % as the worked example). A default for when the user writes no `per_copy`, not a measurement.
WEIGHTS_OVERHEAD = 1.2
# Host memory reserved per derived copy: the same factor, to stage the weights on their way to the GPUs.
HOST_MEMORY_OVERHEAD = 1.2
# CPU cores reserved per accelerator of a derived copy (tokenization, the model server). Our default, chosen so
# that a one-GPU copy fits the smallest GPU instances (4 vCPUs); override it with `per_copy.cpu_cores`.
CPU_CORES_PER_ACCELERATOR = 2
# CPU cores reserved per derived copy of a model served on CPU: one, so that a copy fits the smallest CPU instances
# (ml.c5.large, ml.m5.large: 2 vCPUs, of which the reserve leaves 1.9). Our default, not a measurement: override it
# with `per_copy.cpu_cores`.
CPU_CORES_PER_CPU_COPY = 1
# Measured in AWS's scale-to-zero blog: about 5 minutes from zero copies to serving again (FACTS.md, "Scale to
# zero"). A model whose latency objective is shorter must keep a copy warm.
COLD_START_MS = 5 * 60 * 1000

BYTES_PER_GB = 10**9
BYTES_PER_GIB = 2**30
BYTES_PER_MIB = 2**20


@dataclass(frozen=True)
class Demand:
    """The compute one copy reserves: the three dimensions copies are packed by."""

    accelerators: int
    memory_mb: int
    cpu_cores: float

    def fits(self, instance: InstanceType) -> bool:
        return all(need <= have for need, have in zip(self.vector(), capacity(instance)))

    def vector(self) -> tuple[float, float, float]:
        return (self.accelerators, self.memory_mb, self.cpu_cores)

    def share_of(self, instance: InstanceType) -> float:
        """The largest fraction of any one resource of the instance that a copy takes."""
        return max(need / have for need, have in zip(self.vector(), capacity(instance)) if have)


def capacity(instance: InstanceType) -> tuple[float, float, float]:
    """What the copies on one instance may reserve in all: its accelerators, and host memory and vCPUs less what
    SageMaker, the OS and the container runtime keep (`loadmaster.catalog.usable`)."""
    return (instance.accelerators, instance.usable_memory_mb, instance.usable_vcpu)


def explicit_demand(per_copy: PerCopy) -> Demand:
    # Without NumberOfCpuCoresRequired SageMaker reserves no CPU for the copy, so it packs as zero.
    return Demand(per_copy.accelerators, per_copy.memory_mb, per_copy.cpu_cores or 0.0)


def accelerator_memory_needed_gib(size_gb: float) -> float:
    return size_gb * BYTES_PER_GB / BYTES_PER_GIB * WEIGHTS_OVERHEAD


def derived_demand(size_gb: float, instance: InstanceType) -> Demand | None:
    """The smallest copy of a `size_gb` model on `instance`, or None when one copy cannot fit it."""
    if not instance.accelerators or not instance.accelerator_memory_gib:
        return None  # weights are sized for accelerator memory here; derived_cpu_demand sizes copies served on CPU
    accelerators = accelerators_needed(accelerator_memory_needed_gib(size_gb), instance)
    memory_mb = max(MIN_MEMORY_PER_COPY_MB, math.ceil(size_gb * BYTES_PER_GB / BYTES_PER_MIB * HOST_MEMORY_OVERHEAD))
    demand = Demand(accelerators, memory_mb, float(CPU_CORES_PER_ACCELERATOR * accelerators))
    return demand if demand.fits(instance) else None


def accelerators_needed(memory_gib: float, instance: InstanceType) -> int:
    """Accelerators of `instance` whose usable memory holds `memory_gib`, a power of two."""
    return _power_of_two_at_least(math.ceil(memory_gib / instance.usable_accelerator_memory_gib))


def derived_cpu_demand(size_gb: float, instance: InstanceType) -> Demand | None:
    """The smallest copy of a `size_gb` model served on the CPU of `instance`: the weights in host memory."""
    memory_mb = max(MIN_MEMORY_PER_COPY_MB, math.ceil(size_gb * BYTES_PER_GB / BYTES_PER_MIB * HOST_MEMORY_OVERHEAD))
    demand = Demand(0, memory_mb, float(CPU_CORES_PER_CPU_COPY))
    return demand if demand.fits(instance) else None


def _power_of_two_at_least(count: int) -> int:
    # Tensor parallelism splits attention heads evenly across GPUs; serving frameworks take degrees of 1, 2, 4, 8.
    return 1 << max(count - 1, 0).bit_length()


def is_candidate(instance: InstanceType, devices: Devices) -> bool:
    """An instance type the planner may choose: priced, and of hardware the model runs on (`loadmaster.planner.devices`)."""
    return bool(instance.price_usd_per_hour) and instance.device in devices


def demands_by_type(model: ModelSpec, catalog: Catalog, only: str | None = None, devices: Devices | None = None) -> dict[str, Demand]:
    """A copy's demand on every instance type it may run on (just `only` when the type is already fixed)."""
    names = [only] if only else sorted(catalog.instance_types)
    devices = devices or model_devices(model, catalog[only] if only else None)
    demands = {}
    for name in names:
        instance = catalog[name]
        if only is None and not is_candidate(instance, devices):
            continue
        demand = _demand_on(model, instance, check_weights=only is None)
        if demand is not None:
            demands[name] = demand
    return demands


def _demand_on(model: ModelSpec, instance: InstanceType, check_weights: bool) -> Demand | None:
    if model.per_copy is None:
        if model.size_gb is None:
            return None
        return derived_cpu_demand(model.size_gb, instance) if instance.device == CPU else derived_demand(model.size_gb, instance)
    demand = explicit_demand(model.per_copy)
    if not demand.fits(instance):
        return None
    if check_weights and model.size_gb is not None and demand.accelerators:
        # Where the planner picks the type, the weights must fit the GPUs the user reserved per copy.
        if demand.accelerators * instance.usable_accelerator_memory_gib < accelerator_memory_needed_gib(model.size_gb):
            return None
    return demand


@dataclass(frozen=True)
class Counts:
    """Copies (or instances) at the floor, at mean traffic and at peak traffic."""

    min: int
    expected: int
    peak: int


def concurrency_per_unit(model: ModelSpec) -> float | None:
    """Concurrent requests one copy (or one dedicated instance) serves at its scaling target.

    Concurrency targets are that number (the default target when the model says nothing). Invocation targets are
    per minute: by Little's law a unit at the target holds target x latency / 60 s requests, with the latency
    objective as the latency; unknown without one, and without autoscaling.
    """
    if model.scaling is None:
        return DEFAULT_TARGET_CONCURRENCY
    if model.scaling == "none":
        return None
    if model.scaling.metric.startswith("concurrent-requests"):
        return model.scaling.target
    if model.latency_slo_ms is None:
        return None
    return model.scaling.target * model.latency_slo_ms / 60_000


def unit_counts(model: ModelSpec, explicit: CountRange | None, may_scale_to_zero: bool) -> tuple[Counts, list[str]]:
    """Copies of an inference component (or instances of a dedicated endpoint) at floor, mean and peak traffic.

    What the user wrote wins: explicit `min`/`max` bound every count. Otherwise the floor follows the traffic
    pattern (steady: what mean traffic needs; variable: 1; intermittent or batch: 0 where scale to zero is possible
    and the latency objective tolerates a cold start) and the peak is what peak traffic needs.
    """
    traffic = model.traffic
    per_unit = concurrency_per_unit(model)
    notes: list[str] = []

    def needed(concurrency: float) -> int | None:
        return math.ceil(concurrency / per_unit) if per_unit and traffic else None

    if model.scaling == "none":
        # Without autoscaling the count stays where it starts.
        fixed = max(explicit.min, 1) if explicit else 1
        return Counts(fixed, fixed, fixed), notes
    at_mean = needed(traffic.mean_concurrency) if traffic else None
    at_peak = needed(traffic.peak_concurrency) if traffic else None
    if traffic and per_unit is None:
        notes.append("traffic not converted to counts: an invocations target needs latency_slo_ms")
    if explicit:
        floor = explicit.min
        peak = explicit.max if at_peak is None else min(max(at_peak, floor), explicit.max)
        if at_peak is not None and at_peak > explicit.max:
            notes.append(f"peak traffic needs {at_peak} but max is {explicit.max}: the model cannot reach its peak")
    else:
        floor = _floor(model, at_mean, may_scale_to_zero)
        peak = max(floor, at_peak or 1)
    # Without traffic to convert, nothing is invented: the count at "mean" is the floor (`mean_is_stated`).
    expected = floor if at_mean is None else min(max(at_mean, floor), peak)
    return Counts(floor, expected, peak), notes


def mean_is_stated(model: ModelSpec) -> bool:
    """Whether a model's count at mean traffic comes from its traffic (or is fixed without autoscaling), rather
    than being its floor for want of traffic to convert."""
    return model.scaling == "none" or (model.traffic is not None and concurrency_per_unit(model) is not None)


def _floor(model: ModelSpec, at_mean: int | None, may_scale_to_zero: bool) -> int:
    pattern = model.traffic.pattern if model.traffic else None
    if pattern == "steady" and at_mean is not None:
        return max(at_mean, 1)
    tolerates_cold_start = model.latency_slo_ms is None or model.latency_slo_ms >= COLD_START_MS
    if pattern in ("intermittent", "batch") and may_scale_to_zero and tolerates_cold_start:
        return 0
    return 1
