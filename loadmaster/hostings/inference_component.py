"""`hosting: inference-component`: copies of the model on a shared endpoint (a pool), each reserving its compute.

Two levels of scaling: Application Auto Scaling moves each component's copies (to zero where its traffic allows,
woken by `NoCapacityInvocationFailures`), SageMaker's managed instance scaling moves the pool's instances.
This module holds the pattern's portfolio keys (its variant of the `hosting` union, loadmaster.spec.schema) and their
checks, its plan units, how the planner's decisions become them, and its candidate for `hosting: auto`; the planner
packs the pools (`loadmaster.planner.decide`, `loadmaster.planner.packing`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from loadmaster import limits
from loadmaster.catalog import NO_INFERENCE_COMPONENT_FAMILIES, Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.hostings.pattern import (
    POOL,
    SIMPLICITY_MARGIN,
    Candidate,
    HostingPattern,
    LockedPlacement,
    PlanningContext,
    bounds_range,
    counts_document,
    deployment_of,
    network_of,
    raise_unless_scaling_within,
    scaling_of,
    scaling_summary,
)
from loadmaster.naming import SAGEMAKER_NAME_MAX
from loadmaster.plan import Bounds, Charge, ContainerDefinition, DeploymentPlan, NetworkPlan, RoutingStrategy
from loadmaster.regions import INFERENCE_COMPONENT_TYPE, region_has_resource_type
from loadmaster.scaling import Scaling, ScalingMetric, wake_on_no_capacity
from loadmaster.spec.base import HOSTING_DESCRIPTION, CountRange, ModelSpec, Name, Network, Scaling as ScalingSpec, Spec

if TYPE_CHECKING:  # the planner's types; its solvers (SciPy) are not needed to read a plan
    from loadmaster.planner.packing import Placement
    from loadmaster.planner.sizing import Counts, Demand

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


class InferenceComponentScaling(ScalingSpec):
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


def inference_component_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    """What needs the rest of the file: the pool named, the fit of a copy on its instance type. `model` is an
    inference component, or an `auto` model its keys make one."""
    pools = {pool.name: pool for _, pool in items.pools}
    # A malformed pool is still defined (its own problems are reported); when `pools` is not a list, nothing is known.
    defined_pools = None if items.pool_names is None else {name for _, name in items.pool_names}
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


# The plan

# A copy's share of an instance is cheaper than the instance, but scales on two levels (copies, then instances).
SCALING_LEVELS = 2


@dataclass(frozen=True)
class ComponentPlan:
    """One model as an inference component on a pool."""

    model: str
    component_name: str
    container: ContainerDefinition
    accelerators: int
    memory_mb: int
    cpu_cores: float | None
    copies: Bounds
    scaling: Scaling | None  # on the copies, between `copies`; None: `scaling: none`, the count stays at its initial one
    model_download_timeout_s: int
    health_check_timeout_s: int
    # What the plan shows: copies at the floor, at mean and at peak traffic; why this hosting; what was derived.
    copy_counts: Counts | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deployment: DeploymentPlan = DeploymentPlan()
    generation: int = 1  # a later one is a new component beside the old one (loadmaster.identity)
    stack: str | None = None  # the stack it was deployed in, which it stays in; None: stacks.partition places it

    def __post_init__(self) -> None:
        raise_unless_scaling_within(self.scaling, self.copies, f"component {self.model}")

    @property
    def key(self) -> str:
        return f"component:{self.model}"

    def with_copies(self, copies: Bounds) -> ComponentPlan:
        """The component between other bounds, its scaling with it."""
        return replace(self, copies=copies, scaling=replace(self.scaling, min=copies.min, max=copies.max) if self.scaling else None)

    def named(self, identity: Any) -> ComponentPlan:
        """The component under a `loadmaster.identity.Identity`: its name, generation and stack."""
        return replace(self, component_name=identity.name, generation=identity.generation, stack=identity.stack)

    def summary_line(self) -> str:
        compute = [f"{self.accelerators} accel", f"{self.memory_mb} MB"]
        if self.cpu_cores is not None:
            compute.append(f"{self.cpu_cores:g} CPU")
        wake = self.scaling.wake_from_zero if self.scaling else None
        woken = f", wakes on {wake.alarm.metric_name}" if wake else ""
        return f"    {self.model}: {' + '.join(compute)} per copy, {bounds_range(self.copies)} copies, {scaling_summary(self.scaling)}{woken}"


@dataclass(frozen=True)
class PoolPlan:
    """A shared inference-component endpoint and the components placed on it."""

    pattern: ClassVar[str] = HOSTING

    name: str
    endpoint_name: str
    instance_type: InstanceType
    instances: Bounds
    routing: RoutingStrategy
    components: tuple[ComponentPlan, ...]
    # What the plan shows: instances at the floor, at mean and at peak traffic, and which copies share each one.
    instance_counts: Counts | None = None
    placement: Placement = ()
    peak_placement: Placement = ()
    notes: tuple[str, ...] = ()
    network: NetworkPlan | None = None
    ssm_access: bool = False
    generation: int = 1  # a later one is a new endpoint beside the old one (loadmaster.identity)
    stack: str | None = None  # the stack it was deployed in, which it stays in; None: stacks.partition places it

    @property
    def key(self) -> str:
        return f"pool:{self.name}"

    @property
    def label(self) -> str:
        return f"pool {self.name}"

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(component.model for component in self.components)

    @staticmethod
    def counted(pools: tuple[PoolPlan, ...]) -> list[tuple[int, str]]:
        return [(len(pools), "pool"), (sum(len(pool.components) for pool in pools), "inference component")]

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        return [(component.model, (("InferenceComponentName", component.component_name),), "ConcurrentRequestsPerCopy") for component in self.components]

    def sagemaker_names(self) -> dict[str, str]:
        names = {self.endpoint_name: f"pool {self.name}"}
        return names | {component.component_name: f"model {component.model}" for component in self.components}

    def charges(self) -> tuple[Charge, ...]:
        return (Charge(self.instance_type, self.instance_counts),)

    def summary_lines(self) -> list[str]:
        return [f"  pool {self.name} -> endpoint {self.endpoint_name}: {self.instance_type.name} x {bounds_range(self.instances)} instances, "
                f"{self.routing.portfolio_name}"] + [component.summary_line() for component in self.components]

    def model_documents(self) -> list[dict[str, Any]]:
        """Each component as `loadmaster plan` shows a model."""
        return [{
            "name": component.model,
            "hosting": HOSTING,
            "pool": self.name,
            "component_name": component.component_name,
            "instance_type": self.instance_type.name,
            "per_copy": {"accelerators": component.accelerators, "memory_mb": component.memory_mb, "cpu_cores": component.cpu_cores},
            "copies": counts_document(component.copy_counts, component.copies),
            "reasons": list(component.reasons),
            "notes": list(component.notes),
        } for component in self.components]

    def with_reasons(self, reasons: Callable[[str, tuple[str, ...]], tuple[str, ...]]) -> PoolPlan:
        """The pool with each component's reasons as `reasons(model, its reasons)` has them."""
        return replace(self, components=tuple(replace(component, reasons=reasons(component.model, component.reasons)) for component in self.components))

    def identified(self, names: Any) -> PoolPlan:
        """The pool and its components under the names and generations `names` (loadmaster.identity) gives them."""
        endpoint = names.endpoint(self.key, self.endpoint_name, self.instance_type.name)
        placed = tuple(component.named(names.component(component.model, component.component_name, f"{self.key}#{endpoint.generation}"))
                       for component in self.components)
        return replace(self, endpoint_name=endpoint.name, generation=endpoint.generation, stack=endpoint.stack, components=placed)


