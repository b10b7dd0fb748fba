"""A model on a serverless endpoint: SageMaker starts CPU containers per request and bills the seconds of inference.

No instances: nothing to pack, and the cost follows the traffic (loadmaster.catalog.serverless prices it). Optional
provisioned concurrency keeps containers warm and is the one thing Application Auto Scaling scales, on
`SageMakerVariantProvisionedConcurrencyUtilization`. Fit for small, intermittent models that tolerate a cold start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

from pydantic import Field

from loadmaster.catalog import CPU, Catalog
from loadmaster.catalog import serverless as limits
from loadmaster.catalog.serverless import MAX_CONCURRENCY, MAX_MEMORY_MB, US_EAST_1, ServerlessPrices, reasons_not_serverless, smallest_memory_size_mb
from loadmaster.errors import Problem
from loadmaster.hostings.pattern import (
    NONE,
    Candidate,
    HostingPattern,
    ModelEndpoint,
    PlanningContext,
    bounds_range,
    deployment_of,
    endpoint_named_like_a_pool,
    scaling_summary,
    window_problems,
    with_schedule_and_steps,
)
from loadmaster.plan import Bounds, ContainerDefinition, DeploymentPlan
from loadmaster.planner.bill import SAGEMAKER_PRICING, Meter, PriceSource
from loadmaster.planner.cost import UsageCost
from loadmaster.planner.sizing import Demand, unit_counts
from loadmaster.spec.base import HOSTING_DESCRIPTION, CountRange, ModelSpec, Spec
from loadmaster.spec.base import Scaling as ScalingSpec
from loadmaster.limits import DEFAULT_SCALE_IN_COOLDOWN_S, DEFAULT_SCALE_OUT_COOLDOWN_S
from loadmaster.scaling import Scaling, ScalingMetric, TargetTracking

NAME = HOSTING = "serverless"
SERVERLESS_METRICS = ("provisioned-concurrency-utilization",)
# SageMaker scales the containers itself, one level; provisioned concurrency, where asked, is scaled like instances.
SCALING_LEVELS = 1
# The SageMaker Python SDK's ServerlessInferenceConfig defaults (memory_size_in_mb=2048, max_concurrency=5), taken
# where the portfolio gives no size and no traffic to derive them from.
DEFAULT_MEMORY_MB, DEFAULT_MAX_CONCURRENCY = 2048, 5
# Headroom of max_concurrency over the peak: more requests than it at once are throttled. loadmaster's judgement.
PEAK_HEADROOM = 1.25
# Provisioned concurrency in use, as a fraction of it, that target tracking keeps: the AWS ML blog "Announcing
# provisioned concurrency for Amazon SageMaker Serverless Inference" tracks 0.5; loadmaster keeps more in use.
DEFAULT_UTILIZATION_TARGET = 0.7
# A serverless cold start, our estimate: public measurements range from about a second for small models to about a
# minute (ModelSetupTime, SageMaker developer guide, serverless metrics); below it, a latency objective needs warm
# capacity, which serverless gives only as provisioned concurrency.
COLD_START_MS = 60_000


# The portfolio's keys and checks


class ServerlessConfig(Spec):
    """A serverless endpoint's memory and concurrency (SageMaker's ranges: loadmaster.catalog.serverless)."""

    memory_mb: int | None = Field(default=None, ge=limits.MIN_MEMORY_MB, le=limits.MAX_MEMORY_MB, multiple_of=limits.MB_PER_GB, description=(
        "1024 to 6144 MB in 1024 steps; vCPUs come with it. Default: the smallest that holds size_gb x 1.5, else 2048 (the SageMaker Python SDK's)."))
    max_concurrency: int | None = Field(default=None, ge=limits.MIN_CONCURRENCY, le=limits.MAX_CONCURRENCY, description=(
        "Requests served at once, 1 to 200; more are throttled. Default: the traffic's peak x 1.25, else 5."))
    provisioned_concurrency: CountRange | None = Field(default=None, description=(
        "Containers kept warm, at least min (1 or more) and at most max (up to max_concurrency), scaled on their utilization. "
        "Default: none, every container on demand (a cold start after idle)."))


class ServerlessScaling(ScalingSpec):
    metric: Literal["provisioned-concurrency-utilization"] = Field(description=(  # type: ignore[assignment]
        "provisioned-concurrency-utilization: the fraction of the provisioned concurrency in use."))


class ServerlessFields(ModelSpec):
    """The key only a serverless endpoint has (an `auto` model may write it too: it decides its hosting)."""

    serverless: ServerlessConfig | None = Field(default=None, description="Memory, concurrency and warm capacity. Default: the planner's.")


class ServerlessModel(ServerlessFields):
    """A model on a serverless endpoint of its own: CPU only, billed by the second of inference."""

    hosting: Literal["serverless"] = Field(description=HOSTING_DESCRIPTION)
    scaling: ServerlessScaling | Literal["none"] | None = Field(default=None, description=(
        "Target tracking on the provisioned concurrency (with provisioned_concurrency only). Default: utilization 0.7."))
    # The other hostings' keys, which a serverless endpoint does not have.
    pool: ClassVar[None] = None
    per_copy: ClassVar[None] = None
    copies: ClassVar[None] = None
    instance_type: ClassVar[None] = None
    instances: ClassVar[None] = None
    network: ClassVar[None] = None
    ssm_access: ClassVar[bool] = False


# What a model's memory is sized from on a serverless endpoint: its weights with the runtime's room around them
# (loadmaster's judgement, as for host memory on instances).
WEIGHTS_OVERHEAD = 1.5
MB_PER_GB = 1024
BYTES_PER_KB, BYTES_PER_MIB = 1000, 2**20


def serverless_memory_needed_mb(model: Any) -> float | None:
    return model.size_gb * MB_PER_GB * WEIGHTS_OVERHEAD if model.size_gb is not None else None


def payload_mb(model: Any) -> float | None:
    """A request's payload in MB as SageMaker's payload limits count them (MiB: the 6 MB real-time limit is 6291456
    bytes in botocore), from `traffic.request_kb` (10^3 bytes)."""
    return model.traffic.request_kb * BYTES_PER_KB / BYTES_PER_MIB if model.traffic and model.traffic.request_kb is not None else None


def serverless_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    """What keeps a model off a serverless endpoint, each with SageMaker's reason (loadmaster.catalog.serverless)."""
    needs_accelerators = model.devices is not None and CPU not in model.devices
    needed_mb = serverless_memory_needed_mb(model)
    reasons = reasons_not_serverless(accelerators=1 if needs_accelerators else 0, memory_mb=needed_mb or 0, payload_mb=payload_mb(model))
    fields = {"accelerators": "devices", "memory_mb": "size_gb", "payload_mb": "traffic.request_kb"}  # what the portfolio says each with
    problems = [Problem(f"{where}.{fields[argument]}", f"cannot be serverless: {reason}") for argument, reason in reasons.items()]
    config = model.serverless or ServerlessConfig()
    if config.memory_mb is not None and needed_mb and config.memory_mb < needed_mb:
        problems.append(Problem(f"{where}.serverless.memory_mb", f"{config.memory_mb} MB does not hold the model's {needed_mb:g} MB (size_gb x {WEIGHTS_OVERHEAD})"))
    provisioned = config.provisioned_concurrency
    if provisioned is not None and provisioned.min < 1:
        problems.append(Problem(f"{where}.serverless.provisioned_concurrency.min", "at least 1: an endpoint without provisioned concurrency leaves it out"))
    if provisioned is not None and config.max_concurrency is not None and provisioned.max > config.max_concurrency:
        problems.append(Problem(f"{where}.serverless.provisioned_concurrency.max", f"{provisioned.max} is above max_concurrency ({config.max_concurrency})"))
    if isinstance(model.scaling, ScalingSpec) and provisioned is None:
        problems.append(Problem(f"{where}.scaling", "scales provisioned concurrency: set serverless.provisioned_concurrency, or leave scaling out "
                                "(SageMaker scales on-demand containers itself)"))
    if "strategy" in model.deployment.model_fields_set and model.deployment.strategy == "rolling":
        problems.append(Problem(f"{where}.deployment.strategy", "serverless endpoints take blue-green updates only: SageMaker excludes them from rolling deployments"))
    return problems + endpoint_named_like_a_pool(where, items, model.name)


