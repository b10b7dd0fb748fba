"""What a hosting pattern is made of: the interface `loadmaster.hostings.registry` lists patterns by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from loadmaster.async_inference import Request
from loadmaster.errors import Problem
from loadmaster.limits import DEFAULT_ROLLBACK_LATENCY_MS, DEFAULT_SCALE_IN_COOLDOWN_S, DEFAULT_SCALE_OUT_COOLDOWN_S
from loadmaster.plan import Bounds, Charge, DeploymentPlan, NetworkPlan
from loadmaster.scaling import (
    DEFAULT_TARGET_CONCURRENCY,
    Scaling,
    ScalingMetric,
    StepScaling,
    TargetTracking,
)
from loadmaster.spec.scaling import step_policies_of, windows_of, windows_outside

if TYPE_CHECKING:
    from loadmaster.catalog import Catalog, InstanceType
    from loadmaster.identity import IdentityLock
    from loadmaster.planner.cost import BaselineEndpoint, UsageCost
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


# Grouping: `hosting: auto` may put several models on one endpoint of a pattern that serves many (`HostingPattern.groups`,
# asked by `loadmaster.planner.grouping`).


@dataclass(frozen=True)
class Alone:
    """An `auto` model the grouping step may group: no key of its own pins its hosting. `hosting` is the one the
    fitness functions choose for it alone, where it costs `hourly_at_floor` and `hourly_at_mean` (a copy's cost as
    weighed, times its copies at that traffic); `devices` the hardware it runs on."""

    spec: ModelSpec
    devices: tuple[str, ...]
    hosting: str
    hourly_at_floor: float
    hourly_at_mean: float


@dataclass(frozen=True)
class Member:
    """A portfolio model on a group's endpoint: how callers invoke it there (`invoke`: the request parameter that
    names it, besides EndpointName, such as {"TargetModel": "shop-1.tar.gz"}) and why it is there."""

    name: str
    invoke: dict[str, str]
    reasons: tuple[str, ...] = ()

    def invocation(self, endpoint_name: str) -> str:
        return f"callers invoke it with EndpointName {endpoint_name}, " + ", ".join(f"{key} {value}" for key, value in self.invoke.items())


@dataclass(frozen=True)
class Group:
    """A pattern's proposal to host several `auto` models on one endpoint: `spec`, the group as one model of the
    pattern the user could have written (its name deterministic: the same models give the same name in any order),
    and what it costs on `instance_type` at the floor and at mean traffic, counted as `basis` says. `members` carry
    the pattern's own reasons (the fitness functions it judges differently, and its verdict); the grouping step
    adds the cost comparison."""

    spec: ModelSpec
    members: tuple[Member, ...]
    instance_type: str
    hourly_at_floor: float
    hourly_at_mean: float
    basis: str
    reasons: tuple[str, ...] = ()  # the group's own, for its plan entry; filled in by the grouping step

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class Proposals:
    """A pattern's groups, and why the models it considered beside a group's members are not in it (by model)."""

    groups: tuple[Group, ...] = ()
    left_out: dict[str, str] = field(default_factory=dict)


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
      endpoint the lock keys `<pattern>:<model>` (its units' `key`), on its instance type unless `NONE`;
    - `baseline(model, plan_type)`: the endpoints "one endpoint per model" compares a model of it
      with (`loadmaster.planner.cost.BaselineEndpoint`); None (default): the model alone on the cheapest type that
      holds a copy (`baseline_endpoint`). A model that stands for several (a multi-model endpoint's) has one each;
    - `mean_is_stated(model)`: whether its count at mean traffic comes from traffic it states; None (default):
      `loadmaster.planner.sizing.mean_is_stated`, from the model's own `traffic`;
    - `groups(models, catalog)`: for a pattern whose endpoint serves several models, its `Proposals`: groups of the
      `auto` models open to grouping (`Alone`, in name order), each a model of the pattern; the grouping step forms a
      group only where it costs less than its members alone. None (default): it groups nothing.
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
    baseline: Callable[[ModelSpec, InstanceType], tuple[BaselineEndpoint, ...]] | None = None
    mean_is_stated: Callable[[ModelSpec], bool] | None = None
    groups: Callable[[list[Alone], Catalog], Proposals] | None = None

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


class ModelEndpoint:
    """The `loadmaster.plan.PlanUnit` members of one model on an endpoint of its own, named after its pattern: a
    frozen dataclass with the fields `model`, `endpoint_name` and `reasons` and the class variable `pattern` inherits
    them (dedicated, serverless and async units do)."""

    pattern: ClassVar[str]
    model: str
    endpoint_name: str
    reasons: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.pattern}:{self.model}"

    @property
    def label(self) -> str:
        return f"{self.pattern} model {self.model}"

    @property
    def models(self) -> tuple[str, ...]:
        return (self.model,)

    @classmethod
    def counted(cls, endpoints: tuple) -> list[tuple[int, str]]:
        return [(len(endpoints), f"{cls.pattern} endpoint")]

    def sagemaker_names(self) -> dict[str, str]:
        return {self.endpoint_name: f"model {self.model}"}

    def with_reasons(self, reasons: Callable[[str, tuple[str, ...]], tuple[str, ...]]) -> Any:
        return replace(self, reasons=reasons(self.model, self.reasons))  # type: ignore[type-var]

    @property
    def runs_on(self) -> str:
        """What the lock records it runs on, whose change makes it a new endpoint (loadmaster.identity)."""
        raise NotImplementedError

    @property
    def member_names(self) -> tuple[str, ...] | None:
        """The portfolio models a group's endpoint serves, which the lock records (`HostsMembers`); None: its own."""
        return None

    def identified(self, names: Any) -> Any:
        endpoint = names.endpoint(self.key, self.endpoint_name, self.runs_on, members=self.member_names)
        return replace(self, endpoint_name=endpoint.name, generation=endpoint.generation, stack=endpoint.stack)  # type: ignore[type-var]


