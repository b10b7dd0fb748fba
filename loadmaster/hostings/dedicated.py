"""`hosting: dedicated`: the model alone on its own real-time endpoint, one copy per instance, scaled by whole
instances (one level of scaling). Its portfolio keys and checks, its plan unit, and its candidate for `hosting: auto`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from loadmaster.catalog import Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.hostings.pattern import (
    SIMPLICITY_MARGIN,
    Candidate,
    HostingPattern,
    PlanningContext,
    bounds_range,
    counts_document,
    deployment_of,
    endpoint_named_like_a_pool,
    network_of,
    raise_unless_scaling_within,
    scaling_of,
    scaling_summary,
)
from loadmaster.naming import DEFAULT_VARIANT_NAME
from loadmaster.plan import Bounds, Charge, ContainerDefinition, DeploymentPlan, NetworkPlan
from loadmaster.scaling import Scaling, ScalingMetric
from loadmaster.spec.base import HOSTING_DESCRIPTION, CountRange, ModelSpec, Network, Scaling as ScalingSpec, unknown_instance_type

if TYPE_CHECKING:
    from loadmaster.planner.sizing import Counts, Demand

HOSTING = "dedicated"
DEDICATED_METRICS = ("concurrent-requests-per-model", "invocations-per-instance")


class DedicatedScaling(ScalingSpec):
    metric: Literal["concurrent-requests-per-model", "invocations-per-instance"] = Field(description=(
        "concurrent-requests-per-model (high-resolution, 10 s) or invocations-per-instance (per minute)."))


class DedicatedFields(ModelSpec):
    """The keys only a dedicated endpoint has (an `auto` model may write them too: they decide its hosting)."""

    instance_type: str | None = Field(default=None, description="The endpoint's instance type, such as ml.g5.2xlarge. Default: the planner chooses.")
    instances: CountRange | None = Field(default=None, description="Instances at least (1 or more) and at most. Default: the planner's.")
    network: Network | None = Field(default=None, description="The VPC the instances run in. Default: SageMaker's network.")
    ssm_access: bool = Field(default=False, description="Lets operators open an SSM session on the instances. Default: false.")


class DedicatedModel(DedicatedFields):
    """A model on an endpoint of its own."""

    hosting: Literal["dedicated"] = Field(description=HOSTING_DESCRIPTION)
    scaling: DedicatedScaling | Literal["none"] | None = Field(default=None, description=(
        "Target tracking on the instances; none turns autoscaling off. Default: concurrent-requests-per-model at the planner's target."))
    # An inference component's keys, which a dedicated endpoint does not have.
    pool: ClassVar[None] = None
    per_copy: ClassVar[None] = None
    copies: ClassVar[None] = None


def dedicated_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    """What needs the catalog or the file; `model` is a dedicated one, or an `auto` model its keys make one."""
    problems = []
    if model.instance_type is not None and model.instance_type not in catalog:
        problems.append(Problem(f"{where}.instance_type", unknown_instance_type(model.instance_type, catalog)))
    if model.instance_type is None and model.size_gb is None:
        problems.append(Problem(f"{where}.instance_type", "required unless size_gb is given for the planner to choose it"))
    if model.instances is not None and model.instances.min < 1:
        problems.append(Problem(f"{where}.instances.min", "a dedicated endpoint keeps at least 1 instance; scale to zero needs hosting: inference-component"))
    return problems + endpoint_named_like_a_pool(where, items, model.name)


# The plan

SCALING_LEVELS = 1


@dataclass(frozen=True)
class DedicatedPlan:
    """One model alone on its own endpoint."""

    pattern: ClassVar[str] = HOSTING

    model: str
    endpoint_name: str
    container: ContainerDefinition
    instance_type: InstanceType
    instances: Bounds
    scaling: Scaling | None  # on the instances, between `instances`; None: `scaling: none`
    instance_counts: Counts | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deployment: DeploymentPlan = DeploymentPlan()
    network: NetworkPlan | None = None
    ssm_access: bool = False
    generation: int = 1  # a later one is a new endpoint beside the old one (loadmaster.identity)
    stack: str | None = None  # the stack it was deployed in, which it stays in; None: stacks.partition places it

    def __post_init__(self) -> None:
        raise_unless_scaling_within(self.scaling, self.instances, f"dedicated model {self.model}")

    @property
    def key(self) -> str:
        return f"dedicated:{self.model}"

    def with_instances(self, instances: Bounds) -> DedicatedPlan:
        """The endpoint between other bounds, its scaling with it."""
        return replace(self, instances=instances, scaling=replace(self.scaling, min=instances.min, max=instances.max) if self.scaling else None)

    @property
    def label(self) -> str:
        return f"dedicated model {self.model}"

    @property
    def models(self) -> tuple[str, ...]:
        return (self.model,)

    @staticmethod
    def counted(endpoints: tuple[DedicatedPlan, ...]) -> list[tuple[int, str]]:
        return [(len(endpoints), "dedicated endpoint")]

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        return [(self.model, (("EndpointName", self.endpoint_name), ("VariantName", DEFAULT_VARIANT_NAME)), "ConcurrentRequestsPerModel")]

    def sagemaker_names(self) -> dict[str, str]:
        return {self.endpoint_name: f"model {self.model}"}

    def charges(self) -> tuple[Charge, ...]:
        return (Charge(self.instance_type, self.instance_counts),)

    def summary_lines(self) -> list[str]:
        return [f"  dedicated {self.model} -> endpoint {self.endpoint_name}: {self.instance_type.name} x {bounds_range(self.instances)} instances, "
                f"{scaling_summary(self.scaling)}"]

    def model_documents(self) -> list[dict[str, Any]]:
        return [{
            "name": self.model,
            "hosting": HOSTING,
            "pool": None,
            "endpoint_name": self.endpoint_name,
            "instance_type": self.instance_type.name,
            "copies": counts_document(self.instance_counts, self.instances),  # one copy per instance
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }]

    def with_reasons(self, reasons: Callable[[str, tuple[str, ...]], tuple[str, ...]]) -> DedicatedPlan:
        return replace(self, reasons=reasons(self.model, self.reasons))

    def identified(self, names: Any) -> DedicatedPlan:
        endpoint = names.endpoint(self.key, self.endpoint_name, self.instance_type.name)
        return replace(self, endpoint_name=endpoint.name, generation=endpoint.generation, stack=endpoint.stack)


def plan_units(context: PlanningContext) -> tuple[tuple[DedicatedPlan, ...], list[Problem]]:
    units = []
    for name, decision in context.models_of(HOSTING).items():
        model = context.spec_of(name)
        instances = Bounds(*decision.bounds)
        units.append(DedicatedPlan(
            model=name,
            endpoint_name=f"{context.portfolio.name}-{name}",
            container=context.containers[name],
            instance_type=context.catalog[decision.instance_type],
            instances=instances,
            scaling=scaling_of(model, ScalingMetric.CONCURRENT_REQUESTS_PER_MODEL, instances),
            instance_counts=decision.counts,
            reasons=decision.reasons,
            notes=decision.notes,
            deployment=deployment_of(model),
            network=network_of(model.network),
            ssm_access=model.ssm_access,
        ))
    return tuple(units), []


def cheapest_alone(demands: dict[str, Demand], catalog: Catalog) -> str:
    """The cheapest instance type that holds one copy: a dedicated endpoint's type (ties: by name)."""
    return min(demands, key=lambda name: (catalog[name].price_usd_per_hour, name))


