"""The simulation loop: demand in, requests served, waiting or failed out, step by step, with the plan's scaling
policies acting through the alarms Application Auto Scaling and CloudWatch would run.

Each step (`Parameters.step_s`, 10 s) does, for every model at once (numpy over models):
- serving, as a fluid queue: requests arrive at demand / service time, the serving copies take
  `concurrency_per_copy` each at a time, the rest wait; a real-time request not taken within the invocation timeout
  fails, and with no copy at all it fails at once (NoCapacityInvocationFailures); an asynchronous request waits in
  the backlog until its time to live;
- the metrics SageMaker emits, accumulated into each alarm's period: concurrency per copy or per instance (queued
  requests included), invocations, NoCapacityInvocationFailures, the backlog per instance, HasBacklogWithoutCapacity;
- at the end of each alarm's period, its datapoint; an alarm that has breached for its datapoints invokes its policy,
  again every minute while it stays in ALARM. Target tracking asks for ceil(metric x current capacity / target) and
  scales in only when every target-tracking policy on the target agrees (the largest capacity wins); step policies
  add their step's adjustment to the current capacity; scheduled actions move the bounds.
Between steps, a heap of timed events: copies and instances becoming ready, idle instances released, scheduled
actions. Python runs per event and per alarm invocation that changes something, never per model and step.

Copies of inference components are placed first-fit on their pool's instances by what each reserves (accelerators,
memory, CPU); a copy that fits none launches an instance (managed instance scaling) unless the pool is at its max,
and waits meanwhile. An instance without copies is released after `PoolParameters.instance_release_s`, down to the
pool's min. A dedicated or asynchronous endpoint's instance runs one copy: a new one serves after provisioning plus
the copy's start.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from loadmaster.catalog.serverless import MB_PER_GB, SECONDS_PER_HOUR, US_EAST_1
from loadmaster.hostings.asynchronous import HOSTING as ASYNC
from loadmaster.hostings.serverless import HOSTING as SERVERLESS
from loadmaster.plan import Plan
from loadmaster.scaling import DEFAULT_TARGET_CONCURRENCY, MetricAlarm, Scaling, ScalingMetric, StepScaling
from loadmaster.simulator.codes import (
    AVERAGE,
    BACKLOG,
    BACKLOG_PER_INSTANCE,
    BACKLOG_WITHOUT_CAPACITY,
    CONCURRENCY,
    GE,
    GT,
    INVOCATIONS,
    INVOCATIONS_PER_COPY,
    LE,
    LT,
    MAXIMUM,
    MINIMUM,
    NO_CAPACITY_FAILURES,
    STEP,
    SUM,
    TRACK_HIGH,
    TRACK_LOW,
)
from loadmaster.simulator.model import DEFAULT_SERVICE_TIME_S, Demand, Event, ModelOutcome, Parameters, Result, UnitOutcome


# The metrics the simulation computes, by the name CloudWatch gives them (namespace AWS/SageMaker).
METRIC_CODES = {
    "ConcurrentRequestsPerCopy": CONCURRENCY,
    "ConcurrentRequestsPerModel": CONCURRENCY,  # one copy per instance: per instance
    "InvocationsPerCopy": INVOCATIONS_PER_COPY,
    "InvocationsPerInstance": INVOCATIONS_PER_COPY,
    "NoCapacityInvocationFailures": NO_CAPACITY_FAILURES,
    "ApproximateBacklogSizePerInstance": BACKLOG_PER_INSTANCE,
    "HasBacklogWithoutCapacity": BACKLOG_WITHOUT_CAPACITY,
    "ApproximateBacklogSize": BACKLOG,
    "Invocations": INVOCATIONS,
}
TRACKED_METRICS = {  # a target-tracking policy's predefined metric: what it measures and its statistic
    ScalingMetric.CONCURRENT_REQUESTS_PER_COPY: (CONCURRENCY, "Average"),
    ScalingMetric.CONCURRENT_REQUESTS_PER_MODEL: (CONCURRENCY, "Average"),
    ScalingMetric.INVOCATIONS_PER_COPY: (INVOCATIONS_PER_COPY, "Sum"),
    ScalingMetric.INVOCATIONS_PER_INSTANCE: (INVOCATIONS_PER_COPY, "Sum"),
    ScalingMetric.BACKLOG_SIZE_PER_INSTANCE: (BACKLOG_PER_INSTANCE, "Average"),
}
STATISTICS = {"Sum": SUM, "Average": AVERAGE, "Maximum": MAXIMUM, "Minimum": MINIMUM, "SampleCount": SUM}
COMPARISONS = {"GreaterThanThreshold": GT, "GreaterThanOrEqualToThreshold": GE, "LessThanThreshold": LT, "LessThanOrEqualToThreshold": LE}


POOL, ENDPOINT = "pool", "endpoint"


def simulated_as(unit: Any) -> str | None:
    """How the engine simulates a plan unit: a pool of inference components, a serverless endpoint, an endpoint
    scaled by whole instances, or None for a pattern it does not model (its models' demand is left uncounted)."""
    if hasattr(unit, "components"):
        return POOL
    if unit.pattern == SERVERLESS:
        return SERVERLESS
    if all(hasattr(unit, name) for name in ("model", "instances", "instance_type", "scaling")):
        return ENDPOINT
    return None


def simulated_models(plan: Plan) -> set[str]:
    """The models whose demand a simulation of `plan` serves: those of the units `simulated_as` knows."""
    models: set[str] = set()
    for unit in plan.units:
        kind = simulated_as(unit)
        if kind == POOL:
            models.update(component.model for component in unit.components)
        elif kind is not None:
            models.add(unit.model)
    return models


def simulate(plan: Plan, demand: Demand, parameters: Parameters = Parameters(), progress: Callable[[float], None] | None = None) -> Result:
    """Replay `demand` against `plan`'s units and scaling policies; `progress` is called with the fraction done.
    Models of the plan without demand get none; demand for a model the plan lacks raises ValueError."""
    if demand.step_s != parameters.step_s:
        raise ValueError(f"demand in steps of {demand.step_s} s, parameters in steps of {parameters.step_s} s")
    unknown = sorted(set(demand.concurrency) - {model for unit in plan.units for model in unit.models})
    if unknown:
        raise ValueError(f"demand for models the plan does not have: {', '.join(unknown)}")
    return _Run(plan, demand, parameters).run(progress)


@dataclass(eq=False)
class _Copy:
    """One copy of a model (for an endpoint: one instance with its container), from placement to removal."""

    target: int
    instance: _Instance | None
    ready_at: float = math.inf
    live: bool = True


@dataclass(eq=False)
class _Instance:
    """One instance of a pool: what its copies may still reserve, and since when it holds none."""

    number: int
    pool: _Pool
    free: list[float]
    ready_at: float
    copies: list[_Copy] = field(default_factory=list)
    idle_since: float | None = None
    live: bool = True


@dataclass
class _Pool:
    unit: int  # its index among the plan's units
    key: str
    label: str
    capacity: tuple[float, float, float]
    min: int
    max: int
    provisioning_s: float
    release_s: float
    instances: list[_Instance] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)  # targets whose copies fit no instance yet, first come first placed


