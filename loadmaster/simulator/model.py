"""The simulator's inputs and outputs as plain data: demand per model, the service's delays and alarm constants, and
what a run found.

`Parameters` holds every delay and behaviour constant the simulation assumes, each default with its source
(docs/aws-facts.md, "Scaling simulator"); the scaling policies themselves are the plan's (`loadmaster.scaling`),
the very objects the stacks render. Nothing here imports CDK, SciPy or the portfolio's pydantic classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any

import numpy as np

from loadmaster.limits import REAL_TIME_MAX_PROCESSING_S

# One step of simulated time: the period of the high-resolution concurrency metrics (SageMaker developer guide,
# "Metrics for monitoring Amazon SageMaker AI"), so each of their datapoints is one step.
STEP_S = 10

# A request's service time when the model states no `latency_slo_ms`: our default, not an AWS figure. The one place
# that says which service time a model is simulated with is `service_time_s_of`.
DEFAULT_SERVICE_TIME_S = 1.0

# Measured in AWS's scale-to-zero blog with Llama3-8B on ml.g5 ("Unlock cost savings with the new scale down to zero
# feature in SageMaker Inference", Dec 2024): 1.75 min for an instance, 2.28 min for the copies once it is there.
# The blog measures model download and container start together; the whole 2.28 min is counted as download.
LLAMA3_8B_INSTANCE_PROVISIONING_S = 105.0
LLAMA3_8B_COPY_START_S = 137.0
# The same blog: an idle pool's instances are released about 10 min after its last copy is gone.
LLAMA3_8B_INSTANCE_RELEASE_S = 600.0

# Target tracking's alarms (FACTS.md, "How the concurrency metrics and alarms behave"). High-resolution metrics, AWS's
# faster-autoscaling notebook: scale out after 3 of 3 datapoints above the target (30 s), scale in after 90 of 90
# below 0.9 x the target (15 min). One-minute metrics: 3 of 3 and 15 of 15 (commonly documented, unverified).
HIGH_RESOLUTION_SCALE_OUT_DATAPOINTS = 3
HIGH_RESOLUTION_SCALE_IN_DATAPOINTS = 90
STANDARD_SCALE_OUT_DATAPOINTS = 3
STANDARD_SCALE_IN_DATAPOINTS = 15
SCALE_IN_THRESHOLD_RATIO = 0.9
# CloudWatch invokes an Auto Scaling action again every minute its alarm stays in ALARM (CloudWatch user guide,
# "Using Amazon CloudWatch alarms", alarm actions).
ALARM_ACTION_REPEAT_S = 60
# An asynchronous request waits in the queue for up to RequestTTLSeconds, 6 h by default (SageMaker API reference,
# InvokeEndpointAsync); a real-time request fails when it is not answered within 60 s (`loadmaster.limits`).
ASYNC_REQUEST_TTL_S = 21_600
# A demand that rises by half over one step, and by a copy's worth of requests at least, is a load step, from which
# the result times the first scale-out and full capacity; a rise within 5 minutes of the last load step is part of
# it. Our definition, not an AWS one.
LOAD_STEP_RISE = 0.5
LOAD_STEP_GAP_S = 300
# Scheduled actions' clock: when the simulated time starts (a Monday, midnight UTC), for cron and at() schedules.
DEFAULT_START = datetime(2026, 1, 5, tzinfo=timezone.utc)


def service_time_s_of(latency_slo_ms: int | None) -> float:
    """The service time a model is simulated with: its `latency_slo_ms` (the latency the planner sizes by, Little's
    law in loadmaster.planner.sizing), else DEFAULT_SERVICE_TIME_S. `ModelParameters.service_time_s` overrides it."""
    return latency_slo_ms / 1000 if latency_slo_ms else DEFAULT_SERVICE_TIME_S


class ParameterError(ValueError):
    """A parameter override that does not exist or has the wrong type, its one-line reason naming the key."""


@dataclass(frozen=True)
class Demand:
    """Requests each model's callers keep in the system (served or waiting), one value per step of `step_s` seconds.

    Concurrency, not a rate: a trace of requests per second becomes concurrency by Little's law at the model's
    service time (`from_rates`). Every array has the same length."""

    concurrency: Mapping[str, np.ndarray]
    step_s: int = STEP_S

    def __post_init__(self) -> None:
        lengths = {len(values) for values in self.concurrency.values()}
        if len(lengths) > 1:
            raise ValueError(f"demand arrays differ in length: {sorted(lengths)}")

    @property
    def steps(self) -> int:
        return len(next(iter(self.concurrency.values()))) if self.concurrency else 0

    @property
    def duration_s(self) -> int:
        return self.steps * self.step_s

    @staticmethod
    def from_rates(requests_per_s: Mapping[str, np.ndarray], service_time_s: Mapping[str, float], step_s: int = STEP_S) -> Demand:
        """Concurrency = arrival rate x service time (Little's law), per model."""
        return Demand({model: np.asarray(rates, dtype=float) * service_time_s[model] for model, rates in requests_per_s.items()}, step_s)


@dataclass(frozen=True)
class ModelParameters:
    """What the simulation assumes of one model; None: derived as each field says."""

    # Seconds one request takes. None: `service_time_s_of(latency_slo_ms)`, which the caller fills in.
    service_time_s: float | None = None
    # Requests one copy (or one instance of an endpoint) serves at once before they queue. None: its concurrency
    # scaling target (the planner sizes copies so: loadmaster.planner.sizing.concurrency_per_unit), an invocations
    # target times service time / 60 s (Little's law), an async endpoint's max_concurrent_invocations_per_instance
    # (else 1), or loadmaster.scaling.DEFAULT_TARGET_CONCURRENCY without scaling.
    concurrency_per_copy: float | None = None
    # A new instance of its dedicated or async endpoint until it runs containers (the Llama3-8B measurement).
    instance_provisioning_s: float = LLAMA3_8B_INSTANCE_PROVISIONING_S
    # A copy (or a new instance's container) from placement until it serves: model download, then container start.
    model_download_s: float = LLAMA3_8B_COPY_START_S
    container_start_s: float = 0.0

    @property
    def copy_start_s(self) -> float:
        return self.model_download_s + self.container_start_s


@dataclass(frozen=True)
class PoolParameters:
    """What the simulation assumes of one inference-component pool's instances (managed instance scaling)."""

    instance_provisioning_s: float = LLAMA3_8B_INSTANCE_PROVISIONING_S
    # An instance without copies this long is released, down to the pool's minimum.
    instance_release_s: float = LLAMA3_8B_INSTANCE_RELEASE_S


@dataclass(frozen=True)
class Parameters:
    """Every delay and behaviour constant of a simulation, with defaults from the service's documentation and AWS's
    published measurements (the module constants above cite them). `model(name)` and `pool(name)` give one model's or
    pool's, the defaults overridden by `models` and `pools`; `overridden` reads overrides from a dict."""

    step_s: int = STEP_S
    high_resolution_scale_out_datapoints: int = HIGH_RESOLUTION_SCALE_OUT_DATAPOINTS
    high_resolution_scale_in_datapoints: int = HIGH_RESOLUTION_SCALE_IN_DATAPOINTS
    standard_scale_out_datapoints: int = STANDARD_SCALE_OUT_DATAPOINTS
    standard_scale_in_datapoints: int = STANDARD_SCALE_IN_DATAPOINTS
    scale_in_threshold_ratio: float = SCALE_IN_THRESHOLD_RATIO
    alarm_action_repeat_s: int = ALARM_ACTION_REPEAT_S
    real_time_timeout_s: float = REAL_TIME_MAX_PROCESSING_S
    async_request_ttl_s: float = ASYNC_REQUEST_TTL_S
    load_step_rise: float = LOAD_STEP_RISE
    load_step_gap_s: float = LOAD_STEP_GAP_S
    start: datetime = DEFAULT_START
    model_defaults: ModelParameters = ModelParameters()
    pool_defaults: PoolParameters = PoolParameters()
    models: Mapping[str, ModelParameters] = field(default_factory=dict)
    pools: Mapping[str, PoolParameters] = field(default_factory=dict)

    def model(self, name: str) -> ModelParameters:
        return self.models.get(name, self.model_defaults)

    def pool(self, name: str) -> PoolParameters:
        return self.pools.get(name, self.pool_defaults)

    def overridden(self, overrides: Mapping[str, Any]) -> Parameters:
        """These parameters with `overrides` applied: top-level fields by name; a model's or a pool's under
        `models: {NAME: {...}}` and `pools: {NAME: {...}}`; every model's and pool's defaults as top-level keys of
        ModelParameters and PoolParameters. Raises ParameterError naming the first unknown key or bad value."""
        simple = {item.name for item in fields(self)} - {"model_defaults", "pool_defaults", "models", "pools"}
        model_keys, pool_keys = _field_names(ModelParameters), _field_names(PoolParameters)
        top, model_defaults, pool_defaults = {}, {}, {}
        for key, value in overrides.items():
            if key in ("models", "pools"):
                continue
            if key in simple:
                top[key] = _checked(f"parameters.{key}", value, getattr(self, key))
            if key in model_keys:
                model_defaults[key] = value
            if key in pool_keys:  # instance_provisioning_s is both a model's (its endpoint's) and a pool's
                pool_defaults[key] = value
            if key not in simple | model_keys | pool_keys:
                known = ", ".join(sorted(simple | model_keys | pool_keys | {"models", "pools"}))
                raise ParameterError(f"parameters.{key}: unknown parameter (known: {known})")
        defaults = _with(self.model_defaults, model_defaults, "parameters")
        pool_base = _with(self.pool_defaults, pool_defaults, "parameters")
        models = dict(self.models) | {name: _with(self.models.get(name, defaults), values, f"parameters.models.{name}")
                                      for name, values in overrides.get("models", {}).items()}
        pools = dict(self.pools) | {name: _with(self.pools.get(name, pool_base), values, f"parameters.pools.{name}")
                                    for name, values in overrides.get("pools", {}).items()}
        return replace(self, model_defaults=defaults, pool_defaults=pool_base, models=models, pools=pools, **top)


def _field_names(cls: type) -> set[str]:
    return {item.name for item in fields(cls)}


def _checked(where: str, value: Any, current: Any) -> Any:
    if isinstance(current, datetime):  # `start`: a datetime, or ISO 8601 text with its offset
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            raise ParameterError(f"{where}: expected a date and time such as 2026-01-05T00:00:00+00:00, got {value!r}") from None
        if moment.tzinfo is None:
            raise ParameterError(f"{where}: expected a date and time with its offset, such as 2026-01-05T00:00:00+00:00, got {value!r}")
        return moment
    if isinstance(current, bool) or not isinstance(current, (int, float)) or current is None:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ParameterError(f"{where}: expected a number >= 0, got {value!r}")
    return type(current)(value) if isinstance(current, int) and float(value).is_integer() else value


def _with(base: Any, values: Mapping[str, Any], where: str) -> Any:
    if not isinstance(values, Mapping):
        raise ParameterError(f"{where}: expected a mapping of parameters, got {values!r}")
    known = _field_names(type(base))
    for key in values:
        if key not in known:
            raise ParameterError(f"{where}.{key}: unknown parameter (known: {', '.join(sorted(known))})")
    checked = {key: _checked(f"{where}.{key}", value, getattr(base, key) if getattr(base, key) is not None else 0.0) for key, value in values.items()}
    return replace(base, **checked)


# What a run found.

@dataclass(frozen=True)
class Event:
    """Something that changed: `kind` is one of scale-out, scale-in, scheduled, copy-ready, copy-waits,
    instance-launch, instance-ready, instance-release; `from_count` -> `to_count` the count it moved (copies,
    instances or the desired capacity); `model` None for a pool's instances."""

    time_s: float
    unit: str
    model: str | None
    kind: str
    from_count: int
    to_count: int
    why: str

    def document(self) -> dict[str, Any]:
        return {"time_s": self.time_s, "unit": self.unit, "model": self.model, "kind": self.kind,
                "from": self.from_count, "to": self.to_count, "why": self.why}


@dataclass(frozen=True)
class ModelOutcome:
    """One model's requests over the run. Waits are the time a served request queued before a copy took it, first in
    first out to the step (None: none served). Load steps are the times the demand jumped (`Parameters.load_step_rise`); for each, the seconds
    until the first scale-out and until the copies serving met the demand at the target (None: not within the run
    or before the next load step)."""

    model: str
    unit: str
    served: float
    failed: float
    waiting_at_end: float
    p50_wait_s: float | None
    p90_wait_s: float | None
    p99_wait_s: float | None
    load_steps_s: tuple[float, ...]
    first_scale_out_s: tuple[float | None, ...]
    full_capacity_s: tuple[float | None, ...]


@dataclass(frozen=True)
class UnitOutcome:
    """One plan unit over the run: its instances billed (a pool's, an endpoint's; launching ones included), each
    model's demand and serving copies, one value per step. `instance_hours` is None for units not billed by the instance (serverless); `cost_usd` None
    when the price is unknown."""

    key: str
    label: str
    pattern: str
    instance_type: str | None
    price_usd_per_hour: float | None
    instance_hours: float | None
    cost_usd: float | None
    cost_basis: str  # how the cost was computed, for the reader
    demand: Mapping[str, np.ndarray]
    copies: Mapping[str, np.ndarray]
    instances: np.ndarray


@dataclass(frozen=True)
class Result:
    """A run: its clock, each model's and unit's outcome, the scaling events in time order, the cost, and what the
    simulation does not model (said, never silently counted as zero)."""

    step_s: int
    duration_s: int
    models: Mapping[str, ModelOutcome]
    units: Mapping[str, UnitOutcome]
    events: tuple[Event, ...]
    not_modelled: tuple[str, ...] = ()

    @property
    def time_s(self) -> np.ndarray:
        """The start of each step, in seconds from the run's start."""
        return np.arange(self.duration_s // self.step_s) * self.step_s

    @property
    def cost_usd(self) -> float | None:
        """The run's cost; None when any unit's price is unknown (`unpriced_units` names them)."""
        costs = [unit.cost_usd for unit in self.units.values()]
        return None if any(cost is None for cost in costs) else float(sum(costs))

    @property
    def unpriced_units(self) -> tuple[str, ...]:
        return tuple(unit.key for unit in self.units.values() if unit.cost_usd is None)

    @property
    def instance_hours(self) -> float:
        return float(sum(unit.instance_hours or 0.0 for unit in self.units.values()))