def plan_units(context: PlanningContext) -> tuple[tuple[PoolPlan, ...], list[Problem]]:
    portfolio, decisions = context.portfolio, context.decisions
    members = context.models_of(HOSTING)
    problems = [
        Problem("name", f"too long for the planner's pool {pool.name}: the endpoint name {portfolio.name}-{pool.name} would pass {SAGEMAKER_NAME_MAX} characters")
        for pool in decisions.pools
        if len(f"{portfolio.name}-{pool.name}") > SAGEMAKER_NAME_MAX
    ]
    problems += _unavailable_in_region(portfolio, members)
    written = {pool.name: pool for pool in portfolio.pools}
    pools = tuple(
        PoolPlan(
            name=pool.name,
            endpoint_name=f"{portfolio.name}-{pool.name}",
            instance_type=context.catalog[pool.instance_type],
            instances=Bounds(*pool.bounds),
            routing=RoutingStrategy.named(pool.routing),
            components=tuple(_component(context, name, decision) for name, decision in members.items() if decision.pool == pool.name),
            instance_counts=pool.instances,
            placement=pool.placement,
            peak_placement=pool.peak_placement,
            notes=pool.notes,
            network=network_of(written[pool.name].network) if pool.name in written else None,
            ssm_access=written[pool.name].ssm_access if pool.name in written else False,
        )
        for pool in decisions.pools
    )
    return pools, problems