# The plan


@dataclass(frozen=True)
class ServerlessPlan(ModelEndpoint):
    """One model on its own serverless endpoint."""

    pattern: ClassVar[str] = NAME

    model: str
    endpoint_name: str
    container: ContainerDefinition
    memory_mb: int
    max_concurrency: int
    provisioned_concurrency: Bounds | None  # None: every container on demand
    scaling: Scaling | None  # on the provisioned concurrency; None without it or with `scaling: none`
    hourly_at_mean: float
    hourly_at_peak: float
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deployment: DeploymentPlan = DeploymentPlan(strategy="blue-green")
    generation: int = 1
    stack: str | None = None

    # A new memory size or concurrency replaces the endpoint config, never the endpoint: one identity throughout.
    runs_on: ClassVar[str] = NAME

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        # A serverless endpoint publishes no concurrency metric of requests (only utilizations): observe reads it by
        # Invocations and ModelLatency alone, through Little's law.
        return []

    def charges(self) -> tuple:
        return ()  # no instances: its cost is `hourly_at_mean` and `hourly_at_peak`, by usage

    def summary_lines(self) -> list[str]:
        warm = (f", provisioned concurrency {bounds_range(self.provisioned_concurrency)}, {scaling_summary(self.scaling)}"
                if self.provisioned_concurrency else ", no provisioned concurrency (cold starts after idle)")
        return [f"  serverless {self.model} -> endpoint {self.endpoint_name}: {self.memory_mb} MB, max concurrency {self.max_concurrency}{warm}"]

    def model_documents(self) -> list[dict[str, Any]]:
        return [{
            "name": self.model,
            "hosting": NAME,
            "pool": None,
            "endpoint_name": self.endpoint_name,
            "instance_type": None,
            "on": f"serverless, {self.memory_mb} MB",
            "per_copy": {"accelerators": 0, "memory_mb": self.memory_mb, "cpu_cores": None},
            "memory_mb": self.memory_mb,
            "max_concurrency": self.max_concurrency,
            "provisioned_concurrency": {"min": self.provisioned_concurrency.min, "max": self.provisioned_concurrency.max} if self.provisioned_concurrency else None,
            "hourly_at_mean": round(self.hourly_at_mean, 4),
            "hourly_at_peak": round(self.hourly_at_peak, 4),
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }]


