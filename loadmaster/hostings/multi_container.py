"""`hosting: multi-container`: several containers of different models on one real-time endpoint of their own, each
request served by the container it names (`InferenceExecutionConfig.Mode: Direct`, `TargetContainerHostname` on
InvokeEndpoint). 2 to 15 containers, CPU instances only, scaled by whole instances on the endpoint's traffic: the
containers' traffic adds up on its instances. Fit for a few heterogeneous CPU models with little traffic each, which
would each leave a dedicated instance mostly idle: `hosting: auto` groups such models so (`groups`).

The model is the endpoint: its `containers:` (loadmaster.spec.containers) are the models it serves, its `traffic`
their sum, its `size_gb` what they hold in memory together. `hosting: pipeline` (loadmaster.hostings.pipeline) is
the same endpoint with the containers run in order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from loadmaster.catalog import CPU, Catalog, InstanceType
from loadmaster.catalog.multi_container import direct_invocation_refusal
from loadmaster.errors import Problem
from loadmaster.hostings.dedicated import DedicatedFields, DedicatedScaling, cheapest_alone, dedicated_problems
from loadmaster.hostings.pattern import (
    Alone,
    Candidate,
    Group,
    HostingPattern,
    HostsMembers,
    Member,
    ModelOnInstances,
    PlanningContext,
    Proposals,
    bounds_range,
    counts_document,
    deployment_of,
    network_of,
    request_of,
    scaling_of,
    scaling_summary,
)
from loadmaster.limits import MAX_CONTAINERS_PER_MODEL
from loadmaster.naming import DEFAULT_VARIANT_NAME
from loadmaster.plan import Bounds, ContainerDefinition, DeploymentPlan, NetworkPlan
from loadmaster.scaling import Scaling, ScalingMetric
from loadmaster.spec.base import HOSTING_DESCRIPTION, ModelSpec
from loadmaster.spec.containers import PipelineContainers, container_definitions, containers_problems

if TYPE_CHECKING:
    from loadmaster.planner.sizing import Counts, Demand

HOSTING = "multi-container"
SCALING_LEVELS = 1  # whole instances, as a dedicated endpoint


class ContainersModel(DedicatedFields):
    """What a model of several containers on an endpoint of its own has: the containers instead of one image, and a
    dedicated endpoint's instance keys."""

    containers: PipelineContainers
    scaling: DedicatedScaling | Literal["none"] | None = Field(default=None, description=(
        "Target tracking on the instances, over every container's traffic; none turns autoscaling off. "
        "Default: concurrent-requests-per-model at the planner's target."))
    # One container's keys, which each of `containers` has instead.
    image: ClassVar[None] = None
    artifact: ClassVar[None] = None
    environment: ClassVar[dict[str, str]] = {}
    artifact_kms_key_arn: ClassVar[None] = None
    # An inference component's keys.
    pool: ClassVar[None] = None
    per_copy: ClassVar[None] = None
    copies: ClassVar[None] = None


class MultiContainerFields(ModelSpec):
    """No keys an `auto` model may write: it has one image, and no key of its own makes it a model of several
    containers."""


class MultiContainerModel(ContainersModel):
    """A multi-container endpoint with direct invocation: each container a model that callers invoke by its name."""

    hosting: Literal["multi-container"] = Field(description=HOSTING_DESCRIPTION)
    devices: list[Literal["cpu"]] = Field(default_factory=lambda: [CPU], min_length=1, description=(  # type: ignore[assignment]
        "cpu: multi-container endpoints with direct invocation run on CPU instances only."))


def containers_model_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    """A dedicated endpoint's checks, and every problem of the containers."""
    return dedicated_problems(where, model, items, catalog) + containers_problems(where, model.containers, items.region)


def multi_container_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    problems = containers_model_problems(where, model, items, catalog)
    refusal = direct_invocation_refusal(catalog[model.instance_type]) if model.instance_type in catalog else None
    if refusal:
        problems.append(Problem(f"{where}.instance_type", refusal))
    return problems


# The plan


