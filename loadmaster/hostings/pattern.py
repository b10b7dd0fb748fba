"""What a hosting pattern is made of: the interface `loadmaster.hostings.registry` lists patterns by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    from loadmaster.planner.sizing import Demand
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
    - `rehearsed_types`: the CloudFormation types its builder creates that `loadmaster.rehearsal` verifies.
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
