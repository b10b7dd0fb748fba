"""Waking a scalable target that autoscaling took to zero: an inference component's copies, an asynchronous
endpoint's instances."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct
from loadmaster.scaling import MetricAlarm, Step, StepScaling
from policies.scalable_capacity import ScalableCapacity

# SageMaker developer guide "endpoint-auto-scaling-zero-instances": Sum over 60 s, threshold 1. The scale-to-zero
# blog uses Maximum over 30 s instead (FACTS.md): both are parameters.
DEFAULT_PERIOD_S = 60
DEFAULT_STATISTIC = "Sum"
# An inference component's wake-up: +1 copy once a request failed for want of one.
COMPONENT_WAKE = StepScaling(
    alarm=MetricAlarm(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures", statistic=DEFAULT_STATISTIC, period_s=DEFAULT_PERIOD_S, threshold=1),
    steps=(Step(adjustment=1, lower=0),),
    cooldown_s=60,
)


class ScaleFromZero(Construct):
    """Adds capacity when work arrives at a target with none.

    Target tracking alone never leaves zero (at zero there is no per-copy or per-instance metric), so a CloudWatch
    alarm drives a step-scaling policy, after which target tracking takes over: on `NoCapacityInvocationFailures`
    for an inference component (`COMPONENT_WAKE`), on `HasBacklogWithoutCapacity` for an asynchronous endpoint
    (`loadmaster.async_inference.WAKE_FROM_ZERO`).

    :param capacity: the target's `ScalableCapacity` (min 0).
    :param no_capacity_metric: the metric the alarm watches, with the dimensions of the scaled resource; `wake` sets
        its statistic and period.
    :param wake: the alarm's and the policy's figures. Default: `COMPONENT_WAKE`.
    :param description: the alarm's description. Default: one saying a request found no copy.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        capacity: ScalableCapacity,
        no_capacity_metric: cloudwatch.Metric,
        wake: StepScaling = COMPONENT_WAKE,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, id)
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
                step_adjustments=[_step_adjustment(step) for step in wake.steps],
            ),
        )
        alarm = wake.alarm
        self.alarm = cloudwatch.Alarm(
            self,
            "NoCapacityAlarm",
            alarm_description=description or f"Requests to {capacity.resource_id} failed for lack of capacity: add a copy",
            metric=no_capacity_metric.with_(period=cdk.Duration.seconds(alarm.period_s), statistic=alarm.statistic),
            threshold=alarm.threshold,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm,
            comparison_operator=_COMPARISONS[alarm.comparison],
            treat_missing_data=_MISSING_DATA[alarm.treat_missing_data],
        )
        self.alarm.add_alarm_action(_ScalingPolicyAction(self.policy.ref))


# CloudWatch's names, as the plain-data alarms carry them, to CDK's enums.
_COMPARISONS = {
    "GreaterThanOrEqualToThreshold": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    "GreaterThanThreshold": cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    "LessThanThreshold": cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    "LessThanOrEqualToThreshold": cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
}
_MISSING_DATA = {
    "notBreaching": cloudwatch.TreatMissingData.NOT_BREACHING,
    "breaching": cloudwatch.TreatMissingData.BREACHING,
    "ignore": cloudwatch.TreatMissingData.IGNORE,
    "missing": cloudwatch.TreatMissingData.MISSING,
}


def _step_adjustment(step: Step) -> appscaling.CfnScalingPolicy.StepAdjustmentProperty:
    return appscaling.CfnScalingPolicy.StepAdjustmentProperty(
        metric_interval_lower_bound=step.lower, metric_interval_upper_bound=step.upper, scaling_adjustment=step.adjustment
    )


@jsii.implements(cloudwatch.IAlarmAction)
class _ScalingPolicyAction:
    """An alarm action that runs an Application Auto Scaling policy (its Ref is the policy ARN)."""

    def __init__(self, policy_arn: str) -> None:
        self._policy_arn = policy_arn

    def bind(self, _scope: Construct, _alarm: cloudwatch.IAlarm) -> cloudwatch.AlarmActionConfig:
        return cloudwatch.AlarmActionConfig(alarm_action_arn=self._policy_arn)