def offer(instance_type: str, hourly: float) -> Candidate:
    """A copy alone on a whole `instance_type` at `hourly`."""
    return Candidate(HOSTING, f"alone, a copy takes a whole {instance_type} ({hourly:.3f} USD/h)", SCALING_LEVELS, instance_type, hourly)


def candidate(model: Any, demands: dict[str, Demand], catalog: Catalog) -> Candidate:
    alone = cheapest_alone(demands, catalog)
    return offer(alone, catalog[alone].price_usd_per_hour)


def verdict(chosen: Candidate, others: list[Candidate], saving: float | None, pattern: str | None) -> str:
    if saving is None:  # the only candidate that fits; the others say why not
        return f"chosen: {HOSTING}, " + "; ".join(other.unfit for other in others if other.unfit)
    if saving < 0:
        return f"chosen: {HOSTING}, a copy alone on {chosen.instance_type} costs less than its share of any type that takes inference components"
    return f"chosen: {HOSTING}, steady traffic and sharing saves under {SIMPLICITY_MARGIN:.0%}: the simpler scaling wins"


PATTERN = HostingPattern(HOSTING, DedicatedModel, DedicatedFields, DEDICATED_METRICS, DedicatedPlan, plan_units, candidate, verdict,
                         scaling_complexity="a dedicated endpoint scales one level (instances)", rehearsed_types=("AWS::SageMaker::Endpoint",),
                         model_problems=dedicated_problems)
