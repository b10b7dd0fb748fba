"""`hosting: dedicated`: the model alone on its own real-time endpoint, one copy per instance, scaled by whole
instances (one level of scaling), optionally in several production variants or beside a shadow variant
(`loadmaster.hostings.variants`). Its portfolio keys and checks, its plan unit, and its candidate for `hosting: auto`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from loadmaster.catalog import Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.hostings.pattern import (
    SIMPLICITY_MARGIN,
    Candidate,
    HostingPattern,
    ModelOnInstances,
    PlanningContext,
    bounds_range,
    deployment_of,
    endpoint_named_like_a_pool,
    network_of,
    raise_unless_scaling_within,
    scaling_of,
    scaling_summary,
    window_problems,
)
from loadmaster.hostings.variants import VariantPlan, endpoint_variants
from loadmaster.naming import DEFAULT_VARIANT_NAME
from loadmaster.plan import Bounds, Charge, ContainerDefinition, DeploymentPlan, NetworkPlan
from loadmaster.scaling import Scaling, ScalingMetric
from loadmaster.spec.base import HOSTING_DESCRIPTION, CountRange, ModelSpec, Network, Scaling as ScalingSpec, unknown_instance_type
from loadmaster.spec.variants import ProductionVariantSpec, ShadowVariantSpec, variants_problems

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
    variants: list[ProductionVariantSpec] | None = Field(default=None, min_length=1, description=(
        "The endpoint's production variants, sharing the requests by weight (A/B tests); each takes the model's keys it "
        "leaves out. Default: one, the model (AllTraffic)."))
    shadow: ShadowVariantSpec | None = Field(default=None, description=(
        "A shadow variant receiving a copy of the production requests, its responses discarded. Default: none."))
    # An inference component's keys, which a dedicated endpoint does not have.
    pool: ClassVar[None] = None
    per_copy: ClassVar[None] = None
    copies: ClassVar[None] = None


def instance_type_problems(where: str, model: Any, catalog: Catalog) -> list[Problem]:
    """An endpoint of its own on instances (dedicated, async): its instance type is in the catalog, or the planner
    can choose one from the model's size."""
    if model.instance_type is not None and model.instance_type not in catalog:
        return [Problem(f"{where}.instance_type", unknown_instance_type(model.instance_type, catalog))]
    if model.instance_type is None and model.size_gb is None:
        return [Problem(f"{where}.instance_type", "required unless size_gb is given for the planner to choose it")]
    return []


def dedicated_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    """What needs the catalog or the file; `model` is a dedicated one, or an `auto` model its keys make one."""
    problems = instance_type_problems(where, model, catalog)
    if model.instances is not None and model.instances.min < 1:
        problems.append(Problem(f"{where}.instances.min", "a dedicated endpoint keeps at least 1 instance; scale to zero needs hosting: inference-component"))
    return problems + _variant_problems(where, model, catalog) + endpoint_named_like_a_pool(where, items, model.name)


def _variant_problems(where: str, model: Any, catalog: Catalog) -> list[Problem]:
    variants, shadow = getattr(model, "variants", None), getattr(model, "shadow", None)  # an `auto` model has neither
    problems = [Problem(f"{where}.{field}", message) for field, message in variants_problems(variants, shadow)]
    located = [(f"variants[{index}] ({variant.name})", variant) for index, variant in enumerate(variants or [])] + ([("shadow", shadow)] if shadow else [])
    problems += [Problem(f"{where}.{at}.instance_type", unknown_instance_type(variant.instance_type, catalog))
                 for at, variant in located if variant.instance_type is not None and variant.instance_type not in catalog]
    if located and "strategy" in model.deployment.model_fields_set and model.deployment.strategy == "rolling":
        problems.append(Problem(f"{where}.deployment.strategy", "an endpoint with variants or a shadow updates blue-green: SageMaker excludes "
                                "multi-variant endpoints from rolling deployments"))
    return problems


# The plan

SCALING_LEVELS = 1


@dataclass(frozen=True)
class DedicatedPlan(ModelOnInstances):
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
    variant_name: str = DEFAULT_VARIANT_NAME  # the first production variant's, which the fields above describe
    weight: float = 1.0
    variants: tuple[VariantPlan, ...] = ()  # the other production variants
    shadow: VariantPlan | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for variant in self.other_variants:
            raise_unless_scaling_within(variant.scaling, variant.instances, f"{self.label}, variant {variant.name}")

    @property
    def other_variants(self) -> tuple[VariantPlan, ...]:
        """The variants besides the first, the shadow last."""
        return self.variants + ((self.shadow,) if self.shadow else ())

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        return [(self.model, (("EndpointName", self.endpoint_name), ("VariantName", self.variant_name)), "ConcurrentRequestsPerModel")]

    def charges(self) -> tuple[Charge, ...]:
        return (*super().charges(), *(Charge(variant.instance_type, variant.instance_counts) for variant in self.other_variants))

    def summary_lines(self) -> list[str]:
        return [f"  dedicated {self.model} -> endpoint {self.endpoint_name}: {self.instance_type.name} x {bounds_range(self.instances)} instances, "
                f"{scaling_summary(self.scaling)}"] + ([f"    variant {self.variant_name} (weight {self.weight:g})"] if self.variants else []) + [
                   variant.summary_line() for variant in self.other_variants]


def plan_units(context: PlanningContext) -> tuple[tuple[DedicatedPlan, ...], list[Problem]]:
    units, problems = [], []
    for name, decision in context.models_of(HOSTING).items():
        model = context.spec_of(name)
        first, variants, shadow = endpoint_variants(
            model, context.containers[name], context.catalog[decision.instance_type], Bounds(*decision.bounds), decision.counts, context.catalog,
            lambda bounds, model=model: scaling_of(model, ScalingMetric.CONCURRENT_REQUESTS_PER_MODEL, bounds),
        )
        notes, deployment = decision.notes, deployment_of(model)
        if variants or shadow:
            # Rolling deployments exclude multi-variant endpoints (SageMaker developer guide, "Deployment guardrails").
            deployment = replace(deployment, strategy="blue-green")
            notes += ("updates blue-green (rolling deployments exclude multi-variant endpoints)",)
        if variants:
            notes += ("each production variant serves its weight's share of the traffic: counted as that share of the model's instances, within its range",)
        if shadow:
            notes += (f"the shadow {shadow.name} keeps {shadow.instances.min} instance(s) all day, not autoscaled",)
        units.append(DedicatedPlan(
            model=name,
            endpoint_name=f"{context.portfolio.name}-{name}",
            container=first.container,
            instance_type=first.instance_type,
            instances=first.instances,
            scaling=first.scaling,
            instance_counts=first.instance_counts,
            reasons=decision.reasons,
            notes=notes,
            deployment=deployment,
            network=network_of(model.network),
            ssm_access=model.ssm_access,
            variant_name=first.name,
            weight=first.weight,
            variants=variants,
            shadow=shadow,
        ))
        problems += [problem for variant in (first, *variants, *([shadow] if shadow else []))
                     for problem in window_problems(context, name, variant.scaling, of="" if variant is first and not (variants or shadow) else f" of variant {variant.name}")]
    return tuple(units), problems


def cheapest_alone(demands: Iterable[str], catalog: Catalog) -> str:
    """The cheapest of the instance types `demands` names (those that hold one copy): a dedicated endpoint's type,
    or a group's (ties: by name)."""
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
