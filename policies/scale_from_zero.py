"""Waking an inference component that autoscaling took to zero copies."""

from __future__ import annotations

import re

import aws_cdk as cdk
import jsii
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct
from loadmaster.scaling import StepScaling, wake_on_no_capacity
from policies.scalable_capacity import ScalableCapacity


class ScaleFromZero(Construct):
    """Adds one copy when requests fail for lack of capacity.

    Target tracking alone never leaves zero (at zero copies there is no per-copy metric), so a CloudWatch alarm on
    `NoCapacityInvocationFailures` drives a step-scaling policy: +1 copy, after which target tracking takes over.

    :param capacity: the component's `ScalableCapacity` (min 0).
    :param no_capacity_metric: the component's `NoCapacityInvocationFailures` metric.
    :param wake: the alarm's statistic, period, threshold and evaluation, and the policy's steps and cooldown, as the
        plan has them (`loadmaster.scaling`). Default: `wake_on_no_capacity()`, SageMaker's documented figures.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        capacity: ScalableCapacity,
        no_capacity_metric: cloudwatch.Metric,
        wake: StepScaling | None = None,
    ) -> None:
        super().__init__(scope, id)
        wake = wake or wake_on_no_capacity()
        alarm = wake.alarm
        self.policy = appscaling.CfnScalingPolicy(
            self,
            "StepPolicy",
            policy_name=f"{capacity.resource_id.replace('/', '-')}-scale-from-zero",
            policy_type="StepScaling",
            scaling_target_id=capacity.target.ref,
            step_scaling_policy_configuration=appscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty(
                adjustment_type=wake.adjustment_type,
                metric_aggregation_type=wake.metric_aggregation,
                cooldown=wake.cooldown_s,
                step_adjustments=[
                    appscaling.CfnScalingPolicy.StepAdjustmentProperty(
                        metric_interval_lower_bound=step.lower, metric_interval_upper_bound=step.upper, scaling_adjustment=step.adjustment
                    )
                    for step in wake.steps
                ],
            ),
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "NoCapacityAlarm",
            alarm_description=f"Requests to {capacity.resource_id} failed for lack of capacity: add a copy",
            metric=no_capacity_metric.with_(period=cdk.Duration.seconds(alarm.period_s), statistic=alarm.statistic),
            threshold=alarm.threshold,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm,
            comparison_operator=cloudwatch.ComparisonOperator[_member(alarm.comparison)],
            treat_missing_data=cloudwatch.TreatMissingData[_member(alarm.treat_missing_data)],
        )
        self.alarm.add_alarm_action(_ScalingPolicyAction(self.policy.ref))


def _member(api_name: str) -> str:
    """CloudWatch's API name of an enum value (`GreaterThanOrEqualToThreshold`, `notBreaching`) as CDK's member name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", api_name).upper()


@jsii.implements(cloudwatch.IAlarmAction)
class _ScalingPolicyAction:
    """An alarm action that runs an Application Auto Scaling policy (its Ref is the policy ARN)."""

    def __init__(self, policy_arn: str) -> None:
        self._policy_arn = policy_arn

    def bind(self, _scope: Construct, _alarm: cloudwatch.IAlarm) -> cloudwatch.AlarmActionConfig:
        return cloudwatch.AlarmActionConfig(alarm_action_arn=self._policy_arn)
