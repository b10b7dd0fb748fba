"""How a plan unit scales, as plain data: what the stacks render into Application Auto Scaling and CloudWatch, and
what the simulator replays. No CDK, SciPy or pydantic import: reading a plan's scaling costs nothing.

One `Scaling` per scalable target (a component's copies, a variant's instances, a serverless variant's provisioned
concurrency). Several policies on one target combine as Application Auto Scaling combines them: the one asking for
the largest capacity wins (Application Auto Scaling User Guide, "Target tracking scaling policies", multiple
policies).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum

# Defaults when a model says nothing of scaling: the high-resolution concurrency metrics at the target of AWS's
# faster-autoscaling example notebook (Llama3-8B on TGI, target 5; FACTS.md "How the concurrency metrics and alarms
# behave"), with the cooldowns of loadmaster.limits.
DEFAULT_TARGET_CONCURRENCY = 5.0
# Waking an inference component from zero copies: SageMaker developer guide "endpoint-auto-scaling-zero-instances",
# an alarm on NoCapacityInvocationFailures, Sum over 60 s at threshold 1, adding one copy (the scale-to-zero blog uses
# Maximum over 30 s instead, FACTS.md); after it target tracking takes over.
WAKE_PERIOD_S = 60
WAKE_STATISTIC = "Sum"
WAKE_COOLDOWN_S = 60


class ScalableDimension(Enum):
    """What a scalable target counts (botocore application-autoscaling service-2.json, ScalableDimension)."""

    COPIES = "sagemaker:inference-component:DesiredCopyCount"
    INSTANCES = "sagemaker:variant:DesiredInstanceCount"
    PROVISIONED_CONCURRENCY = "sagemaker:variant:DesiredProvisionedConcurrency"


class ScalingMetric(Enum):
    """A portfolio's metric name, the Application Auto Scaling predefined metric it stands for (botocore
    application-autoscaling service-2.json, MetricType), what it scales, and how often SageMaker emits it
    (SageMaker developer guide, "Metrics for monitoring Amazon SageMaker AI": 10 s for the high-resolution ones)."""

    CONCURRENT_REQUESTS_PER_COPY = ("concurrent-requests-per-copy", "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution", ScalableDimension.COPIES, 10)
    INVOCATIONS_PER_COPY = ("invocations-per-copy", "SageMakerInferenceComponentInvocationsPerCopy", ScalableDimension.COPIES, 60)
    CONCURRENT_REQUESTS_PER_MODEL = ("concurrent-requests-per-model", "SageMakerVariantConcurrentRequestsPerModelHighResolution", ScalableDimension.INSTANCES, 10)
    INVOCATIONS_PER_INSTANCE = ("invocations-per-instance", "SageMakerVariantInvocationsPerInstance", ScalableDimension.INSTANCES, 60)
    PROVISIONED_CONCURRENCY_UTILIZATION = ("provisioned-concurrency-utilization", "SageMakerVariantProvisionedConcurrencyUtilization", ScalableDimension.PROVISIONED_CONCURRENCY, 60)
    # Asynchronous endpoints: no predefined type, so a customized metric (`TargetTracking.custom_metric`) on
    # ApproximateBacklogSizePerInstance (SageMaker developer guide, "Autoscale an asynchronous endpoint").
    BACKLOG_SIZE_PER_INSTANCE = ("backlog-size-per-instance", None, ScalableDimension.INSTANCES, 60)
    # GPU multi-model endpoints: GPUUtilization of the instances (namespace /aws/sagemaker/Endpoints), likewise a
    # customized metric (SageMaker developer guide, "Set Auto Scaling Policies for Multi-Model Endpoint Deployments").
    GPU_UTILIZATION = ("gpu-utilization", None, ScalableDimension.INSTANCES, 60)

    @property
    def portfolio_name(self) -> str:
        return self.value[0]

    @property
    def predefined_metric_type(self) -> str | None:
        """None: Application Auto Scaling has no predefined type for it; a policy tracks it as a customized metric."""
        return self.value[1]

    @property
    def dimension(self) -> ScalableDimension:
        return self.value[2]

    @property
    def period_s(self) -> int:
        return self.value[3]

    @classmethod
    def named(cls, portfolio_name: str) -> ScalingMetric:
        return next(metric for metric in cls if metric.portfolio_name == portfolio_name)


@dataclass(frozen=True)
class MetricAlarm:
    """A CloudWatch alarm on one metric, of the unit's own resource unless `dimensions` name another (the stacks fill
    the unit's in). `threshold` compares with `comparison` as CloudWatch's ComparisonOperator names it."""

    namespace: str
    metric_name: str
    statistic: str
    period_s: int
    threshold: float
    comparison: str = "GreaterThanOrEqualToThreshold"
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None  # None: all `evaluation_periods`
    treat_missing_data: str = "notBreaching"
    # The metric's dimensions as the portfolio names them; empty: the unit's own resource's (the stacks fill them in).
    dimensions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TargetTracking:
    """A target-tracking policy on a predefined metric; Application Auto Scaling creates and owns its alarms."""

    metric: ScalingMetric
    target: float
    scale_in_cooldown_s: int
    scale_out_cooldown_s: int
    disable_scale_in: bool = False
    custom_metric: MetricAlarm | None = None  # a metric with no predefined type (for example async's backlog): its statistic and period


@dataclass(frozen=True)
class Step:
    """Add `adjustment` while the alarm's metric minus its threshold lies in [lower, upper) (None: unbounded)."""

    adjustment: int
    lower: float | None = 0
    upper: float | None = None


