"""Waking an inference component that autoscaling took to zero copies."""

from __future__ import annotations

from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct
from constructs.metric_alarm import GREATER_THAN_OR_EQUAL_TO_THRESHOLD, metric_alarm
from policies.scalable_capacity import ScalableCapacity

# SageMaker developer guide "endpoint-auto-scaling-zero-instances": Sum over 60 s, threshold 1. The scale-to-zero
# blog uses Maximum over 30 s instead (FACTS.md): both are parameters.
DEFAULT_PERIOD_S = 60
DEFAULT_STATISTIC = "Sum"


class ScaleFromZero(Construct):
    """Adds one copy when requests fail for lack of capacity.

    Target tracking alone never leaves zero (at zero copies there is no per-copy metric), so a CloudWatch alarm on
    `NoCapacityInvocationFailures` drives a step-scaling policy: +1 copy, after which target tracking takes over.

    :param capacity: the component's `ScalableCapacity` (min 0).
    :param no_capacity_metric: the component's `NoCapacityInvocationFailures` metric.
    :param period_s: the alarm's period. Default: 60.
    :param statistic: Default: ``Sum``.
    :param cooldown_s: the step policy's cooldown. Default: 60.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        capacity: ScalableCapacity,
        no_capacity_metric: cloudwatch.Metric,
        period_s: int = DEFAULT_PERIOD_S,
        statistic: str = DEFAULT_STATISTIC,
        cooldown_s: int = 60,
    ) -> None:
        super().__init__(scope, id)
        self.policy = appscaling.CfnScalingPolicy(
            self,
            "StepPolicy",
            policy_name=f"{capacity.resource_id.replace('/', '-')}-scale-from-zero",
            policy_type="StepScaling",
            scaling_target_id=capacity.target.ref,
            step_scaling_policy_configuration=appscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty(
                adjustment_type="ChangeInCapacity",
                metric_aggregation_type="Maximum",
                cooldown=cooldown_s,
                step_adjustments=[appscaling.CfnScalingPolicy.StepAdjustmentProperty(metric_interval_lower_bound=0, scaling_adjustment=1)],
            ),
        )
        self.alarm = metric_alarm(
            self,
            "NoCapacityAlarm",
            alarm_description=f"Requests to {capacity.resource_id} failed for lack of capacity: add a copy",
            metric=no_capacity_metric,
            statistic=statistic,
            period_s=period_s,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            alarm_actions=[self.policy.ref],  # a scaling policy's Ref is its ARN
        )
