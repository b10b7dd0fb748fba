"""How a plan unit scales, as plain data: what the stacks render into Application Auto Scaling and CloudWatch, and
what the simulator replays. No CDK, SciPy or pydantic import: reading a plan's scaling costs nothing.

One `Scaling` per scalable target (a component's copies, a variant's instances, a serverless variant's provisioned
concurrency). Several policies on one target combine as Application Auto Scaling combines them: the one asking for
the largest capacity wins (Application Auto Scaling User Guide, "Target tracking scaling policies", multiple
policies).
"""

from __future__ import annotations

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
    """A CloudWatch alarm on one metric of the unit's own resource (its dimensions are the unit's: the stacks fill
    them in). `threshold` compares with `comparison` as CloudWatch's ComparisonOperator names it."""

    namespace: str
    metric_name: str
    statistic: str
    period_s: int
    threshold: float
    comparison: str = "GreaterThanOrEqualToThreshold"
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None  # None: all `evaluation_periods`
    treat_missing_data: str = "notBreaching"


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