@dataclass(frozen=True)
class StepScaling:
    """A step-scaling policy run by its own alarm."""

    alarm: MetricAlarm
    steps: tuple[Step, ...]
    cooldown_s: int
    adjustment_type: str = "ChangeInCapacity"
    metric_aggregation: str = "Maximum"


@dataclass(frozen=True)
class ScheduledAction:
    """Capacity bounds from `schedule` on (`cron(...)`, `rate(...)` or `at(...)`), in `timezone`."""

    name: str
    schedule: str
    min: int | None
    max: int | None
    timezone: str = "UTC"


@dataclass(frozen=True)
class Scaling:
    """Everything that moves one scalable target between `min` and `max`.

    `wake_from_zero` is the step policy that leaves zero, which target tracking cannot (at zero there is no per-copy
    or per-instance metric): on `NoCapacityInvocationFailures` for components, `HasBacklogWithoutCapacity` for
    asynchronous endpoints (SageMaker developer guide, "Scale an endpoint to zero instances" and
    "Autoscale an asynchronous endpoint").
    """

    dimension: ScalableDimension
    min: int
    max: int
    target_tracking: tuple[TargetTracking, ...] = ()
    step: tuple[StepScaling, ...] = ()
    scheduled: tuple[ScheduledAction, ...] = ()
    wake_from_zero: StepScaling | None = None

    @property
    def scales_to_zero(self) -> bool:
        return self.min == 0


def wake_on_no_capacity() -> StepScaling:
    """The step policy that adds a copy to an inference component at zero copies when a request fails for lack of one."""
    alarm = MetricAlarm("AWS/SageMaker", "NoCapacityInvocationFailures", WAKE_STATISTIC, WAKE_PERIOD_S, threshold=1)
    return StepScaling(alarm=alarm, steps=(Step(adjustment=1),), cooldown_s=WAKE_COOLDOWN_S)


# Scheduled and step scaling: the rules Application Auto Scaling applies, as plain functions the portfolio's checks
# and the rehearsal's Application Auto Scaling (loadmaster.testing.applicationautoscaling) share.

# Application Auto Scaling's cron: six fields, [Minutes] [Hours] [Day_of_Month] [Month] [Day_of_Week] [Year], with a
# `?` in one of the two day fields (Application Auto Scaling User Guide, "Schedule recurring scaling actions using
# Application Auto Scaling", and the EventBridge "Cron expressions reference" it points to).
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_WEEKDAYS = "SUN MON TUE WED THU FRI SAT".split()
CRON_FIELDS = (  # name, lowest, highest, names, special characters besides , - * /
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day-of-month", 1, 31, (), "?LW"),
    ("month", 1, 12, _MONTHS, ""),
    ("day-of-week", 1, 7, _WEEKDAYS, "?L#"),
    ("year", 1970, 2199, (), ""),
)
RATE_UNITS = ("minute", "minutes", "hour", "hours", "day", "days")
# ScheduledActionName: 1 to 256 characters, no colon, slash or pipe, no control characters, no leading or trailing
# blank (botocore application-autoscaling service-2.json, ScheduledActionName's pattern).
SCHEDULED_ACTION_NAME_PATTERN = r"^[^:/|\x00-\x1f\x7f-\x9f ]([^:/|\x00-\x1f\x7f-\x9f]{0,254}[^:/|\x00-\x1f\x7f-\x9f ])?$"
# Step adjustments per policy (Application Auto Scaling API reference, StepScalingPolicyConfiguration) and
# scheduled actions per scalable target (Application Auto Scaling User Guide, "Quotas for Application Auto Scaling").
MAX_STEP_ADJUSTMENTS = 20
MAX_SCHEDULED_ACTIONS_PER_TARGET = 200


def _cron_value_problem(token: str, field: tuple[str, int, int, tuple[str, ...], str]) -> str | None:
    name, low, high, names, _ = field
    if token.upper() in names:
        return None
    if not token.isdecimal():
        return f"{token!r} is not a number" + (f" nor one of {'/'.join(names)}" if names else "")
    if not low <= int(token) <= high:
        return f"{token} is outside {low}-{high}"
    return None