def _component(context: PlanningContext, name: str, decision: Any) -> ComponentPlan:
    model = context.spec_of(name)
    copies = Bounds(*decision.bounds)
    return ComponentPlan(
        model=name,
        component_name=f"{context.portfolio.name}-{name}",
        container=context.containers[name],
        accelerators=decision.demand.accelerators,
        memory_mb=decision.demand.memory_mb,
        # A per_copy written without cpu_cores reserves none, and the template says nothing of CPU.
        cpu_cores=model.per_copy.cpu_cores if model.per_copy else decision.demand.cpu_cores,
        copies=copies,
        scaling=scaling_of(model, ScalingMetric.CONCURRENT_REQUESTS_PER_COPY, copies, wake_from_zero=wake_on_no_capacity()),
        model_download_timeout_s=model.startup.model_download_timeout_s,
        health_check_timeout_s=model.startup.health_check_timeout_s,
        copy_counts=decision.counts,
        reasons=decision.reasons,
        notes=decision.notes,
        deployment=deployment_of(model),
    )


def _unavailable_in_region(portfolio: Any, members: dict[str, Any]) -> list[Problem]:
    """Inference components where CloudFormation has no `AWS::SageMaker::InferenceComponent`: the region's resource
    provider schemas (as cfn-lint ships them, and as CDK's synthesis checks) lack the type in some regions, such as
    eu-west-3 and us-gov-west-1, and the stacks could not be synthesized or deployed there."""
    if portfolio.region is None or region_has_resource_type(portfolio.region, INFERENCE_COMPONENT_TYPE):
        return []
    index = {model.name: position for position, model in enumerate(portfolio.models)}
    return [
        Problem(f"models[{index[name]}] ({name}).hosting",
                f"an inference component on pool {decision.pool}, but CloudFormation in {portfolio.region} has no {INFERENCE_COMPONENT_TYPE} "
                "(its resource provider schemas): use hosting: dedicated, or another region")
        for name, decision in members.items()
    ]


def cheapest_share(demands: dict[str, Demand], catalog: Catalog) -> tuple[str, float] | None:
    """The instance type on which a copy's share (its largest fraction of any resource) costs least, and that cost;
    None when none of the types takes inference components."""
    shares = [(name, catalog[name].price_usd_per_hour * demand.share_of(catalog[name]))
              for name, demand in demands.items() if catalog[name].hosts_inference_components]
    return min(shares, key=lambda pair: (pair[1], pair[0])) if shares else None


def offer(instance_type: str, hourly: float, share: float) -> Candidate:
    """A copy's share of `instance_type` (`share` of its busiest resource) at `hourly`."""
    return Candidate(HOSTING, f"shared, its share of {instance_type} ({share:.0%} of its busiest resource) costs {hourly:.3f} USD/h",
                     SCALING_LEVELS, instance_type, hourly)


def candidate(model: Any, demands: dict[str, Demand], catalog: Catalog) -> Candidate:
    share = cheapest_share(demands, catalog)
    if share is None:
        return Candidate(HOSTING, f"no instance type it runs on takes inference components (the families "
                         f"{', '.join(sorted(NO_INFERENCE_COMPONENT_FAMILIES))} are reported not to)", SCALING_LEVELS,
                         unfit="no instance type it runs on takes inference components")
    name, hourly = share
    return offer(name, hourly, demands[name].share_of(catalog[name]))


def verdict(chosen: Candidate, others: list[Candidate], saving: float | None, pattern: str | None) -> str:
    if saving is not None and saving >= SIMPLICITY_MARGIN:
        return f"chosen: {HOSTING}, sharing instances saves money"
    if pattern == "steady":  # weighed on its cheapest share, then packed on a type where its share saves less
        return (f"chosen: {HOSTING}, steady traffic and a share estimated to save {SIMPLICITY_MARGIN:.0%} or more "
                f"on the type where it is cheapest; on its pool's type it saves {saving:.0%}")
    return f"chosen: {HOSTING}, {pattern or 'unstated'} traffic scales by the copy"


def locked_placement(model: str, lock: Any) -> LockedPlacement | None:
    """The pool the lock has the model's component on (`pool:<name>#<generation>`), on that pool's instance type."""
    component = lock.components.get(model)
    key = component.endpoint.split("#")[0] if component else None
    endpoint = lock.endpoints.get(key) if key else None
    if endpoint is None or endpoint.instance_type is None:
        return None
    return LockedPlacement(HOSTING, endpoint.instance_type, pool=key.removeprefix("pool:"))


PATTERN = HostingPattern(HOSTING, InferenceComponentModel, InferenceComponentFields, INFERENCE_COMPONENT_METRICS, PoolPlan, plan_units, candidate, verdict,
                         scaling_complexity="an inference component two (copies, then instances)", rehearsed_types=("AWS::SageMaker::InferenceComponent",),
                         instances=POOL, model_problems=inference_component_problems, locked_placement=locked_placement)