@dataclass(frozen=True)
class ContainersPlan(HostsMembers, ModelOnInstances):
    """A model of several containers alone on its own endpoint (`members`: the `auto` models grouped as its
    containers, each a portfolio model)."""

    pattern: ClassVar[str] = HOSTING

    model: str
    endpoint_name: str
    containers: dict[str, ContainerDefinition]  # by hostname, in the model's order
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
    members: tuple[Member, ...] = ()

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        return [(self.model, (("EndpointName", self.endpoint_name), ("VariantName", DEFAULT_VARIANT_NAME)), "ConcurrentRequestsPerModel")]

    def summary_lines(self) -> list[str]:
        return [f"  {self.pattern} {self.model} -> endpoint {self.endpoint_name}: {', '.join(self.containers)} on "
                f"{self.instance_type.name} x {bounds_range(self.instances)} instances, {scaling_summary(self.scaling)}"] + self.member_lines(self.endpoint_name)

    def model_documents(self) -> list[dict[str, Any]]:
        endpoint = {
            "name": self.model,
            "hosting": self.pattern,
            "pool": None,
            "endpoint_name": self.endpoint_name,
            "instance_type": self.instance_type.name,
            "containers": list(self.containers),
            "copies": counts_document(self.instance_counts, self.instances),  # the containers run on every instance
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }
        return [endpoint] + self.member_documents(endpoint)


@dataclass(frozen=True)
class MultiContainerPlan(ContainersPlan):
    pattern: ClassVar[str] = HOSTING


def units_of(unit: type[ContainersPlan]) -> Callable[[PlanningContext], tuple[tuple[ContainersPlan, ...], list[Problem]]]:
    """`plan_units` of the pattern whose unit is `unit`: one endpoint per model, on the planner's instances."""

    def plan_units(context: PlanningContext) -> tuple[tuple[ContainersPlan, ...], list[Problem]]:
        units = []
        for name, decision in context.models_of(unit.pattern).items():
            model = context.spec_of(name)
            instances = Bounds(*decision.bounds)
            group = context.group(name)
            units.append(unit(
                model=name,
                endpoint_name=f"{context.portfolio.name}-{name}",
                containers=container_definitions(model.containers, context.portfolio.artifact_kms_key_arn),
                instance_type=context.catalog[decision.instance_type],
                instances=instances,
                scaling=scaling_of(model, ScalingMetric.CONCURRENT_REQUESTS_PER_MODEL, instances),
                instance_counts=decision.counts,
                reasons=group.reasons if group else decision.reasons,
                notes=decision.notes,
                deployment=deployment_of(model),
                network=network_of(model.network),
                ssm_access=model.ssm_access,
                members=group.members if group else (),
            ))
        return tuple(units), []

    return plan_units


# `hosting: auto` grouping (HostingPattern.groups): a few heterogeneous CPU models with little traffic each, each
# of which alone would leave an instance of its own mostly idle, as the containers of one endpoint.


def groups(models: list[Alone], catalog: Catalog) -> Proposals:
    """CPU models, each of its own image (models of one image belong behind one container: multi-model), an ECR
    image and an artifact, stated traffic that one instance serves at its peak, no scaling or request of its own
    beyond real time; in name order, 2 to MAX_CONTAINERS_PER_MODEL a group, as many as one CPU instance holds
    together (their sizes added). A model left out is named only when a group is proposed without it."""
    fit, left_out = [], {}
    for model in models:
        if (why := _unfit(model)) is None:
            fit.append(model)
        else:
            left_out[model.spec.name] = why
    cheapest: dict[float, str | None] = {}  # by the size held together

    def holding(chunk: list[Alone]) -> str | None:
        total = sum(model.spec.size_gb for model in chunk)
        if total not in cheapest:
            cheapest[total] = _cheapest_holding(chunk[0].spec, total, catalog)
        return cheapest[total]

    chunks: list[list[Alone]] = []
    for model in fit:
        chunk = next((chunk for chunk in chunks if len(chunk) < MAX_CONTAINERS_PER_MODEL and model.spec.image not in {other.spec.image for other in chunk}
                      and holding(chunk + [model])), None)
        if chunk is None:
            chunks.append([model])
        else:
            chunk.append(model)
    proposed = tuple(_group(chunk, holding(chunk), catalog) for chunk in chunks if len(chunk) >= 2)
    return Proposals(proposed, left_out if proposed else {})


def _unfit(model: Alone) -> str | None:
    from loadmaster.planner.sizing import unit_counts  # the planner's, not needed to read a plan

    spec = model.spec
    request = request_of(spec)
    if CPU not in model.devices:
        return f"it runs on {', '.join(model.devices)}: multi-container endpoints with direct invocation run on CPU instances only"
    if not isinstance(spec.image, str) or spec.artifact is None:
        return "a container needs an ECR image URI and an artifact"
    if spec.scaling is not None or (request is not None and request.needs_more_than_real_time()):
        return "its scaling or its requests are written for an endpoint of its own"
    if spec.traffic is None:
        return "no traffic stated: the shared instances are counted from every container's"
    peak = unit_counts(spec, None, may_scale_to_zero=False)[0].peak
    if peak > 1:
        return f"its peak needs {peak} instances alone: not little traffic, better on an endpoint of its own"
    return None


