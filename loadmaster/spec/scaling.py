"""A model's scheduled actions and step policies, the `schedule` and `step` keys of its `scaling:` block: checked
here against Application Auto Scaling's and CloudWatch's rules (`loadmaster.scaling` holds the rules the rehearsal
shares), turned into `loadmaster.scaling` data by `windows_of` and `step_policies_of`."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Literal

from pydantic import Field, field_validator, model_validator

from loadmaster import limits
from loadmaster.scaling import (
    MAX_SCHEDULED_ACTIONS_PER_TARGET,
    MAX_STEP_ADJUSTMENTS,
    SCHEDULED_ACTION_NAME_PATTERN,
    MetricAlarm,
    ScheduledAction,
    Step,
    StepScaling,
    cron_problems,
    rate_problems,
    step_problems,
)
from loadmaster.spec.strict import Spec

# CloudWatch's PutMetricAlarm: Period 10, 20, 30 or a multiple of 60 seconds; up to 30 dimensions; the statistics and
# the comparison operators that compare with a static threshold (CloudWatch API reference, PutMetricAlarm).
ALARM_SHORT_PERIODS_S = (10, 20, 30)
MAX_ALARM_DIMENSIONS = 30
Statistic = Literal["Average", "Maximum", "Minimum", "Sum", "SampleCount"]
Comparison = Literal["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"]
DEFAULT_STEP_COOLDOWN_S = limits.DEFAULT_SCALE_IN_COOLDOWN_S


@cache
def time_zones() -> frozenset[str]:
    """The IANA zone names Python's zoneinfo knows (Application Auto Scaling takes the canonical IANA names)."""
    return frozenset(zoneinfo.available_timezones())