class HostsMembers:
    """The members of a group's unit (a frozen dataclass with `members: tuple[Member, ...]`, empty for a model the
    user wrote): each member has its own plan entry, saying how callers invoke it, and its own reasons."""

    members: tuple[Member, ...]

    @property
    def member_names(self) -> tuple[str, ...] | None:
        return tuple(member.name for member in self.members) or None

    def with_reasons(self, reasons: Callable[[str, tuple[str, ...]], tuple[str, ...]]) -> Any:
        members = tuple(replace(member, reasons=reasons(member.name, member.reasons)) for member in self.members)
        return replace(super().with_reasons(reasons), members=members)  # type: ignore[misc]

    def member_documents(self, group: dict[str, Any]) -> list[dict[str, Any]]:
        """Each member's plan entry: on the group's endpoint (`group`, its own entry), with how callers invoke it."""
        shared = {key: value for key, value in group.items() if key not in ("holds", "containers")}
        return [shared | {"name": member.name, "grouped_in": group["name"], "invoke": {"EndpointName": group["endpoint_name"], **member.invoke},
                         "reasons": list(member.reasons), "notes": [member.invocation(group["endpoint_name"])]} for member in self.members]

    def member_lines(self, endpoint_name: str) -> list[str]:
        return [f"    model {member.name}: {member.invocation(endpoint_name)}" for member in self.members]


