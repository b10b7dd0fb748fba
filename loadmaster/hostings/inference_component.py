"""`hosting: inference-component`: copies of the model on a shared endpoint (a pool), each reserving its compute."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from loadmaster import limits
from loadmaster.catalog import Catalog
from loadmaster.errors import Problem
from loadmaster.spec.base import HOSTING_DESCRIPTION, CountRange, ModelSpec, Name, Network, Scaling, Spec

HOSTING = "inference-component"
INFERENCE_COMPONENT_METRICS = ("concurrent-requests-per-copy", "invocations-per-copy")


class PoolSpec(Spec):
    """A shared inference-component endpoint."""

    name: Name = Field(description="The pool's name; its endpoint is named PORTFOLIO-NAME.")
    instance_type: str | None = Field(default=None, description="The instance type, such as ml.g5.12xlarge. Default: the planner chooses.")
    instances: CountRange | None = Field(default=None, description="Instances at least and at most (min may be 0: scale to zero). Default: the planner chooses.")
    routing: Literal["least-outstanding-requests", "random"] = Field(default="least-outstanding-requests", description=(
        "How the endpoint routes requests among copies. Default: least-outstanding-requests."))
    network: Network | None = Field(default=None, description="The VPC the instances run in. Default: SageMaker's network.")
    ssm_access: bool = Field(default=False, description="Lets operators open an SSM session on the instances. Default: false.")


class PerCopy(Spec):
    """Compute reserved for each copy of an inference component (ComputeResourceRequirements)."""

    accelerators: int = Field(default=0, ge=0, le=64, description="GPUs or Neuron devices per copy (0: runs on CPU). Default: 0.")
    memory_mb: int = Field(ge=limits.MIN_MEMORY_PER_COPY_MB, le=limits.MAX_MEMORY_PER_COPY_MB, description=(
        f"Host memory per copy in MB, at least {limits.MIN_MEMORY_PER_COPY_MB}."))
    cpu_cores: float | None = Field(default=None, ge=limits.MIN_CPU_CORES_PER_COPY, le=1024, description=(
        f"CPU cores per copy, at least {limits.MIN_CPU_CORES_PER_COPY:g}. Default: SageMaker's choice."))


class InferenceComponentScaling(Scaling):
    metric: Literal["concurrent-requests-per-copy", "invocations-per-copy"] = Field(description=(
        "concurrent-requests-per-copy (high-resolution, 10 s) or invocations-per-copy (per minute)."))


class InferenceComponentFields(ModelSpec):
    """The keys only an inference component has (an `auto` model may write them too: they decide its hosting)."""

    pool: str | None = Field(default=None, description="The pool the copies run on. Default: the planner places the model.")
    per_copy: PerCopy | None = Field(default=None, description="Compute reserved per copy. Default: derived from size_gb.")
    copies: CountRange | None = Field(default=None, description="Copies at least and at most (min 0: scale to zero). Default: the planner's.")


class InferenceComponentModel(InferenceComponentFields):
    """A model hosted as an inference component (the default hosting)."""

    hosting: Literal["inference-component"] = Field(default="inference-component", description=HOSTING_DESCRIPTION)
    scaling: InferenceComponentScaling | Literal["none"] | None = Field(default=None, description=(
        "Target tracking on the copies; none turns autoscaling off. Default: concurrent-requests-per-copy at the planner's target."))
    # A dedicated endpoint's keys, which an inference component does not have.
    instance_type: ClassVar[None] = None
    instances: ClassVar[None] = None
    network: ClassVar[None] = None
    ssm_access: ClassVar[bool] = False


def inference_component_problems(where: str, model: Any, pools: dict[str, PoolSpec], defined_pools: set[str] | None, catalog: Catalog) -> list[Problem]:
    """What needs the rest of the file: the pool named, the fit of a copy on its instance type. `model` is an
    inference component, or an `auto` model its keys make one."""
    problems = []
    if model.deployment.strategy == "blue-green":
        problems.append(Problem(f"{where}.deployment.strategy", "inference components update by rolling copies; blue-green is for hosting: dedicated"))
    # no pool: the planner places the model
    if model.pool is not None and defined_pools is not None and model.pool not in defined_pools:
        known = ", ".join(sorted(defined_pools)) or "none defined"
        problems.append(Problem(f"{where}.pool", f"undefined pool {model.pool!r} (pools: {known})"))
    if model.per_copy is None and model.size_gb is None:
        problems.append(Problem(f"{where}.per_copy", "required unless size_gb is given for the planner to derive it"))
    if model.scaling == "none" and model.copies is not None and model.copies.min == 0:
        problems.append(Problem(f"{where}.copies.min", "0 copies (scale to zero) needs scaling to wake the model up; scaling is none"))
    pool = pools.get(model.pool or "")
    if pool is None or pool.instance_type not in catalog or model.per_copy is None:
        return problems
    instance = catalog[pool.instance_type]
    per_copy = model.per_copy
    if per_copy.accelerators and not instance.accelerators:
        problems.append(Problem(f"{where}.per_copy.accelerators", f"{pool.instance_type} has no accelerators"))
    elif per_copy.accelerators > instance.accelerators:
        problems.append(Problem(f"{where}.per_copy.accelerators", f"{per_copy.accelerators} accelerators do not fit {pool.instance_type} ({instance.describe_accelerators()})"))
    if per_copy.memory_mb > instance.usable_memory_mb:
        problems.append(Problem(f"{where}.per_copy.memory_mb", f"{per_copy.memory_mb} MB does not fit {pool.instance_type}: copies may reserve "
                                f"{instance.usable_memory_mb} of its {instance.memory_mb} MB of host memory ({instance.reserve.host_memory_percent:g} % kept, see `reserve:`)"))
    if per_copy.cpu_cores is not None and per_copy.cpu_cores > instance.usable_vcpu:
        problems.append(Problem(f"{where}.per_copy.cpu_cores", f"{per_copy.cpu_cores:g} CPU cores do not fit {pool.instance_type}: copies may reserve "
                                f"{instance.usable_vcpu:g} of its {instance.vcpu} vCPUs ({instance.reserve.cpu_percent:g} % kept, see `reserve:`)"))
    return problems