class Window(Spec):
    """A scheduled action: from its `cron` (or every `rate`) on, autoscaling moves between `min` and `max`."""

    name: str = Field(description="The action's name, unique on the model (no colon, slash or pipe), such as business-hours.")
    cron: str | None = Field(default=None, description=(
        "When it starts: Application Auto Scaling's six cron fields, minutes hours day-of-month month day-of-week year, "
        "such as '0 8 ? * MON-FRI *' (one of the day fields is ?)."))
    rate: str | None = Field(default=None, description="Or how often it repeats: 'VALUE UNIT', UNIT minute(s), hour(s) or day(s), such as '1 day'.")
    timezone: str = Field(default="UTC", description="The IANA time zone the cron is read in, such as Europe/Berlin. Default: UTC.")
    min: int | None = Field(default=None, ge=0, le=limits.MAX_COUNT, description="The floor from then on, within the model's copies or instances. Default: unchanged.")
    max: int | None = Field(default=None, ge=0, le=limits.MAX_COUNT, description="The ceiling from then on, within the model's copies or instances. Default: unchanged.")

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not re.match(SCHEDULED_ACTION_NAME_PATTERN, name):
            raise ValueError(f"{name!r}: a scheduled action's name is 1 to 256 characters, without colon, slash, pipe or a blank at either end")
        return name

    @field_validator("cron")
    @classmethod
    def _cron(cls, cron: str | None) -> str | None:
        if cron is not None and (problems := cron_problems(_unwrapped(cron, "cron"))):
            raise ValueError("; ".join(problems))
        return cron

    @field_validator("rate")
    @classmethod
    def _rate(cls, rate: str | None) -> str | None:
        if rate is not None and (problems := rate_problems(_unwrapped(rate, "rate"))):
            raise ValueError("; ".join(problems))
        return rate

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, timezone: str) -> str:
        if timezone not in time_zones():
            raise ValueError(f"unknown time zone {timezone!r}: an IANA name such as UTC, Europe/Berlin or America/New_York")
        return timezone

    @model_validator(mode="after")
    def _one_schedule_and_a_bound(self) -> "Window":
        problems = []
        if (self.cron is None) == (self.rate is None):
            problems.append("give either cron or rate")
        if self.min is None and self.max is None:
            problems.append("give min, max or both: an action that sets neither does nothing")
        if self.min is not None and self.max is not None and self.min > self.max:
            problems.append(f"min ({self.min}) is greater than max ({self.max})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def schedule(self) -> str:
        """As Application Auto Scaling writes it: cron(...) or rate(...)."""
        return f"cron({_unwrapped(self.cron, 'cron')})" if self.cron else f"rate({_unwrapped(self.rate or '', 'rate')})"


def _unwrapped(expression: str, kind: str) -> str:
    """A portfolio may write cron(...) or rate(...) around the fields, as the API does."""
    expression = expression.strip()
    return expression[len(kind) + 1:-1] if expression.startswith(f"{kind}(") and expression.endswith(")") else expression


class StepMetric(Spec):
    """The CloudWatch metric a step policy's alarm watches."""

    namespace: str = Field(default="AWS/SageMaker", min_length=1, max_length=255, description="Its namespace. Default: AWS/SageMaker.")
    name: str = Field(min_length=1, max_length=255, description="Its name, such as ModelLatency or CPUUtilization.")
    statistic: Statistic = Field(default="Average", description="Average (default), Maximum, Minimum, Sum or SampleCount.")
    period_s: int = Field(default=60, ge=10, le=86_400, description="Seconds per datapoint: 10, 20, 30 or a multiple of 60. Default: 60.")
    dimensions: dict[str, str] | None = Field(default=None, max_length=MAX_ALARM_DIMENSIONS, description=(
        "Its dimensions. Default: the model's own (EndpointName and VariantName, or InferenceComponentName)."))

    @field_validator("period_s")
    @classmethod
    def _period(cls, period_s: int) -> int:
        if period_s not in ALARM_SHORT_PERIODS_S and period_s % 60:
            raise ValueError(f"{period_s} s: a CloudWatch alarm's period is 10, 20, 30 or a multiple of 60 seconds")
        return period_s


class StepSpec(Spec):
    """Add `adjustment` while the metric minus the threshold lies between `lower` (inclusive) and `upper`."""

    lower: float | None = Field(default=None, description="The range's lower bound relative to the threshold. Default: unbounded.")
    upper: float | None = Field(default=None, description="Its upper bound relative to the threshold. Default: unbounded.")
    adjustment: int = Field(ge=-limits.MAX_COUNT, le=limits.MAX_COUNT, description="Copies or instances to add (negative: to remove).")


class StepPolicy(Spec):
    """A step-scaling policy and the CloudWatch alarm that runs it."""

    metric: StepMetric = Field(description="The metric the alarm watches.")
    threshold: float = Field(description="The alarm's threshold; the steps' bounds are relative to it.")
    comparison: Comparison = Field(default="GreaterThanOrEqualToThreshold", description=(
        "How the metric compares with the threshold to alarm. Default: GreaterThanOrEqualToThreshold."))
    evaluation_periods: int = Field(default=1, ge=1, le=1_000, description="Breaching periods in a row before the alarm fires. Default: 1.")
    steps: list[StepSpec] = Field(min_length=1, max_length=MAX_STEP_ADJUSTMENTS, description=(
        f"The step adjustments, 1 to {MAX_STEP_ADJUSTMENTS}: contiguous, without overlap, as Application Auto Scaling requires."))
    cooldown_s: int = Field(default=DEFAULT_STEP_COOLDOWN_S, ge=0, le=limits.MAX_COOLDOWN_S, description=(
        f"Seconds after an adjustment before the next one. Default: {DEFAULT_STEP_COOLDOWN_S}."))

    @model_validator(mode="after")
    def _steps_follow_the_rules(self) -> "StepPolicy":
        problems = step_problems(_steps(self))
        if problems:
            raise ValueError("steps: " + "; ".join(problems))
        return self


def _steps(policy: StepPolicy) -> tuple[Step, ...]:
    return tuple(Step(adjustment=step.adjustment, lower=step.lower, upper=step.upper) for step in policy.steps)


Windows = list[Window]
StepPolicies = list[StepPolicy]


def unique_window_names(windows: list[Window]) -> list[Window]:
    seen = set()
    for window in windows:
        if window.name in seen:
            raise ValueError(f"two windows are named {window.name!r}: a scheduled action's name is unique on its target")
        seen.add(window.name)
    if len(windows) > MAX_SCHEDULED_ACTIONS_PER_TARGET:
        raise ValueError(f"at most {MAX_SCHEDULED_ACTIONS_PER_TARGET} scheduled actions per scalable target, got {len(windows)}")
    return windows


def windows_of(windows: list[Window]) -> tuple[ScheduledAction, ...]:
    return tuple(ScheduledAction(window.name, window.schedule, window.min, window.max, window.timezone) for window in windows)


# The aggregation Application Auto Scaling applies to the alarm's datapoints: Average, Minimum or Maximum (API
# reference, StepScalingPolicyConfiguration.MetricAggregationType); a Sum or a count is aggregated as Average.
_AGGREGATIONS = ("Average", "Minimum", "Maximum")


def step_policies_of(policies: list[StepPolicy]) -> tuple[StepScaling, ...]:
    return tuple(
        StepScaling(
            alarm=MetricAlarm(
                policy.metric.namespace, policy.metric.name, policy.metric.statistic, policy.metric.period_s, policy.threshold,
                comparison=policy.comparison, evaluation_periods=policy.evaluation_periods,
                dimensions=tuple(sorted((policy.metric.dimensions or {}).items())),
            ),
            steps=_steps(policy),
            cooldown_s=policy.cooldown_s,
            metric_aggregation=policy.metric.statistic if policy.metric.statistic in _AGGREGATIONS else "Average",
        )
        for policy in policies
    )


def windows_outside(windows: tuple[ScheduledAction, ...], low: int, high: int) -> list[str]:
    """The windows whose min or max lies outside the unit's `low`..`high`, as a problem each."""
    return [
        f"window {window.name!r}: {bound} {value} is outside the model's range {low}..{high}"
        for window in windows
        for bound, value in (("min", window.min), ("max", window.max))
        if value is not None and not low <= value <= high
    ]