class ModelOnInstances(ModelEndpoint):
    """A `ModelEndpoint` on instances of its own, one copy each: with the fields `instance_type`, `instances`,
    `instance_counts`, `scaling` and `notes` besides (dedicated and async units)."""

    instance_type: Any  # loadmaster.catalog.InstanceType
    instances: Bounds
    instance_counts: Any  # loadmaster.planner.sizing.Counts
    scaling: Scaling | None
    notes: tuple[str, ...]

    def __post_init__(self) -> None:
        raise_unless_scaling_within(self.scaling, self.instances, self.label)

    @property
    def runs_on(self) -> str:
        return self.instance_type.name

    def charges(self) -> tuple[Charge, ...]:
        return (Charge(self.instance_type, self.instance_counts),)

    def model_documents(self) -> list[dict[str, Any]]:
        return [{
            "name": self.model,
            "hosting": self.pattern,
            "pool": None,
            "endpoint_name": self.endpoint_name,
            "instance_type": self.instance_type.name,
            "copies": counts_document(self.instance_counts, self.instances),  # one copy per instance
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }]


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
    groups: dict[str, Group] = field(default_factory=dict)  # the groups `auto` formed, by their model's name

    def group(self, model: str) -> Group | None:
        """The group the planner formed as `model`, or None for a model of the portfolio."""
        return self.groups.get(model)

    def models_of(self, pattern: str) -> dict[str, Any]:
        """The decisions of the models hosted by `pattern`, in portfolio order."""
        return {name: decision for name, decision in self.decisions.models.items() if decision.hosting == pattern}

    def spec_of(self, model: str) -> Any:
        return next(spec for spec in self.portfolio.models if spec.name == model)

    def where(self, model: str) -> str:
        """A model's location in the file, as problems name it: `models[2] (blockgen)`."""
        index = next(index for index, spec in enumerate(self.portfolio.models) if spec.name == model)
        return f"models[{index}] ({model})"


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
    scaling = Scaling(default_metric.dimension, bounds.min, bounds.max, target_tracking=(tracking,),
                      wake_from_zero=wake_from_zero if bounds.min == 0 else None)
    return with_schedule_and_steps(scaling, model)


def with_schedule_and_steps(scaling: Scaling | None, model: Any) -> Scaling | None:
    """`scaling` with the model's scheduled actions and step policies (`scaling.schedule`, `scaling.step`): every
    pattern that scales takes them on its target."""
    written = model.scaling
    if scaling is None or written is None or written == "none":
        return scaling
    return replace(scaling, scheduled=windows_of(written.schedule), step=step_policies_of(written.step))


def window_problems(context: PlanningContext, model: str, scaling: Scaling | None, of: str = "") -> list[Problem]:
    """The model's scheduled windows whose min or max lies outside the range it scales in, as planned (`of`: whose
    range, when not the model's own, such as a variant's)."""
    if scaling is None:
        return []
    return [Problem(f"{context.where(model)}.scaling.schedule", problem + of) for problem in windows_outside(scaling.scheduled, scaling.min, scaling.max)]


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
    parts = [f"scales on {policy.metric.portfolio_name} (target {policy.target:g})" for policy in scaling.target_tracking]
    parts += [f"steps on {policy.alarm.metric_name} {_COMPARISONS[policy.alarm.comparison]} {policy.alarm.threshold:.15g}" for policy in scaling.step]
    parts += [f"{action.name} {action.schedule} {action.timezone}: {_window_range(action)}" for action in scaling.scheduled]
    return ", ".join(parts)


_COMPARISONS = {"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">", "LessThanThreshold": "<", "LessThanOrEqualToThreshold": "<="}


def _window_range(action: Any) -> str:
    return " ".join(f"{bound} {value}" for bound, value in (("min", action.min), ("max", action.max)) if value is not None)


def bounds_range(bounds: Bounds) -> str:
    return f"{bounds.min}..{bounds.max}"


def counts_document(counts: Any, bounds: Bounds) -> dict[str, int]:
    """Counts at the floor, mean and peak, and the bound's max, as `loadmaster plan --format json` shows them."""
    return {"min": counts.min, "expected": counts.expected, "peak": counts.peak, "max": bounds.max}


def raise_unless_scaling_within(scaling: Scaling | None, bounds: Bounds, unit: str) -> None:
    """A unit's bounds and its scaling's are one range: the stacks render the scaling's, the plan shows the bounds."""
    if scaling and (scaling.min, scaling.max) != (bounds.min, bounds.max):
        raise ValueError(f"{unit}: scaling {scaling.min}..{scaling.max} is not its bounds {bounds.min}..{bounds.max}")