def _cron_field_problem(text: str, field: tuple[str, int, int, tuple[str, ...], str]) -> str | None:
    name, _, _, _, special = field
    if text == "*" or (text == "?" and "?" in special):
        return None
    for item in text.split(","):
        base, _, step = item.partition("/")
        if step and not step.isdecimal():
            return f"{name}: step {step!r} is not a number"
        if base in ("*", "") and step:
            continue
        if "L" in special and base.upper() in ("L", "LW") or "W" in special and base.upper().endswith("W") and base[:-1].isdecimal():
            continue
        if "#" in special and "#" in base:
            day, _, nth = base.partition("#")
            problem = _cron_value_problem(day, field) or (None if nth in ("1", "2", "3", "4", "5") else f"#{nth} is not 1-5")
            if problem:
                return f"{name}: {problem}"
            continue
        if "L" in special and base.upper().endswith("L") and name == "day-of-week":
            base = base[:-1]
        for value in base.split("-", 1):
            problem = _cron_value_problem(value, field)
            if problem:
                return f"{name}: {problem}"
    return None


def cron_problems(fields: str) -> list[str]:
    """What is wrong with the six fields of `cron(...)` (empty: nothing)."""
    parts = fields.split()
    if len(parts) != len(CRON_FIELDS):
        return [f"a cron expression has {len(CRON_FIELDS)} fields (minutes hours day-of-month month day-of-week year), got {len(parts)}"]
    problems = [problem for part, field in zip(parts, CRON_FIELDS) if (problem := _cron_field_problem(part, field))]
    day_of_month, day_of_week = parts[2], parts[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        problems.append("one of day-of-month and day-of-week must be ?, the other a value or *")
    return problems


def rate_problems(text: str) -> list[str]:
    """What is wrong with the `value unit` of `rate(...)`: a positive whole number and minute(s), hour(s) or day(s)."""
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdecimal() or int(parts[0]) < 1 or parts[1] not in RATE_UNITS:
        return [f"a rate is 'VALUE UNIT', VALUE a whole number from 1 and UNIT one of {', '.join(RATE_UNITS)}; got {text!r}"]
    return []


def schedule_problems(schedule: str) -> list[str]:
    """What is wrong with a scheduled action's `Schedule`: `cron(...)`, `rate(...)` or `at(yyyy-mm-ddThh:mm:ss)`."""
    for kind, check in (("cron", cron_problems), ("rate", rate_problems)):
        if schedule.startswith(f"{kind}(") and schedule.endswith(")"):
            return check(schedule[len(kind) + 1:-1])
    if schedule.startswith("at(") and schedule.endswith(")"):
        try:
            datetime.datetime.strptime(schedule[3:-1], "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return ["at(...) takes a date and time yyyy-mm-ddThh:mm:ss"]
        return []
    return ["a schedule is cron(...), rate(...) or at(...)"]


def step_problems(steps: tuple[Step, ...]) -> list[str]:
    """Where `steps` break Application Auto Scaling's rules for step adjustments (API reference, StepAdjustment):
    their ranges neither overlap nor leave a gap, at most one is unbounded below (and one must be if any lower bound
    is negative), at most one unbounded above (and one must be if any upper bound is positive), none both."""
    problems = []
    if not steps:
        return ["a step policy needs at least one step"]
    if len(steps) > MAX_STEP_ADJUSTMENTS:
        problems.append(f"at most {MAX_STEP_ADJUSTMENTS} steps, got {len(steps)}")
    for index, step in enumerate(steps):
        if step.lower is None and step.upper is None:
            problems.append(f"step {index + 1} has neither a lower nor an upper bound")
        elif step.lower is not None and step.upper is not None and step.lower >= step.upper:
            problems.append(f"step {index + 1}: lower {step.lower:g} is not below upper {step.upper:g}")
    if sum(step.lower is None for step in steps) > 1:
        problems.append("more than one step without a lower bound")
    if sum(step.upper is None for step in steps) > 1:
        problems.append("more than one step without an upper bound")
    if any(step.lower is not None and step.lower < 0 for step in steps) and all(step.lower is not None for step in steps):
        problems.append("a step has a negative lower bound, so one step must have no lower bound")
    if any(step.upper is not None and step.upper > 0 for step in steps) and all(step.upper is not None for step in steps):
        problems.append("a step has a positive upper bound, so one step must have no upper bound")
    if problems:
        return problems
    ordered = sorted(steps, key=lambda step: float("-inf") if step.lower is None else step.lower)
    for below, above in zip(ordered, ordered[1:]):
        if below.upper is None or above.lower is None or below.upper > above.lower:
            problems.append(f"steps overlap: {_interval(below)} and {_interval(above)}")
        elif below.upper < above.lower:
            problems.append(f"steps leave a gap between {below.upper:g} and {above.lower:g}")
    return problems


def _interval(step: Step) -> str:
    lower = "-inf" if step.lower is None else f"{step.lower:g}"
    upper = "+inf" if step.upper is None else f"{step.upper:g}"
    return f"[{lower}, {upper})"
