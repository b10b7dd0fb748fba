"""`hosting: async`: the model on an asynchronous endpoint of its own. Requests wait in SageMaker's queue (payloads
up to 1 GB, processing up to an hour), results and failures land in S3, SNS topics may tell of each; the instances
follow the queue per instance, down to zero (SageMaker developer guide, "Asynchronous inference").

This module holds the pattern's portfolio keys and their checks, its plan unit, how the planner's decisions become
it, and its candidate for `hosting: auto`; SageMaker's async limits and the scaling figures are plain data in
`loadmaster.async_inference`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints

from loadmaster import limits
from loadmaster.async_inference import Request, backlog_scaling, instances_for
from loadmaster.catalog import Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.hostings.pattern import (
    Candidate,
    HostingPattern,
    PlanningContext,
    bounds_range,
    counts_document,
    deployment_of,
    endpoint_named_like_a_pool,
    network_of,
    raise_unless_scaling_within,
    request_of,
    scaling_summary,
)
from loadmaster.hostings.dedicated import DedicatedFields, cheapest_alone
from loadmaster.plan import Bounds, Charge, ContainerDefinition, DeploymentPlan, NetworkPlan
from loadmaster.scaling import Scaling
from loadmaster.spec.base import HOSTING_DESCRIPTION, CountRange, ModelSpec, Scaling as ScalingSpec, Spec, unknown_instance_type

if TYPE_CHECKING:
    from loadmaster.planner.sizing import Counts, Demand

NAME = HOSTING = "async"
ASYNC_METRICS = ("backlog-size-per-instance",)
SCALING_LEVELS = 1  # instances, on the queue
_BUCKET_NAME = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"  # S3 user guide, "General purpose bucket naming rules"
_PREFIX = r"^(?:[^/]+/)+$"
_TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$"


class AsyncScaling(ScalingSpec):
    metric: Literal["backlog-size-per-instance"] = Field(description="backlog-size-per-instance: requests queued per instance (ApproximateBacklogSizePerInstance).")


class AsyncOutput(Spec):
    """Where results and failures go (AsyncInferenceConfig.OutputConfig)."""

    bucket: str | None = Field(default=None, pattern=_BUCKET_NAME, description=(
        "An S3 bucket of yours to write them to. Default: a bucket the stack creates (KMS-encrypted, SSL only, access-logged, kept on deletion)."))
    prefix: str | None = Field(default=None, pattern=_PREFIX, description="The key prefix, ending in /: results under PREFIX/results/, failures under PREFIX/failures/. Default: the endpoint's name.")


class AsyncNotifications(Spec):
    """SNS topics told of each finished request: true for a topic the stack creates (encrypted, SSL only), or a topic ARN of yours."""

    success: bool | Annotated[str, StringConstraints(pattern=_TOPIC_ARN)] = Field(default=False, description="The topic told of each result. Default: none.")
    error: bool | Annotated[str, StringConstraints(pattern=_TOPIC_ARN)] = Field(default=False, description="The topic told of each failure. Default: none.")


class AsyncFields(ModelSpec):
    """The keys only an asynchronous endpoint has (an `auto` model may write them too: they decide its hosting)."""

    output: AsyncOutput | None = Field(default=None, description="Where results and failures are written. Default: a bucket the stack creates.")
    notifications: AsyncNotifications | None = Field(default=None, description="SNS topics told of results and failures. Default: none.")
    max_concurrent_invocations_per_instance: int | None = Field(
        default=None, ge=limits.ASYNC_MAX_CONCURRENT_INVOCATIONS_RANGE[0], le=limits.ASYNC_MAX_CONCURRENT_INVOCATIONS_RANGE[1],
        description="Requests an instance processes at once, 1 to 1000. Default: SageMaker's choice (the planner counts 1).")


class AsyncModel(AsyncFields, DedicatedFields):
    """A model on an asynchronous endpoint of its own: a dedicated endpoint's keys (instance type, GPU or CPU,
    instances, network) and its own."""

    hosting: Literal["async"] = Field(description=HOSTING_DESCRIPTION)
    instances: CountRange | None = Field(default=None, description=(
        "Instances at least (0: scale to zero, woken by HasBacklogWithoutCapacity) and at most. Default: from 0 to what peak traffic needs."))
    scaling: AsyncScaling | Literal["none"] | None = Field(default=None, description=(
        f"Target tracking on the queue per instance; none turns autoscaling off. Default: backlog-size-per-instance at {limits.DEFAULT_BACKLOG_PER_INSTANCE:g}."))
    pool: ClassVar[None] = None
    per_copy: ClassVar[None] = None
    copies: ClassVar[None] = None


def async_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    """What needs the catalog or the file; `model` is an async one, or an `auto` model its keys make one (its
    `request:` is checked against `Request.async_refusals` with every pattern's)."""
    problems = []
    if model.instance_type is not None and model.instance_type not in catalog:
        problems.append(Problem(f"{where}.instance_type", unknown_instance_type(model.instance_type, catalog)))
    if model.instance_type is None and model.size_gb is None:
        problems.append(Problem(f"{where}.instance_type", "required unless size_gb is given for the planner to choose it"))
    if model.scaling == "none" and model.instances is not None and model.instances.min == 0:
        problems.append(Problem(f"{where}.scaling", "none, but instances.min is 0: without autoscaling nothing scales to zero or back"))
    return problems + endpoint_named_like_a_pool(where, items, model.name)


@dataclass(frozen=True)
class AsyncPlan:
    """One model on an asynchronous endpoint of its own."""

    pattern: ClassVar[str] = NAME

    model: str
    endpoint_name: str
    container: ContainerDefinition
    instance_type: InstanceType
    instances: Bounds
    scaling: Scaling | None  # on the instances, the backlog per instance, woken from zero; None: `scaling: none`
    output_bucket: str | None = None  # None: the stack creates one
    output_prefix: str | None = None  # None: the endpoint's name
    success_topic: bool | str = False  # True: the stack creates one; a str: its ARN
    error_topic: bool | str = False
    max_concurrent_invocations_per_instance: int | None = None
    instance_counts: Counts | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deployment: DeploymentPlan = DeploymentPlan()
    network: NetworkPlan | None = None
    ssm_access: bool = False
    generation: int = 1
    stack: str | None = None

    def __post_init__(self) -> None:
        raise_unless_scaling_within(self.scaling, self.instances, f"async model {self.model}")

    @property
    def key(self) -> str:
        return f"async:{self.model}"

    @property
    def label(self) -> str:
        return f"async model {self.model}"

    @property
    def models(self) -> tuple[str, ...]:
        return (self.model,)

    @property
    def prefix(self) -> str:
        return self.output_prefix or f"{self.endpoint_name}/"

    @staticmethod
    def counted(endpoints: tuple[AsyncPlan, ...]) -> list[tuple[int, str]]:
        return [(len(endpoints), "async endpoint")]

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        # Requests queued or in processing: what an async endpoint publishes instead of the real-time concurrency.
        return [(self.model, (("EndpointName", self.endpoint_name),), "ApproximateBacklogSize")]

    def sagemaker_names(self) -> dict[str, str]:
        return {self.endpoint_name: f"model {self.model}"}

    def charges(self) -> tuple[Charge, ...]:
        return (Charge(self.instance_type, self.instance_counts),)

    def summary_lines(self) -> list[str]:
        bucket = self.output_bucket or "a bucket of the stack"
        wakes = ", wakes on HasBacklogWithoutCapacity" if self.scaling and self.scaling.wake_from_zero else ""
        return [f"  async {self.model} -> endpoint {self.endpoint_name}: {self.instance_type.name} x {bounds_range(self.instances)} instances, "
                f"results in {bucket} under {self.prefix}, {scaling_summary(self.scaling)}{wakes}"]

    def model_documents(self) -> list[dict[str, Any]]:
        return [{
            "name": self.model,
            "hosting": NAME,
            "pool": None,
            "endpoint_name": self.endpoint_name,
            "instance_type": self.instance_type.name,
            "copies": counts_document(self.instance_counts, self.instances),  # one copy per instance
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }]

    def with_reasons(self, reasons: Callable[[str, tuple[str, ...]], tuple[str, ...]]) -> AsyncPlan:
        return replace(self, reasons=reasons(self.model, self.reasons))

    def identified(self, names: Any) -> AsyncPlan:
        endpoint = names.endpoint(self.key, self.endpoint_name, self.instance_type.name)
        return replace(self, endpoint_name=endpoint.name, generation=endpoint.generation, stack=endpoint.stack)


def instance_counts(model: Any) -> tuple[Counts, tuple[int, int], list[str]]:
    """Instances at the floor, at mean and at peak traffic, and the bounds autoscaling moves them in: the requests
    in processing over what an instance takes at once (`instances_for`); the floor 0 unless `instances` says
    otherwise (requests wait in the queue meanwhile)."""
    from loadmaster.planner.sizing import Counts  # the planner's, not needed to read a plan

    written = model.instances
    low, high = (written.min, written.max) if written else (0, None)
    per_instance = model.max_concurrent_invocations_per_instance
    traffic = model.traffic
    ceiling = high or max(1, instances_for(traffic.peak_concurrency, per_instance, min_instances=1, max_instances=10**6) if traffic else 1)
    if model.scaling == "none":
        fixed = max(low, 1)
        return Counts(fixed, fixed, fixed), (fixed, max(fixed, ceiling)), []
    at = (lambda concurrency: instances_for(concurrency, per_instance, min_instances=low, max_instances=ceiling))
    notes = [] if traffic else ["no traffic to size from: counted at its floor"]
    counts = Counts(low, at(traffic.mean_concurrency) if traffic else low, at(traffic.peak_concurrency) if traffic else ceiling)
    return counts, (low, ceiling), notes


def scaling_of(model: Any, bounds: Bounds) -> Scaling | None:
    """The queue per instance tracked between `bounds`, as written or by default, woken from zero; None for
    `scaling: none`."""
    if model.scaling == "none":
        return None
    written = model.scaling
    if written is None:
        return backlog_scaling(bounds.min, bounds.max)
    return backlog_scaling(bounds.min, bounds.max, target=written.target, scale_in_cooldown_s=written.scale_in_cooldown_s, scale_out_cooldown_s=written.scale_out_cooldown_s)


def plan_units(context: PlanningContext) -> tuple[tuple[AsyncPlan, ...], list[Problem]]:
    units = []
    for name, decision in context.models_of(NAME).items():
        model = context.spec_of(name)
        instances = Bounds(*decision.bounds)
        output = model.output if isinstance(model, AsyncFields) and model.output else AsyncOutput()
        notifications = model.notifications if isinstance(model, AsyncFields) and model.notifications else AsyncNotifications()
        units.append(AsyncPlan(
            model=name,
            endpoint_name=f"{context.portfolio.name}-{name}",
            container=context.containers[name],
            instance_type=context.catalog[decision.instance_type],
            instances=instances,
            scaling=scaling_of(model, instances),
            output_bucket=output.bucket,
            output_prefix=output.prefix,
            success_topic=notifications.success,
            error_topic=notifications.error,
            max_concurrent_invocations_per_instance=getattr(model, "max_concurrent_invocations_per_instance", None),
            instance_counts=decision.counts,
            reasons=decision.reasons,
            notes=decision.notes,
            deployment=deployment_of(model),
            network=network_of(model.network),
            ssm_access=model.ssm_access,
        ))
    return tuple(units), []


def candidate(model: Any, demands: dict[str, Demand], catalog: Catalog) -> Candidate:
    """Async only for what a real-time endpoint cannot take, and only where callers can wait for S3: a request that
    fits real time is better answered in its response."""
    request = request_of(model)
    if request is None or not request.needs_more_than_real_time():
        return Candidate(NAME, "async: not needed, a real-time endpoint takes its requests (request within 6 MB and 60 s, or not stated)", SCALING_LEVELS,
                         unfit="async is for what real time cannot take")
    refusals = request.async_refusals()
    if refusals:
        return Candidate(NAME, "async: cannot serve it, " + "; ".join(refusals), SCALING_LEVELS, unfit="async: " + "; ".join(refusals))
    alone = cheapest_alone(demands, catalog)
    hourly = catalog[alone].price_usd_per_hour
    return Candidate(NAME, f"async, a copy takes a whole {alone} ({hourly:.3f} USD/h) while requests wait, none at zero", SCALING_LEVELS, alone, hourly)


def verdict(chosen: Candidate, others: list[Candidate], saving: float | None, pattern: str | None) -> str:
    return f"chosen: {NAME}, " + "; ".join(other.unfit for other in others if other.unfit)


PATTERN = HostingPattern(
    name=NAME, spec=AsyncModel, fields=AsyncFields, metrics=ASYNC_METRICS, unit=AsyncPlan, plan_units=plan_units, candidate=candidate, verdict=verdict,
    scaling_complexity="an async endpoint scales one level (instances, on its queue, down to zero)", rehearsed_types=("AWS::SageMaker::Endpoint",),
    request_refusals=Request.async_refusals, instance_counts=instance_counts, model_problems=async_problems,
)
