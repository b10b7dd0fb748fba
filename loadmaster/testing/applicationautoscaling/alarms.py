"""The CloudWatch alarms Application Auto Scaling creates for a SageMaker target-tracking policy, and deletes with it.

For each policy a high alarm (metric above the target: scale out) and a low one (below 90 % of the target: scale
in), named `TargetTracking-<resource id>-AlarmHigh-<uuid>` / `-AlarmLow-<uuid>` and acting on the policy. Their
evaluation windows, from the AWS sample notebook for faster auto scaling
(aws/amazon-sagemaker-examples, inference/generativeai/huggingfacetgi/meta-llama/llama3-8b/faster-autoscaling/):
the high-resolution metrics (10 s) alarm high on 3 datapoints within 30 s and low on 90 datapoints within 15 min.
The standard (1 min) metrics alarm high on 3 of 3 datapoints and low on 15 of 15, as commonly documented (not
verified against AWS here; FACTS.md). The statistics are ours: our sources do not give them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy
from moto.cloudwatch.models import Alarm, cloudwatch_backends
from moto.moto_api._internal import mock_random

LOW_THRESHOLD_OF_TARGET = 0.9


@dataclass(frozen=True)
class Window:
    period_seconds: int
    high_datapoints: int
    low_datapoints: int


STANDARD = Window(period_seconds=60, high_datapoints=3, low_datapoints=15)
HIGH_RESOLUTION = Window(period_seconds=10, high_datapoints=3, low_datapoints=90)

# Predefined metric type -> (CloudWatch metric in AWS/SageMaker, statistic, window)
PREDEFINED_METRICS = {
    "SageMakerVariantInvocationsPerInstance": ("InvocationsPerInstance", "Sum", STANDARD),
    "SageMakerInferenceComponentInvocationsPerCopy": ("InvocationsPerCopy", "Sum", STANDARD),
    "SageMakerVariantProvisionedConcurrencyUtilization": ("ServerlessProvisionedConcurrencyUtilization", "Average", STANDARD),
    "SageMakerVariantConcurrentRequestsPerModelHighResolution": ("ConcurrentRequestsPerModel", "Average", HIGH_RESOLUTION),
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution": ("ConcurrentRequestsPerCopy", "Average", HIGH_RESOLUTION),
}


@dataclass(frozen=True)
class _Metric:
    namespace: str
    name: str
    statistic: str
    dimensions: list[dict[str, str]]
    unit: str | None
    window: Window


def _metric(policy: FakeApplicationAutoscalingPolicy) -> _Metric:
    config: dict[str, Any] = policy.target_tracking_scaling_policy_configuration or {}
    if "CustomizedMetricSpecification" in config:
        custom = config["CustomizedMetricSpecification"]
        if "Metrics" in custom:
            raise NotImplementedError("loadmaster.testing: target tracking on metric math (Metrics) is not supported")
        return _Metric(custom["Namespace"], custom["MetricName"], custom["Statistic"], custom.get("Dimensions", []), custom.get("Unit"), STANDARD)
    name, statistic, window = PREDEFINED_METRICS[config["PredefinedMetricSpecification"]["PredefinedMetricType"]]
    parts = policy.resource_id.split("/")
    if parts[0] == "inference-component":
        dimensions = [{"Name": "InferenceComponentName", "Value": parts[1]}]
    else:  # endpoint/<name>/variant/<variant>
        dimensions = [{"Name": "EndpointName", "Value": parts[1]}, {"Name": "VariantName", "Value": parts[3]}]
    return _Metric("AWS/SageMaker", name, statistic, dimensions, None, window)


def target_tracking_alarms(policy: FakeApplicationAutoscalingPolicy) -> list[Alarm]:
    cloudwatch = cloudwatch_backends[policy.account_id][policy.region_name]
    metric = _metric(policy)
    target = float((policy.target_tracking_scaling_policy_configuration or {})["TargetValue"])
    alarms = []
    for side, operator, threshold, datapoints in (
        ("AlarmHigh", "GreaterThanThreshold", target, metric.window.high_datapoints),
        ("AlarmLow", "LessThanThreshold", LOW_THRESHOLD_OF_TARGET * target, metric.window.low_datapoints),
    ):
        alarms.append(
            cloudwatch.put_metric_alarm(
                name=f"TargetTracking-{policy.resource_id}-{side}-{mock_random.uuid4()}",
                namespace=metric.namespace,
                metric_name=metric.name,
                comparison_operator=operator,
                evaluation_periods=datapoints,
                datapoints_to_alarm=datapoints,
                period=metric.window.period_seconds,
                threshold=threshold,
                statistic=metric.statistic,
                unit=metric.unit,
                description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy.policy_arn}.",
                dimensions=metric.dimensions,
                alarm_actions=[policy.policy_arn],
            )
        )
    return alarms
