"""What a hosting pattern is made of: the interface `loadmaster.hostings.registry` lists patterns by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loadmaster.async_inference import Request
from loadmaster.errors import Problem
from loadmaster.limits import DEFAULT_ROLLBACK_LATENCY_MS, DEFAULT_SCALE_IN_COOLDOWN_S, DEFAULT_SCALE_OUT_COOLDOWN_S
from loadmaster.plan import Bounds, DeploymentPlan, NetworkPlan
from loadmaster.scaling import (
    DEFAULT_TARGET_CONCURRENCY,
    Scaling,
    ScalingMetric,
    StepScaling,
    TargetTracking,
)

if TYPE_CHECKING:
    from loadmaster.catalog import Catalog
    from loadmaster.identity import IdentityLock
    from loadmaster.planner.cost import UsageCost
    from loadmaster.planner.sizing import Counts, Demand
    from loadmaster.spec.base import ModelSpec

# `hosting: auto` keeps a steady model on the simplest hosting when another would save it less than this. Our
# judgement, not an AWS figure: below it the saving does not pay for another level of scaling.
SIMPLICITY_MARGIN = 0.02


@dataclass(frozen=True)
class Candidate:
    """One pattern's offer for a model under its traffic, weighed by `hosting: auto` (`loadmaster.hostings.auto`).

    `hourly` is what a copy costs per hour on `instance_type` (None: the pattern cannot host it, `cost` says why);
    `cost` is the pattern's phrase for the cost fitness function; `scaling_levels` its scaling complexity, by which
    the simplest candidate is the one the others are compared with."""

    pattern: str
    cost: str
    scaling_levels: int
    instance_type: str | None = None
    hourly: float | None = None
    unfit: str | None = None  # why it cannot host the model, for the verdict

    @property
    def fits(self) -> bool:
        return self.hourly is not None


# How a pattern takes instances, which decides what the planner decides for its models (`loadmaster.planner.decide`):
POOL = "pool"  # copies packed with other models' on shared instances: the planner packs pools (inference components)
ALONE = "alone"  # a model alone on whole instances of its own: the planner picks the cheapest type that holds a copy and counts them
NONE = "none"  # no instances the planner decides: the pattern's `plan_units` decides what it needs, and it bills by use (`cost_by_use`)


@dataclass(frozen=True)
class LockedPlacement:
    """Where the lock file has a model (`loadmaster.sticky`): its hosting, and its pool or its instance type."""

    hosting: str
    instance_type: str | None  # None: no instances of its own (a pattern that takes NONE)
    pool: str | None = None

    def written(self) -> dict[str, str]:
        """The keys that write the placement into the model, as the user could have written them."""
        return {"hosting": self.hosting} | ({"pool": self.pool} if self.pool else {"instance_type": self.instance_type} if self.instance_type else {})

    def __str__(self) -> str:
        if self.pool:
            return f"pool {self.pool} on {self.instance_type}"
        return f"{self.hosting} endpoint" + (f" on {self.instance_type}" if self.instance_type else "")


def no_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    return []


@dataclass(frozen=True)
class HostingPattern:
    """A hosting pattern's parts.

    - `spec`: its model's portfolio keys, the variant of the `hosting` union (loadmaster.spec.schema); `fields`: the
      keys only it has, which an `auto` model may write and which then decide its hosting; `metrics`: its scaling
      metrics, which decide it too;
    - `unit`: its plan unit, a frozen dataclass with the `loadmaster.plan.PlanUnit` members;
    - `plan_units`: its units of a plan, from the planner's decisions (`PlanningContext`), and the problems found;
    - `candidate`: its offer for a model to `hosting: auto`;
    - `verdict`: why it was chosen over the `others`, given its saving against the simplest candidate that fits (the
      one with the fewest scaling levels; None when no other candidate fits) and the traffic pattern;
    - `scaling_complexity`: the levels it scales on, as the scaling-complexity fitness function says them;
    - `rehearsed_types`: the CloudFormation types its builder creates that `loadmaster.rehearsal` verifies;
    - `request_refusals`: why it cannot serve a model's `request:` (payload, processing time, whether callers wait
      for S3), empty when it can. Default: a real-time endpoint's limits (`Request.needs_more_than_real_time`).

    The defaulted members below are what the planner, the checks, the bill and the lock ask every pattern; the
    defaults are a real-time endpoint of its own on instances billed by the hour (a dedicated endpoint's):
    - `instances`: how it takes instances, `POOL`, `ALONE` (default) or `NONE` (see there);
    - `instance_counts`: for `ALONE`, its instances at the floor, mean and peak, the bounds autoscaling moves them
      in, and notes, from the model's spec; None (default): the planner's count from the traffic, at least 1;
    - `model_problems(where, model, items, catalog)`: its checks of a model that need the whole file (`items`:
      `loadmaster.spec.checks.Items`) or the catalog; `where` starts each problem's location;
    - `cost_by_use(model, catalog)`: what a model it hosts costs per hour by use, not by instance-hours
      (`loadmaster.planner.cost.UsageCost`, with the bill's part it is counted in; its units charge no instances);
      None (default): billed by the hour of the instances the planner decides for it, which its units' `charges()`
      repeat (tests/test_hosting_registry.py checks that they add up to the plan's cost);
    - `locked_placement(model, lock)`: where the lock file has a model on it, or None; None (default): the
      endpoint the lock keys `<pattern>:<model>` (its units' `key`), on its instance type unless `NONE`.
    """

    name: str
    spec: type
    fields: type
    metrics: tuple[str, ...]
    unit: type
    plan_units: Callable[[PlanningContext], tuple[tuple[Any, ...], list[Any]]]
    candidate: Callable[[ModelSpec, dict[str, Demand], Catalog], Candidate]
    verdict: Callable[[Candidate, list[Candidate], float | None, str | None], str]
    scaling_complexity: str
    rehearsed_types: tuple[str, ...]
    request_refusals: Callable[[Request], list[str]] = Request.needs_more_than_real_time
    instances: str = ALONE
    instance_counts: Callable[[ModelSpec], tuple[Counts, tuple[int, int], list[str]]] | None = None
    model_problems: Callable[[str, Any, Any, Catalog], list[Problem]] = no_problems
    cost_by_use: Callable[[ModelSpec, Catalog], UsageCost] | None = None
    locked_placement: Callable[[str, IdentityLock], LockedPlacement | None] | None = None

    def __post_init__(self) -> None:
        if self.instances == NONE and self.cost_by_use is None:
            raise ValueError(f"hosting pattern {self.name}: without instances the planner decides, it bills by use: give it a cost_by_use")

    def placement_in(self, lock: IdentityLock, model: str) -> LockedPlacement | None:
        """Where `lock` has `model` on this pattern, or None."""
        if self.locked_placement is not None:
            return self.locked_placement(model, lock)
        endpoint = lock.endpoints.get(f"{self.name}:{model}")
        if endpoint is None:
            return None
        if self.instances == NONE:
            return LockedPlacement(self.name, None)
        return LockedPlacement(self.name, endpoint.instance_type) if endpoint.instance_type else None


def request_of(model: Any) -> Request | None:
    """A model's `request:` as plain data; None when it states none (within real-time limits, as far as it says)."""
    written = model.request
    return Request(written.payload_mb, written.processing_s, written.callers_wait_for_s3) if written else None


@dataclass(frozen=True)
class PlanningContext:
    """What a pattern's `plan_units` reads: the validated portfolio, the planner's decisions, each model's container."""

    portfolio: Any  # loadmaster.spec.schema.Portfolio
    decisions: Any  # loadmaster.planner.decide.Decisions
    containers: dict[str, Any]  # model -> loadmaster.plan.ContainerDefinition
    catalog: Any

    def models_of(self, pattern: str) -> dict[str, Any]:
        """The decisions of the models hosted by `pattern`, in portfolio order."""
        return {name: decision for name, decision in self.decisions.models.items() if decision.hosting == pattern}

    def spec_of(self, model: str) -> Any:
        return next(spec for spec in self.portfolio.models if spec.name == model)


def endpoint_named_like_a_pool(where: str, items: Any, name: str) -> list[Problem]:
    """A model's own endpoint and a pool's are both named PORTFOLIO-NAME: SageMaker would refuse the second."""
    return [
        Problem(f"{where}.name", f"its dedicated endpoint would be named {items.name}-{name}, like the endpoint of pools[{index}]; rename one")
        for index, pool_name in items.pool_names or []
        if pool_name == name
    ][:1]


def scaling_of(model: Any, default_metric: ScalingMetric, bounds: Bounds, wake_from_zero: StepScaling | None = None) -> Scaling | None:
    """A model's target tracking between `bounds`, as written or by default; None for `scaling: none`.
    `wake_from_zero` is the step policy that leaves zero, kept where `bounds` reach it."""
    if model.scaling == "none":
        return None
    written = model.scaling  # None: the defaults
    tracking = TargetTracking(
        metric=ScalingMetric.named(written.metric) if written else default_metric,
        target=written.target if written else DEFAULT_TARGET_CONCURRENCY,
        scale_in_cooldown_s=written.scale_in_cooldown_s if written else DEFAULT_SCALE_IN_COOLDOWN_S,
        scale_out_cooldown_s=written.scale_out_cooldown_s if written else DEFAULT_SCALE_OUT_COOLDOWN_S,
    )
    return Scaling(default_metric.dimension, bounds.min, bounds.max, target_tracking=(tracking,),
                   wake_from_zero=wake_from_zero if bounds.min == 0 else None)


def deployment_of(model: Any) -> DeploymentPlan:
    written = model.deployment
    return DeploymentPlan(
        strategy=written.strategy,
        batch_percent=written.batch_percent,
        wait_s=written.wait_s,
        rollback_errors_per_minute=written.rollback_errors_per_minute,
        rollback_latency_ms=written.rollback_latency_ms or model.latency_slo_ms or DEFAULT_ROLLBACK_LATENCY_MS,
    )


def network_of(network: Any) -> NetworkPlan | None:
    """The portfolio's `network:` as plain data."""
    return NetworkPlan(tuple(network.subnets), tuple(network.security_groups), network.isolation) if network else None


def scaling_summary(scaling: Scaling | None) -> str:
    if scaling is None:
        return "no autoscaling"
    return ", ".join(f"scales on {policy.metric.portfolio_name} (target {policy.target:g})" for policy in scaling.target_tracking)


def bounds_range(bounds: Bounds) -> str:
    return f"{bounds.min}..{bounds.max}"


def counts_document(counts: Any, bounds: Bounds) -> dict[str, int]:
    """Counts at the floor, mean and peak, and the bound's max, as `loadmaster plan --format json` shows them."""
    return {"min": counts.min, "expected": counts.expected, "peak": counts.peak, "max": bounds.max}


def raise_unless_scaling_within(scaling: Scaling | None, bounds: Bounds, unit: str) -> None:
    """A unit's bounds and its scaling's are one range: the stacks render the scaling's, the plan shows the bounds."""
    if scaling and (scaling.min, scaling.max) != (bounds.min, bounds.max):
        raise ValueError(f"{unit}: scaling {scaling.min}..{scaling.max} is not its bounds {bounds.min}..{bounds.max}")