def memory_mb_of(model: Any) -> int | None:
    """The portfolio's memory size, else the smallest that holds its weights, else the SDK's default; None when the
    weights need more than serverless has."""
    written = model.serverless.memory_mb if model.serverless else None
    if written is not None:
        return written
    needed_mb = serverless_memory_needed_mb(model)
    return DEFAULT_MEMORY_MB if needed_mb is None else smallest_memory_size_mb(needed_mb)


def max_concurrency_of(model: Any) -> int:
    written = model.serverless.max_concurrency if model.serverless else None
    if written is not None:
        return written
    if model.traffic is None:
        return DEFAULT_MAX_CONCURRENCY
    return min(MAX_CONCURRENCY, max(1, math.ceil(model.traffic.peak_concurrency * PEAK_HEADROOM)))


def hourly(model: Any, memory_mb: int, provisioned: Bounds | None, prices: ServerlessPrices = US_EAST_1) -> tuple[float, float]:
    """USD per hour at mean and at peak traffic, provisioned concurrency at its floor and its ceiling. Without traffic
    a model is counted at its floor at mean (no requests: the provisioned concurrency alone) and at its ceiling at
    peak (max_concurrency requests at once, all the time), as a model on instances is counted at instances.max: an
    unknown peak is never a free one."""
    mean, peak = (model.traffic.mean_concurrency, model.traffic.peak_concurrency) if model.traffic else (0.0, float(max_concurrency_of(model)))
    low, high = (provisioned.min, provisioned.max) if provisioned else (0, 0)
    return prices.hourly(memory_mb, mean, low), prices.hourly(memory_mb, peak, high)


def provisioned_of(model: Any) -> Bounds | None:
    written = model.serverless.provisioned_concurrency if model.serverless else None
    return Bounds(written.min, written.max) if written else None


# The bill's part serverless endpoints are counted in (loadmaster.planner.bill).
METER = Meter("serverless compute", "seconds of inference and provisioned concurrency",
              PriceSource(US_EAST_1.source, SAGEMAKER_PRICING, US_EAST_1.region, "2026-12-01", unverified=True))


def cost_by_use(model: Any, catalog: Catalog) -> UsageCost:
    """What the model's endpoint costs per hour at mean and at peak traffic, as the plan builds it (the planner's
    cost; its memory is valid by then: the portfolio's checks refuse a model too large)."""
    return UsageCost(model.name, *hourly(model, memory_mb_of(model) or MAX_MEMORY_MB, provisioned_of(model)), METER)


def scaling_of(model: Any, provisioned: Bounds | None) -> Scaling | None:
    if provisioned is None or model.scaling == "none":
        return None
    written = model.scaling  # None: the defaults
    tracking = TargetTracking(
        metric=ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION,
        target=written.target if written else DEFAULT_UTILIZATION_TARGET,
        scale_in_cooldown_s=written.scale_in_cooldown_s if written else DEFAULT_SCALE_IN_COOLDOWN_S,
        scale_out_cooldown_s=written.scale_out_cooldown_s if written else DEFAULT_SCALE_OUT_COOLDOWN_S,
    )
    return with_schedule_and_steps(Scaling(ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION.dimension, provisioned.min, provisioned.max, target_tracking=(tracking,)), model)