def _cheapest_holding(model: Any, size_gb: float, catalog: Catalog) -> str | None:
    """The cheapest priced CPU type whose memory holds `size_gb` of models together."""
    from loadmaster.planner.devices import Devices  # the planner's, not needed to read a plan
    from loadmaster.planner.sizing import demands_by_type

    together = model.model_copy(update={"size_gb": size_gb, "devices": [CPU]})
    types = [name for name in demands_by_type(together, catalog, devices=Devices((CPU,), "multi-container: CPU only"))
             if catalog[name].price_usd_per_hour is not None and direct_invocation_refusal(catalog[name]) is None]
    return cheapest_alone(types, catalog) if types else None


def _group(models: list[Alone], instance_type: str, catalog: Catalog) -> Group:
    from loadmaster.planner.sizing import unit_counts  # the planner's, not needed to read a plan

    names = [model.spec.name for model in models]
    traffics = [model.spec.traffic for model in models]
    patterns = {traffic.pattern for traffic in traffics}
    rates = [traffic.requests_per_s for traffic in traffics]
    traffic = {"pattern": patterns.pop() if len(patterns) == 1 else "variable", "mean_concurrency": sum(traffic.mean_concurrency for traffic in traffics),
               "peak_concurrency": sum(traffic.peak_concurrency for traffic in traffics)} | ({"requests_per_s": sum(rates)} if None not in rates else {})
    objectives = [model.spec.latency_slo_ms for model in models if model.spec.latency_slo_ms is not None]
    instance = catalog[instance_type]
    spec = MultiContainerModel.model_validate({
        "name": "containers-" + hashlib.sha256("|".join(names).encode()).hexdigest()[:8],  # of these models, in any order of the file
        "hosting": HOSTING, "instance_type": instance.name, "size_gb": sum(model.spec.size_gb for model in models), "traffic": traffic,
        "containers": [{"name": model.spec.name, "image": model.spec.image, "artifact": model.spec.artifact, "environment": dict(model.spec.environment)}
                       | ({"artifact_kms_key_arn": model.spec.artifact_kms_key_arn} if model.spec.artifact_kms_key_arn else {}) for model in models],
    } | ({"latency_slo_ms": min(objectives)} if objectives else {}))
    counts, _ = unit_counts(spec, None, may_scale_to_zero=False)
    members = tuple(Member(name, {"TargetContainerHostname": name}, (
        f"chosen: {HOSTING}, grouped by the planner: {len(models)} CPU models of different images with little traffic each share one endpoint's "
        f"{instance.name} instances, each its own container, for less than they cost alone",)) for name in names)
    price = instance.price_usd_per_hour
    return Group(spec, members, instance.name, price * counts.min, price * counts.expected,
                 f"{counts.min} x {instance.name} at the floor and {counts.expected} at mean for their {traffic['mean_concurrency']:g} concurrent "
                 f"requests together, and their {spec.size_gb:g} GB in its memory")


def unfit_for_one_image(pattern: str, what: str) -> Callable[[Any, dict[str, Demand], Catalog], Candidate]:
    """The candidate of a pattern no `auto` model can take: an auto model has one image, and `what` needs several."""

    def candidate(model: Any, demands: dict[str, Demand], catalog: Catalog) -> Candidate:
        why = f"{pattern}: {what}, written as hosting: {pattern} with containers:; this model has one image"
        return Candidate(pattern, why, SCALING_LEVELS, unfit=why)

    return candidate


def baseline(model: Any, plan_type: InstanceType) -> tuple[Any, ...]:
    """One endpoint per container, as it would run without the multi-container endpoint: each alone on the plan's
    instance type, one instance at mean and at peak (a floor: the portfolio states the containers' traffic together,
    not each one's)."""
    from loadmaster.planner.cost import BaselineEndpoint  # the planner's, not needed to read a plan

    return tuple(BaselineEndpoint(f"{model.name}/{container.name}", plan_type.name, plan_type.price_usd_per_hour, 1, 1) for container in model.containers)


def verdict(chosen: Candidate, others: list[Candidate], saving: float | None, pattern: str | None) -> str:
    return f"chosen: {chosen.pattern}, written in the portfolio"


PATTERN = HostingPattern(
    HOSTING, MultiContainerModel, MultiContainerFields, (), MultiContainerPlan, units_of(MultiContainerPlan),
    unfit_for_one_image(HOSTING, "serves several models' containers on one endpoint"), verdict,
    scaling_complexity="a multi-container endpoint scales one level (instances, over every container's traffic)",
    rehearsed_types=("AWS::SageMaker::Endpoint",), model_problems=multi_container_problems, baseline=baseline, groups=groups,
)