@dataclass
class _Target:
    """One model's scalable target: a component's copies, an endpoint's instances, or a serverless endpoint."""

    index: int
    model: str
    unit: int
    kind: str  # "component", "endpoint", "serverless"
    scaling: Scaling | None
    min: int
    max: int
    initial: int
    need: tuple[float, float, float] = (0.0, 0.0, 0.0)  # what a component's copy reserves
    pool: _Pool | None = None
    start_s: float = 0.0  # from placement (or launch, for an endpoint) to serving
    starting: list[_Copy] = field(default_factory=list)
    serving: list[_Copy] = field(default_factory=list)


class _Run:
    def __init__(self, plan: Plan, demand: Demand, parameters: Parameters) -> None:
        self.plan, self.parameters = plan, parameters
        self.dt = demand.step_s
        self.steps = demand.steps
        self.events: list[Event] = []
        self.heap: list[tuple[float, int, str, Any]] = []
        self.sequence = count()
        self.not_modelled: list[str] = []
        self.units: list[Any] = []
        self.pools: list[_Pool] = []
        self.targets: list[_Target] = []
        for unit in plan.units:
            self._add_unit(unit)
        models = len(self.targets)
        self.demand = np.zeros((models, self.steps))
        for target in self.targets:
            if target.model in demand.concurrency:
                self.demand[target.index] = np.clip(np.asarray(demand.concurrency[target.model], dtype=float), 0, None)
        self._set_up_serving(models)
        self._set_up_alarms()
        self._set_up_schedules()

    # The plan's units as targets and pools.

    def _add_unit(self, unit: Any) -> None:
        index = len(self.units)
        self.units.append(unit)
        kind = simulated_as(unit)
        if kind == POOL:
            pool_parameters = self.parameters.pool(unit.name)
            kind = unit.instance_type
            pool = _Pool(index, unit.key, unit.label, (kind.accelerators, kind.usable_memory_mb, kind.usable_vcpu),
                         unit.instances.min, unit.instances.max, pool_parameters.instance_provisioning_s, pool_parameters.instance_release_s)
            self.pools.append(pool)
            for component in unit.components:
                need = (component.accelerators, component.memory_mb, component.cpu_cores or 0.0)
                self._add_target(component.model, index, "component", component.scaling, component.copies, need=need, pool=pool)
        elif kind == SERVERLESS:
            self._add_target(unit.model, index, SERVERLESS, None, None)
            self.not_modelled.append(f"{unit.label}: cold starts and provisioned-concurrency scaling are not simulated (it serves up to its max "
                                     "concurrency at once, provisioned concurrency billed at its initial count)")
        elif kind == ENDPOINT:
            self._add_target(unit.model, index, ENDPOINT, unit.scaling, unit.instances)
        else:
            self.not_modelled.append(f"{unit.label}: hosting {unit.pattern} is not simulated (its models' demand is left unserved and uncounted)")

    def _add_target(self, model: str, unit: int, kind: str, scaling: Scaling | None, bounds: Any, *, need=(0.0, 0.0, 0.0), pool=None) -> None:
        own = self.parameters.model(model)
        low, high, initial = (bounds.min, bounds.max, bounds.initial) if bounds else (1, 1, 1)
        start = own.copy_start_s + (own.instance_provisioning_s if kind == ENDPOINT else 0.0)
        self.targets.append(_Target(len(self.targets), model, unit, kind, scaling, low, high, initial, need, pool, start))

    def _set_up_serving(self, models: int) -> None:
        """Each model's service time, concurrency per copy and queueing rule, and the deployed state at time 0."""
        self.service_s = np.ones(models)
        self.per_copy = np.ones(models)
        self.waits_up_to = np.zeros(models)  # seconds a request may wait for a copy before it fails (or expires)
        self.queues_without_capacity = np.zeros(models, dtype=bool)  # async: the backlog keeps requests at zero instances
        for target in self.targets:
            own, unit = self.parameters.model(target.model), self.units[target.unit]
            self.service_s[target.index] = own.service_time_s or DEFAULT_SERVICE_TIME_S  # callers fill it in: service_time_s_of
            self.per_copy[target.index] = own.concurrency_per_copy or self._default_concurrency(target, unit)
            if unit.pattern == ASYNC:
                self.waits_up_to[target.index] = self.parameters.async_request_ttl_s
                self.queues_without_capacity[target.index] = True
            elif target.kind != SERVERLESS:  # serverless throttles beyond its max concurrency instead of queueing
                self.waits_up_to[target.index] = max(self.parameters.real_time_timeout_s - self.service_s[target.index], 0.0)
        self.ready = np.zeros(models)
        self.desired = np.zeros(models)
        self.queue = np.zeros(models)
        self.bound_min = np.array([target.min for target in self.targets], dtype=float)
        self.bound_max = np.array([target.max for target in self.targets], dtype=float)
        self.billed = np.zeros(len(self.units))  # instances each unit pays for (launching ones too)
        self.last_scale_in = np.full(models, -math.inf)
        self.instance_numbers = count(1)
        for target in self.targets:
            self.desired[target.index] = target.initial
            if target.kind == SERVERLESS:
                self.ready[target.index] = 1  # one endpoint serving up to its max concurrency
            elif target.kind == ENDPOINT:
                target.serving = [_Copy(target.index, None, 0.0) for _ in range(target.initial)]
                self.ready[target.index] = target.initial
                self.billed[target.unit] = target.initial
        for pool in self.pools:
            for _ in range(self.units[pool.unit].instances.initial):
                pool.instances.append(_Instance(next(self.instance_numbers), pool, list(pool.capacity), 0.0))
            members = [target for target in self.targets if target.pool is pool]
            for target in members:
                pool.waiting += [target.index] * target.initial
            self._place(pool, 0.0, deployed=True)
            self.billed[pool.unit] = len(pool.instances)
            for instance in pool.instances:
                if not instance.copies:  # deployed with more instances than its copies need
                    self._idle(instance, 0.0)

    def _default_concurrency(self, target: _Target, unit: Any) -> float:
        """ModelParameters.concurrency_per_copy's default, as its docstring says."""
        if target.kind == SERVERLESS:
            return float(unit.max_concurrency)
        if unit.pattern == ASYNC:
            return float(unit.max_concurrent_invocations_per_instance or 1)
        for policy in target.scaling.target_tracking if target.scaling else ():
            if policy.metric in (ScalingMetric.CONCURRENT_REQUESTS_PER_COPY, ScalingMetric.CONCURRENT_REQUESTS_PER_MODEL):
                return policy.target
            if policy.metric in (ScalingMetric.INVOCATIONS_PER_COPY, ScalingMetric.INVOCATIONS_PER_INSTANCE):
                return max(policy.target * self.service_s[target.index] / 60, 1e-9)
        return DEFAULT_TARGET_CONCURRENCY

    # Alarms: target tracking's pair per policy, each step policy's own, the wake from zero.

    def _set_up_alarms(self) -> None:
        rows: list[dict[str, Any]] = []
        for target in self.targets:
            scaling = target.scaling
            if scaling is None:
                continue
            for policy in scaling.target_tracking:
                rows += self._tracking_alarms(target, policy)
            for policy in scaling.step + ((scaling.wake_from_zero,) if scaling.wake_from_zero else ()):
                row = self._alarm_row(target, policy.alarm, STEP, policy)
                if row:
                    rows.append(row)
        self.alarm_policies = [row["policy"] for row in rows]
        column = (lambda name, dtype=float: np.array([row[name] for row in rows], dtype=dtype))
        self.alarm_role = column("role", np.int64)
        self.alarm_period = column("period", np.int64)
        self.alarm_cooldown = column("cooldown")
        self.alarm_sign = column("sign", np.int64)
        self.alarm_target = column("target", np.int64)
        self.alarm_metric = column("metric", np.int64)
        self.alarm_statistic = column("statistic", np.int64)
        self.alarm_threshold = column("threshold")
        self.alarm_comparison = column("comparison", np.int64)
        self.alarm_needed = column("needed", np.int64)
        self.alarm_of = column("of", np.int64)
        self.alarm_missing_breaches = column("missing_breaches", bool)
        self.alarm_missing_kept = column("missing_kept", bool)
        self.alarm_target_value = column("target_value")
        count_ = len(rows)
        self.alarm_sum = np.zeros(count_)
        self.alarm_max = np.full(count_, -math.inf)
        self.alarm_min = np.full(count_, math.inf)
        self.alarm_points = np.zeros(count_, dtype=np.int64)
        self.alarm_run = np.zeros(count_, dtype=np.int64)  # consecutive breaching datapoints
        self.alarm_history = np.zeros(count_, dtype=np.uint64)  # the last datapoints as bits, for M of N alarms
        self.alarm_state = np.zeros(count_, dtype=bool)
        self.alarm_value = np.full(count_, np.nan)
        self.alarm_invoked = np.full(count_, -math.inf)
        self.step_cooldowns: dict[int, tuple[float, float]] = {}  # a step policy's row -> (cooling until, capacity it started from)
        self.tracking_lows: dict[int, list[int]] = {}
        for index, row in enumerate(rows):
            if row["role"] == TRACK_LOW:
                self.tracking_lows.setdefault(row["target"], []).append(index)

    def _tracking_alarms(self, target: _Target, policy: Any) -> list[dict[str, Any]]:
        if policy.metric not in TRACKED_METRICS:
            self.not_modelled.append(f"model {target.model}: target tracking on {policy.metric.portfolio_name} is not simulated")
            return []
        metric, statistic = TRACKED_METRICS[policy.metric]
        period_s = policy.custom_metric.period_s if policy.custom_metric else policy.metric.period_s
        high_resolution = period_s < 60
        p = self.parameters
        out_points = p.high_resolution_scale_out_datapoints if high_resolution else p.standard_scale_out_datapoints
        in_points = p.high_resolution_scale_in_datapoints if high_resolution else p.standard_scale_in_datapoints
        common = {"target": target.index, "metric": metric, "statistic": STATISTICS[statistic], "period": self._period_steps(period_s),
                  "policy": policy, "missing_breaches": False, "missing_kept": False, "target_value": policy.target,
                  "cooldown": policy.scale_in_cooldown_s, "sign": 0}
        rows = [common | {"role": TRACK_HIGH, "threshold": policy.target, "comparison": GT, "needed": out_points, "of": out_points}]
        if not policy.disable_scale_in:
            rows.append(common | {"role": TRACK_LOW, "threshold": policy.target * p.scale_in_threshold_ratio, "comparison": LT,
                                  "needed": in_points, "of": in_points})
        return rows

    def _alarm_row(self, target: _Target, alarm: MetricAlarm, role: int, policy: StepScaling) -> dict[str, Any] | None:
        if alarm.metric_name not in METRIC_CODES or alarm.statistic not in STATISTICS or alarm.comparison not in COMPARISONS:
            self.not_modelled.append(f"model {target.model}: the alarm on {alarm.metric_name} ({alarm.statistic}, {alarm.comparison}) is not simulated")
            return None
        needed = alarm.datapoints_to_alarm or alarm.evaluation_periods
        if needed < alarm.evaluation_periods and alarm.evaluation_periods > 63:
            self.not_modelled.append(f"model {target.model}: the alarm on {alarm.metric_name} ({needed} of {alarm.evaluation_periods}) is not simulated")
            return None
        return {"target": target.index, "metric": METRIC_CODES[alarm.metric_name], "statistic": STATISTICS[alarm.statistic],
                "period": self._period_steps(alarm.period_s), "policy": policy, "role": role, "threshold": alarm.threshold,
                "comparison": COMPARISONS[alarm.comparison], "needed": needed, "of": alarm.evaluation_periods,
                "missing_breaches": alarm.treat_missing_data == "breaching", "missing_kept": alarm.treat_missing_data in ("missing", "ignore"),
                "target_value": math.nan, "cooldown": policy.cooldown_s, "sign": step_sign(policy)}

    def _period_steps(self, period_s: int) -> int:
        return max(1, round(period_s / self.dt))

    # Scheduled actions, as timed events.

    def _set_up_schedules(self) -> None:
        for target in self.targets:
            for action in target.scaling.scheduled if target.scaling else ():
                times = schedule_times(action.schedule, action.timezone, self.parameters.start, self.steps * self.dt)
                if times is None:
                    self.not_modelled.append(f"model {target.model}: the schedule {action.schedule!r} of {action.name} is not understood")
                for time_s in times or ():
                    self._at(time_s, "scheduled", (target, action))

    def _at(self, time_s: float, kind: str, payload: Any) -> None:
        heapq.heappush(self.heap, (time_s, next(self.sequence), kind, payload))

    # The loop.

    def run(self, progress: Callable[[float], None] | None) -> Result:
        from loadmaster.simulator.kernel import advance  # numba: imported when a run needs it

        steps, dt, models = self.steps, self.dt, len(self.targets)
        served_log, failed_log, ready_log = (np.zeros((steps, models)) for _ in range(3))
        billed_log = np.zeros((steps, len(self.units)))
        arrivals = np.ascontiguousarray((self.demand / self.service_s[:, None] * dt).T)  # requests arriving in each step
        rate_per_copy = self.per_copy / self.service_s  # requests a copy finishes per second
        alarms = len(self.alarm_target)
        acting, acting_value, acting_asked = np.zeros(alarms, dtype=np.int64), np.zeros(alarms), np.zeros(alarms)
        report_every = max(steps // 100, 1)
        reported = 0
        step = 0
        if progress:
            progress(0.0)
        while step < steps:
            now = step * dt
            if self.heap and self.heap[0][0] <= now:
                self._handle_events(now)
            stop = min(steps, max(step + 1, math.ceil(self.heap[0][0] / dt))) if self.heap else steps
            if progress:
                stop = min(stop, step + report_every)
            step, acted = advance(
                step, stop, dt, arrivals, self.service_s, rate_per_copy, self.waits_up_to, self.queues_without_capacity,
                self.ready, self.queue, self.desired, self.bound_min, self.bound_max, self.last_scale_in, self.billed,
                served_log, failed_log, ready_log, billed_log,
                self.alarm_target, self.alarm_metric, self.alarm_statistic, self.alarm_period, self.alarm_threshold, self.alarm_comparison,
                self.alarm_needed, self.alarm_of, self.alarm_missing_breaches, self.alarm_missing_kept, self.alarm_target_value,
                self.alarm_role, self.alarm_cooldown, self.alarm_sign, float(self.parameters.alarm_action_repeat_s),
                self.alarm_sum, self.alarm_max, self.alarm_min, self.alarm_points, self.alarm_run, self.alarm_history, self.alarm_state,
                self.alarm_value, self.alarm_invoked, acting, acting_value, acting_asked)
            for number in range(acted):
                self._invoke(int(acting[number]), float(acting_value[number]), float(acting_asked[number]), step * dt)
            if progress and step - reported >= report_every:
                progress(step / steps)
                reported = step
        if progress:
            progress(1.0)
        return self._result(self.demand.T, arrivals, served_log, failed_log, ready_log, billed_log)

    def _invoke(self, row: int, value: float, asked: float, now: float) -> None:
        target = self.targets[int(self.alarm_target[row])]
        policy, role = self.alarm_policies[row], self.alarm_role[row]
        if role == STEP:
            self._step(target, row, policy, value, now)
            return
        name = policy.custom_metric.metric_name if policy.custom_metric else policy.metric.portfolio_name
        if role == TRACK_HIGH:
            self._scale(target, int(asked), now, f"{name} {value:.3g} > target {policy.target:g} for {self.alarm_needed[row]} datapoints")
        elif role == TRACK_LOW:
            if now - self.last_scale_in[target.index] < policy.scale_in_cooldown_s:
                return
            lows = self.tracking_lows[target.index]
            if not all(self.alarm_state[other] for other in lows):
                return  # another target-tracking policy still asks for more: the largest capacity wins
            asked = max(self._tracking_ask(target, other) for other in lows)
            self._scale(target, int(asked), now, f"{name} {value:.3g} < {self.alarm_threshold[row]:.3g} (0.9 x target) for {self.alarm_needed[row]} datapoints")

    def _tracking_ask(self, target: _Target, row: int) -> float:
        value = self.alarm_value[row]
        if math.isnan(value):
            return self.bound_min[target.index]
        asked = math.ceil(round(value * self.ready[target.index] / self.alarm_target_value[row], 9))
        return min(max(asked, self.bound_min[target.index]), self.bound_max[target.index])

    def _step(self, target: _Target, row: int, policy: StepScaling, value: float, now: float) -> None:
        """A step policy: its step for how far the metric is past the threshold, applied to the current capacity.
        During the cooldown of a scale-out, the capacity it started from stays the base, so that only a larger step
        adds more (Application Auto Scaling user guide, "Step scaling policies", cooldown)."""
        beyond = value - self.alarm_threshold[row]
        step = next((step for step in policy.steps if (step.lower is None or beyond >= step.lower) and (step.upper is None or beyond < step.upper)), None)
        if step is None:
            return
        cooling_until, base = self.step_cooldowns.get(row, (-math.inf, 0.0))
        cooling = now < cooling_until
        current = base if cooling else self.ready[target.index]
        if policy.adjustment_type == "ExactCapacity":
            asked = step.adjustment
        elif policy.adjustment_type == "PercentChangeInCapacity":
            change = current * step.adjustment / 100
            asked = current + (math.ceil(change) if change > 0 else math.floor(change))
        else:
            asked = current + step.adjustment
        asked = min(max(asked, self.bound_min[target.index]), self.bound_max[target.index])
        why = f"{policy.alarm.metric_name} {value:.3g} vs threshold {policy.alarm.threshold:g}: step {step.adjustment:+d}"
        desired = self.desired[target.index]
        if asked > desired:
            if not cooling:
                self.step_cooldowns[row] = (now + policy.cooldown_s, current)
            self._scale(target, int(asked), now, why)
        elif asked < desired and now - self.last_scale_in[target.index] >= policy.cooldown_s:
            lows = self.tracking_lows.get(target.index, [])
            floor = max([self._tracking_ask(target, other) for other in lows if not self.alarm_state[other]], default=asked)
            self._scale(target, int(max(asked, floor)), now, why)

    # Capacity changes.

    def _scale(self, target: _Target, to: int, now: float, why: str, kind: str | None = None) -> None:
        before = int(self.desired[target.index])
        if to == before:
            return
        if to < before:
            self.last_scale_in[target.index] = now
        self.desired[target.index] = to
        self._event(now, target, kind or ("scale-out" if to > before else "scale-in"), before, to, why)
        if target.kind == "component":
            self._resize_component(target, to, now)
        elif target.kind == ENDPOINT:
            self._resize_endpoint(target, to, now)

    def _event(self, now: float, target: _Target | None, kind: str, before: int, after: int, why: str, unit: int | None = None) -> None:
        unit_key = self.units[target.unit if target else unit].key
        self.events.append(Event(float(now), unit_key, target.model if target else None, kind, before, after, why))

    def _resize_component(self, target: _Target, to: int, now: float) -> None:
        pool = target.pool
        have = len(target.serving) + len(target.starting) + pool.waiting.count(target.index)
        if to > have:
            pool.waiting += [target.index] * (to - have)
        for _ in range(have - to):  # the least advanced copy goes first: waiting, starting, then serving
            if target.index in pool.waiting:
                pool.waiting.reverse()
                pool.waiting.remove(target.index)
                pool.waiting.reverse()
            elif target.starting:
                self._remove_copy(target.starting.pop(), now)
            else:
                self._remove_copy(target.serving.pop(), now)
                self.ready[target.index] -= 1
        self._place(pool, now)

    def _remove_copy(self, copy: _Copy, now: float) -> None:
        copy.live = False
        instance = copy.instance
        instance.copies.remove(copy)
        need = self.targets[copy.target].need
        instance.free = [free + used for free, used in zip(instance.free, need)]
        if not instance.copies:
            self._idle(instance, now)

    def _idle(self, instance: _Instance, now: float) -> None:
        instance.idle_since = now
        pool = instance.pool
        self._at(now + pool.release_s, "release", (pool, instance, now))

    def _place(self, pool: _Pool, now: float, deployed: bool = False) -> None:
        """Put waiting copies first-fit on the pool's instances (launching ones too), launching instances up to the
        pool's max for those that fit none. `deployed`: the state at time 0, everything already running."""
        waiting, pool.waiting = pool.waiting, []
        newly_waiting = set()
        for index in waiting:
            target = self.targets[index]
            instance = next((instance for instance in pool.instances if fits(target.need, instance.free)), None)
            if instance is None and fits(target.need, pool.capacity) and (deployed or len(pool.instances) < pool.max):
                instance = self._launch(pool, now, deployed)
            if instance is None:
                if index not in pool.waiting and index not in newly_waiting:
                    newly_waiting.add(index)
                pool.waiting.append(index)
                continue
            instance.free = [free - used for free, used in zip(instance.free, target.need)]
            instance.idle_since = None
            copy = _Copy(index, instance, 0.0 if deployed else max(now, instance.ready_at) + target.start_s)
            instance.copies.append(copy)
            if deployed:
                target.serving.append(copy)
                self.ready[index] += 1
            else:
                target.starting.append(copy)
                self._at(copy.ready_at, "copy-ready", copy)
        for index in sorted(newly_waiting):
            target = self.targets[index]
            reason = (f"a copy needs more than one {pool.label} instance offers" if not fits(target.need, pool.capacity)
                      else f"no instance has room and the pool is at its max of {pool.max} instances")
            self._event(now, target, "copy-waits", len(target.serving), len(target.serving), reason)

    def _launch(self, pool: _Pool, now: float, deployed: bool) -> _Instance:
        ready_at = 0.0 if deployed else now + pool.provisioning_s
        instance = _Instance(next(self.instance_numbers), pool, list(pool.capacity), ready_at)
        pool.instances.append(instance)
        unit = pool.unit
        self.billed[unit] = len(pool.instances)
        if not deployed:
            self._event(now, None, "instance-launch", len(pool.instances) - 1, len(pool.instances), "a copy fits no instance of the pool", unit=unit)
            self._at(ready_at, "instance-ready", (pool, instance))
        return instance

    def _resize_endpoint(self, target: _Target, to: int, now: float) -> None:
        have = len(target.serving) + len(target.starting)
        for _ in range(to - have):
            copy = _Copy(target.index, None, now + target.start_s)
            target.starting.append(copy)
            self._at(copy.ready_at, "copy-ready", copy)
        for _ in range(have - to):
            if target.starting:
                target.starting.pop().live = False
            else:
                target.serving.pop().live = False
                self.ready[target.index] -= 1
        self.billed[target.unit] = len(target.serving) + len(target.starting)

    def _handle_events(self, now: float) -> None:
        while self.heap and self.heap[0][0] <= now:
            time_s, _, kind, payload = heapq.heappop(self.heap)
            if kind == "copy-ready" and payload.live:
                target = self.targets[payload.target]
                target.starting.remove(payload)
                target.serving.append(payload)
                self.ready[target.index] += 1
                started = "model downloaded and container started" if target.kind == "component" else "instance provisioned, model downloaded, container started"
                self._event(time_s, target, "copy-ready", len(target.serving) - 1, len(target.serving), started)
            elif kind == "instance-ready" and payload[1].live:
                pool, instance = payload
                in_service = sum(1 for other in pool.instances if other.ready_at <= time_s)
                self._event(time_s, None, "instance-ready", in_service - 1, in_service, f"instance {instance.number} in service", unit=pool.unit)
                if not instance.copies:
                    self._idle(instance, time_s)
            elif kind == "release":
                pool, instance, since = payload
                if instance.live and not instance.copies and instance.idle_since == since and len(pool.instances) > pool.min:
                    instance.live = False
                    pool.instances.remove(instance)
                    unit = pool.unit
                    self.billed[unit] = len(pool.instances)
                    self._event(time_s, None, "instance-release", len(pool.instances) + 1, len(pool.instances),
                                f"no copy for {pool.release_s:g} s", unit=unit)
                    self._place(pool, time_s)
            elif kind == "scheduled":
                target, action = payload
                if action.min is not None:
                    self.bound_min[target.index] = action.min
                if action.max is not None:
                    self.bound_max[target.index] = action.max
                bounded = int(min(max(self.desired[target.index], self.bound_min[target.index]), self.bound_max[target.index]))
                why = f"scheduled action {action.name}: bounds {action.min}..{action.max}"
                if bounded == self.desired[target.index]:
                    self._event(time_s, target, "scheduled", bounded, bounded, why)
                else:
                    self._scale(target, bounded, time_s, why, kind="scheduled")

    # The result.

    def _result(self, demand, arrivals, served, failed, ready, billed) -> Result:
        p, dt = self.parameters, self.dt
        models = {}
        outs_by_model: dict[str, list[float]] = {}
        for event in self.events:
            if event.kind == "scale-out":
                outs_by_model.setdefault(event.model, []).append(event.time_s)
        gap = max(1, round(p.load_step_gap_s / dt))
        for target in self.targets:
            i = target.index
            steps_at = load_steps(demand[:, i], p.load_step_rise, self.per_copy[i], gap)
            outs = np.array(sorted(outs_by_model.get(target.model, [])))
            ends = steps_at[1:] + [len(demand)]
            first_out, full = [], []
            for step, end in zip(steps_at, ends):
                start_s, end_s = step * dt, end * dt
                after = outs[np.searchsorted(outs, start_s):] if len(outs) else outs
                first_out.append(float(after[0] - start_s) if len(after) and after[0] < end_s else None)
                needed = min(math.ceil(demand[step, i] / self.per_copy[i] - 1e-9), self.bound_max[i])
                met = np.flatnonzero(ready[step:end, i] >= needed)
                full.append(float(met[0] * dt) if len(met) else None)
            waits = fifo_waits(arrivals[:, i], served[:, i], failed[:, i]) * dt
            p50, p90, p99 = weighted_percentiles(waits, served[:, i], (0.5, 0.9, 0.99))
            models[target.model] = ModelOutcome(
                target.model, self.units[target.unit].key, float(served[:, i].sum(dtype=float)), float(failed[:, i].sum(dtype=float)),
                float(self.queue[i]), p50, p90, p99, tuple(float(step * dt) for step in steps_at), tuple(first_out), tuple(full))
        units = {}
        for number, unit in enumerate(self.units):
            members = [target for target in self.targets if target.unit == number]
            demand_of = {target.model: demand[:, target.index] for target in members}
            copies_of = {target.model: ready[:, target.index].astype(float) for target in members}
            units[unit.key] = self._unit_outcome(unit, members, demand_of, copies_of, billed[:, number].astype(float), served)
        events = tuple(sorted(self.events, key=lambda event: event.time_s))
        return Result(dt, self.steps * dt, models, units, events, tuple(self.not_modelled))

    def _unit_outcome(self, unit, members, demand_of, copies_of, instances, served) -> UnitOutcome:
        if unit.pattern == SERVERLESS:
            return self._serverless_outcome(unit, members, demand_of, copies_of, served)
        modelled = bool(members) or hasattr(unit, "components")
        instance_type = getattr(unit, "instance_type", None)
        price = instance_type.price_usd_per_hour if instance_type is not None else None
        hours = float(instances.sum() * self.dt / SECONDS_PER_HOUR) if modelled else None
        cost = hours * price if hours is not None and price is not None else None
        basis = (f"{hours:.2f} instance-hours x {price} USD/h ({instance_type.name}, provisioning time billed)" if cost is not None
                 else f"unknown: {'no price for ' + instance_type.name if instance_type is not None and modelled else 'not simulated'}")
        return UnitOutcome(unit.key, unit.label, unit.pattern, instance_type.name if instance_type is not None else None, price, hours, cost, basis,
                           demand_of, copies_of, instances)

    def _serverless_outcome(self, unit, members, demand_of, copies_of, served) -> UnitOutcome:
        """Serverless: billed by the second of inference at the memory size's price (loadmaster.catalog.serverless),
        and provisioned concurrency by the second it is provisioned, at its initial count."""
        (target,) = members
        seconds = float(served[:, target.index].sum(dtype=float) * self.service_s[target.index])
        provisioned = unit.provisioned_concurrency.initial if unit.provisioned_concurrency else 0
        known = self.plan.region in (None, US_EAST_1.region)
        gb = unit.memory_mb / MB_PER_GB
        cost = gb * (seconds * US_EAST_1.on_demand_per_gb_s + provisioned * self.steps * self.dt * US_EAST_1.provisioned_per_gb_s) if known else None
        basis = (f"{seconds:.0f} s of inference x {gb:g} GB at {US_EAST_1.source}" if known
                 else f"unknown: serverless prices are known for {US_EAST_1.region} only")
        return UnitOutcome(unit.key, unit.label, unit.pattern, None, None, None, cost, basis, demand_of, copies_of, np.zeros(self.steps))


def step_sign(policy: StepScaling) -> int:
    """+1 when every step adds capacity, -1 when every step removes some, 0 otherwise (ExactCapacity among them)."""
    if policy.adjustment_type == "ExactCapacity":
        return 0
    signs = {1 if step.adjustment > 0 else -1 for step in policy.steps}
    return signs.pop() if len(signs) == 1 else 0


def fits(need: tuple[float, ...], free: list[float] | tuple[float, ...]) -> bool:
    return all(used <= have + 1e-9 for used, have in zip(need, free))


def load_steps(demand: np.ndarray, rise: float, per_copy: float, gap: int) -> list[int]:
    """The steps where demand jumps by `rise` of its previous value and by a copy's worth at least (noise is no
    step), `gap` steps at least after the previous one."""
    before = demand[:-1]
    jumps = np.flatnonzero(demand[1:] - before >= np.maximum(before * rise, per_copy)) + 1
    kept: list[int] = []
    for step in jumps.tolist():
        if not kept or step - kept[-1] >= gap:
            kept.append(step)
    return kept


def fifo_waits(arrivals: np.ndarray, served: np.ndarray, failed: np.ndarray) -> np.ndarray:
    """Steps each step's served requests waited, first in first out: they arrived when the cumulative arrivals
    reached their place in the cumulative departures (the failed ones, the oldest, leave first)."""
    arrived = np.cumsum(arrivals)
    departed_before = np.cumsum(served + failed) - served - failed
    middle = departed_before + failed + served / 2  # the step's median served request
    arrival_step = np.searchsorted(arrived, middle * (1 - 1e-12), side="left")
    return np.maximum(np.arange(len(arrivals)) - arrival_step, 0).astype(float)


def weighted_percentiles(values: np.ndarray, weights: np.ndarray, quantiles: tuple[float, ...]) -> tuple[float | None, ...]:
    """The quantiles of `values` counted `weights` times each (requests served in a step, each with the step's wait)."""
    mask = weights > 0
    if not mask.any():
        return tuple(None for _ in quantiles)
    order = np.argsort(values[mask], kind="stable")
    sorted_values, cumulative = values[mask][order], np.cumsum(weights[mask][order], dtype=float)
    return tuple(float(sorted_values[min(np.searchsorted(cumulative, q * cumulative[-1]), len(sorted_values) - 1)]) for q in quantiles)


# Schedules: Application Auto Scaling's at(), rate() and cron() expressions (Application Auto Scaling user guide,
# "Scheduled scaling", schedule expressions; cron fields: minutes hours day-of-month month day-of-week year,
# day-of-week 1-7 = SUN-SAT).
MONTHS = {name: number for number, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


def schedule_times(schedule: str, timezone_name: str, start: datetime, duration_s: float) -> list[float] | None:
    """The seconds from `start` at which `schedule` fires within `duration_s`; None when it is not understood."""
    zone = ZoneInfo(timezone_name)
    match = re.fullmatch(r"(at|rate|cron)\((.*)\)", schedule.strip())
    if not match:
        return None
    kind, body = match.groups()
    if kind == "at":
        try:
            when = datetime.fromisoformat(body).replace(tzinfo=zone)
        except ValueError:
            return None
        offset = (when - start).total_seconds()
        return [offset] if 0 <= offset < duration_s else []
    if kind == "rate":
        rate = re.fullmatch(r"(\d+)\s+(minute|minutes|hour|hours|day|days)", body.strip())
        if not rate:
            return None
        every = int(rate.group(1)) * {"minute": 60, "hour": 3600, "day": 86400}[rate.group(2).rstrip("s")]
        return [float(time_s) for time_s in range(every, int(duration_s), every)] if every else None
    parts = body.split()
    if len(parts) != 6:
        return None
    minutes = np.arange(0, int(duration_s) // 60)
    local = [start.astimezone(zone) + timedelta(minutes=int(minute)) for minute in range(0, len(minutes))]
    columns = {
        "minute": np.array([moment.minute for moment in local]), "hour": np.array([moment.hour for moment in local]),
        "day": np.array([moment.day for moment in local]), "month": np.array([moment.month for moment in local]),
        "weekday": np.array([moment.isoweekday() % 7 + 1 for moment in local]), "year": np.array([moment.year for moment in local]),
    }
    ranges = {"minute": (0, 59, {}), "hour": (0, 23, {}), "day": (1, 31, {}), "month": (1, 12, MONTHS), "weekday": (1, 7, WEEKDAYS), "year": (1970, 2199, {})}
    mask = np.ones(len(minutes), dtype=bool)
    for name, part in zip(ranges, parts):
        allowed = cron_values(part, *ranges[name])
        if allowed is None:
            return None
        if allowed != "any":
            mask &= np.isin(columns[name], list(allowed))
    return [float(minute * 60) for minute in minutes[mask]]


def cron_values(field_text: str, low: int, high: int, names: dict[str, int]) -> set[int] | str | None:
    """The values one cron field allows ("any" for * and ?), None when it is not understood."""
    if field_text in ("*", "?"):
        return "any"
    allowed: set[int] = set()
    for piece in field_text.upper().split(","):
        match = re.fullmatch(r"(\*|\w+)(?:-(\w+))?(?:/(\d+))?", piece)
        if not match:
            return None
        first, last, every = match.groups()
        value = (lambda text: names.get(text) or (int(text) if text.isdigit() else None))
        begin = low if first == "*" else value(first)
        end = (high if first == "*" or every else begin) if last is None else value(last)
        if begin is None or end is None:
            return None
        allowed |= set(range(begin, end + 1, int(every or 1)))
    return allowed