def plan_units(context: PlanningContext) -> tuple[tuple[ServerlessPlan, ...], list[Problem]]:
    units, problems = [], []
    for name, decision in context.models_of(NAME).items():
        model = context.spec_of(name)
        memory_mb = memory_mb_of(model)
        if memory_mb is None:  # an `auto` model never gets here: its candidate is unfit
            problems.append(Problem(f"models ({name}).size_gb", f"{model.size_gb:g} GB of weights need more than a serverless endpoint's memory"))
            continue
        provisioned = provisioned_of(model)
        at_mean, at_peak = hourly(model, memory_mb, provisioned)
        notes = list(decision.notes)
        if not (model.serverless and model.serverless.memory_mb):
            notes.append(f"memory {memory_mb} MB chosen by the planner" + (f" for size_gb {model.size_gb:g} x {WEIGHTS_OVERHEAD}" if model.size_gb else ", the SageMaker Python SDK's default"))
        if model.traffic is None:
            notes.append(f"no traffic stated: counted at no requests at mean and at its max_concurrency ({max_concurrency_of(model)}) busy all the time at peak")
        if US_EAST_1.provisioned_is_estimate and provisioned:
            notes.append("provisioned concurrency priced at an estimate (loadmaster.catalog.serverless)")
        units.append(ServerlessPlan(
            model=name,
            endpoint_name=f"{context.portfolio.name}-{name}",
            container=context.containers[name],
            memory_mb=memory_mb,
            max_concurrency=max_concurrency_of(model),
            provisioned_concurrency=provisioned,
            scaling=scaling_of(model, provisioned),
            hourly_at_mean=at_mean,
            hourly_at_peak=at_peak,
            reasons=decision.reasons,
            notes=tuple(notes),
            deployment=replace(deployment_of(model), strategy="blue-green"),
        ))
        problems += window_problems(context, name, units[-1].scaling)
    return tuple(units), problems


def unfit_reasons(model: Any, demands: dict[str, Demand], catalog: Catalog) -> list[str]:
    """Why `hosting: auto` does not put the model on a serverless endpoint: SageMaker's limits, then loadmaster's
    fitness (latency against a cold start, concurrency above what one endpoint serves). It runs on CPU if one of
    the types it may use (`demands`, by its devices) has no accelerator."""
    needs_accelerators = not any(catalog[name].accelerators == 0 for name in demands)
    reasons = list(reasons_not_serverless(accelerators=1 if needs_accelerators else 0, memory_mb=serverless_memory_needed_mb(model) or 0,
                                          payload_mb=payload_mb(model)).values())
    if model.latency_slo_ms is not None and model.latency_slo_ms < COLD_START_MS:
        reasons.append(f"its {model.latency_slo_ms} ms objective is shorter than a cold start (about {COLD_START_MS // 1000} s, our estimate)")
    if model.traffic is not None and model.traffic.peak_concurrency > MAX_CONCURRENCY:
        reasons.append(f"its peak of {model.traffic.peak_concurrency:g} concurrent requests is above the {MAX_CONCURRENCY} one endpoint serves")
    return reasons


def candidate(model: Any, demands: dict[str, Demand], catalog: Catalog) -> Candidate:
    """Its cost under the same traffic as the others: the endpoint at mean traffic, per copy the instance patterns
    would run at mean (at least one), so that the candidates' figures compare like with like."""
    reasons = unfit_reasons(model, demands, catalog)
    if reasons:
        # Joined without ";", which separates the candidates in the cost reason.
        return Candidate(NAME, "serverless: cannot host it, " + " and ".join(reasons), SCALING_LEVELS, unfit="it cannot be serverless: " + " and ".join(reasons))
    memory_mb = memory_mb_of(model)
    at_mean, _ = hourly(model, memory_mb, None)
    copies, _ = unit_counts(model, None, may_scale_to_zero=True)
    per_copy = at_mean / max(1, copies.expected)
    return Candidate(NAME, f"serverless at {memory_mb} MB, billed per second of inference ({at_mean:.3f} USD/h at mean traffic)", SCALING_LEVELS, None, per_copy)


def verdict(chosen: Candidate, others: list[Candidate], saving: float | None, pattern: str | None) -> str:
    if saving is None:
        return f"chosen: {NAME}, " + "; ".join(other.unfit for other in others if other.unfit)
    traffic = f"{pattern} traffic" if pattern else "its traffic"
    return f"chosen: {NAME}, {traffic} costs least billed by the second of inference, and the model tolerates a cold start"


PATTERN = HostingPattern(NAME, ServerlessModel, ServerlessFields, SERVERLESS_METRICS, ServerlessPlan, plan_units, candidate, verdict,
                         scaling_complexity="a serverless endpoint scales itself (provisioned concurrency, where asked, one level)",
                         rehearsed_types=("AWS::SageMaker::Endpoint",), instances=NONE, model_problems=serverless_problems, cost_by_use=cost_by_use)
