"""The capacity Application Auto Scaling adjusts: an inference component's copies or a variant's instances."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct
from constructs.metric_alarm import metric_alarm
from loadmaster.scaling import Scaling, ScheduledAction, Step, StepScaling, TargetTracking

# The scaled resource's CloudWatch dimensions, or those for a metric's name (an asynchronous endpoint publishes its
# queue metrics per endpoint, its others per variant).
MetricDimensions = dict[str, str] | Callable[[str], dict[str, str]]

COPY_COUNT_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
INSTANCE_COUNT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


class ScalableCapacity(Construct):
    """A scalable target registered through AWS's service-linked role.

    No RoleARN is set: Application Auto Scaling then uses `AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
    so no IAM role of ours exists per target (CDK's `ScalableTarget` L2 would create one each; FACTS.md).

    :param resource_id: ``inference-component/<name>`` or ``endpoint/<name>/variant/<variant>``.
    :param scalable_dimension: what is counted, `COPY_COUNT_DIMENSION` or `INSTANCE_COUNT_DIMENSION`.
    :param min_capacity: the floor; 0 only for inference components (scale to zero).
    :param max_capacity: the ceiling.
    :param scaled: the resource whose capacity this is; the target is registered only once it exists, because
        the resource id names it as plain text.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        resource_id: str,
        scalable_dimension: str,
        min_capacity: int,
        max_capacity: int,
        scaled: cdk.CfnResource,
    ) -> None:
        super().__init__(scope, id)
        if not 0 <= min_capacity <= max_capacity or max_capacity < 1:
            raise ValueError(f"ScalableCapacity: need 0 <= min_capacity <= max_capacity and max_capacity >= 1, got {min_capacity}..{max_capacity}")
        self.resource_id = resource_id
        self.target = appscaling.CfnScalableTarget(
            self,
            "Target",
            service_namespace="sagemaker",
            resource_id=resource_id,
            scalable_dimension=scalable_dimension,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        self.target.node.add_dependency(scaled)

    @classmethod
    def of_copies(cls, scope: Construct, id: str, *, component_name: str, component: cdk.CfnResource, min_copies: int, max_copies: int) -> "ScalableCapacity":
        return cls(
            scope, id, resource_id=f"inference-component/{component_name}", scalable_dimension=COPY_COUNT_DIMENSION,
            min_capacity=min_copies, max_capacity=max_copies, scaled=component,
        )

    @classmethod
    def of_instances(
        cls, scope: Construct, id: str, *, endpoint_name: str, variant_name: str, endpoint: cdk.CfnResource, min_instances: int, max_instances: int
    ) -> "ScalableCapacity":
        return cls(
            scope, id, resource_id=f"endpoint/{endpoint_name}/variant/{variant_name}", scalable_dimension=INSTANCE_COUNT_DIMENSION,
            min_capacity=min_instances, max_capacity=max_instances, scaled=endpoint,
        )

    def track_metric(
        self, id: str, *, predefined_metric_type: str, target_value: float, scale_in_cooldown_s: int, scale_out_cooldown_s: int
    ) -> appscaling.CfnScalingPolicy:
        """Target tracking on one of the SageMaker predefined metrics (`appscaling.PredefinedMetric.SAGEMAKER_*`)."""
        return appscaling.CfnScalingPolicy(
            self,
            id,
            policy_name=f"{self.resource_id.replace('/', '-')}-target-tracking",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type=predefined_metric_type
                ),
                target_value=target_value,
                scale_in_cooldown=scale_in_cooldown_s,
                scale_out_cooldown=scale_out_cooldown_s,
            ),
        )

    def scale(self, scaling: Scaling, *, metric_dimensions: MetricDimensions) -> list[appscaling.CfnScalingPolicy]:
        """Everything `scaling` asks of this target but its wake-up from zero (the caller's): its target tracking
        (`track_all`), scheduled actions and step policies (`schedule_and_step`). Returns the target-tracking policies."""
        policies = self.track_all(scaling, metric_dimensions=metric_dimensions)
        self.schedule_and_step(scaling, metric_dimensions=metric_dimensions)
        return policies

    def track_all(self, scaling: Scaling, *, metric_dimensions: MetricDimensions) -> list[appscaling.CfnScalingPolicy]:
        """Every target tracking of `scaling` (`track`): the first as ``TargetTracking``, the logical id it always had,
        the next ones ``TargetTracking2``, ..."""
        return [
            self.track("TargetTracking" + (str(index + 1) if index else ""), tracking, metric_dimensions=metric_dimensions)
            for index, tracking in enumerate(scaling.target_tracking)
        ]

    def track(self, id: str, tracking: TargetTracking, *, metric_dimensions: MetricDimensions) -> appscaling.CfnScalingPolicy:
        """Target tracking as the plan describes it: on a predefined metric, or, for a metric without a predefined
        type (an asynchronous endpoint's backlog), on `tracking.custom_metric` with `metric_dimensions` (the scaled
        resource's, or those for the metric's name, as CloudWatch publishes the metric)."""
        if tracking.custom_metric is None:
            return self.track_metric(
                id,
                predefined_metric_type=tracking.metric.predefined_metric_type,
                target_value=tracking.target,
                scale_in_cooldown_s=tracking.scale_in_cooldown_s,
                scale_out_cooldown_s=tracking.scale_out_cooldown_s,
            )
        metric = tracking.custom_metric
        policy = appscaling.CfnScalingPolicy
        return policy(
            self,
            id,
            policy_name=f"{self.resource_id.replace('/', '-')}-target-tracking",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.target.ref,
            target_tracking_scaling_policy_configuration=policy.TargetTrackingScalingPolicyConfigurationProperty(
                customized_metric_specification=policy.CustomizedMetricSpecificationProperty(
                    namespace=metric.namespace,
                    metric_name=metric.metric_name,
                    statistic=metric.statistic,
                    dimensions=[policy.MetricDimensionProperty(name=name, value=value) for name, value in _dimensions(metric_dimensions, metric.metric_name).items()],
                ),
                target_value=tracking.target,
                scale_in_cooldown=tracking.scale_in_cooldown_s,
                scale_out_cooldown=tracking.scale_out_cooldown_s,
                disable_scale_in=tracking.disable_scale_in or None,
            ),
        )

    def schedule(self, actions: Sequence[ScheduledAction]) -> None:
        """Scheduled actions on the target itself (`ScalableTarget.ScheduledActions`): from each one's schedule on,
        autoscaling keeps the capacity between the action's min and max (those it sets)."""
        target = appscaling.CfnScalableTarget
        self.target.scheduled_actions = [
            target.ScheduledActionProperty(
                scheduled_action_name=action.name,
                schedule=action.schedule,
                timezone=action.timezone,
                scalable_target_action=target.ScalableTargetActionProperty(min_capacity=action.min, max_capacity=action.max),
            )
            for action in actions
        ] or None

    def step(self, id: str, policy: StepScaling, *, metric_dimensions: dict[str, str]) -> StepPolicy:
        """A step-scaling policy run by its own CloudWatch alarm, on the alarm's metric with its dimensions, or the
        scaled resource's (`metric_dimensions`) when it names none."""
        return StepPolicy(self, id, capacity=self, policy=policy, metric_dimensions=metric_dimensions)

    def schedule_and_step(self, scaling: Scaling, *, metric_dimensions: MetricDimensions) -> None:
        """`scaling`'s scheduled actions and step policies (its target tracking and wake-up are the callers'), each
        alarm on the scaled resource's `metric_dimensions` (or those for its metric's name) unless it names its own.
        Several policies on one target combine as Application Auto Scaling combines them: the largest capacity wins."""
        if scaling.scheduled:
            self.schedule(scaling.scheduled)
        for index, policy in enumerate(scaling.step):
            self.step(f"Step{index + 1}", policy, metric_dimensions=_dimensions(metric_dimensions, policy.alarm.metric_name))


def _dimensions(metric_dimensions: MetricDimensions, metric_name: str) -> dict[str, str]:
    return metric_dimensions(metric_name) if callable(metric_dimensions) else metric_dimensions


class StepPolicy(Construct):
    """A step-scaling policy (`Policy`) and the alarm whose actions run it (`Alarm`)."""

    def __init__(self, scope: Construct, id: str, *, capacity: ScalableCapacity, policy: StepScaling, metric_dimensions: dict[str, str]) -> None:
        super().__init__(scope, id)
        self.policy = step_scaling_policy(self, "Policy", capacity=capacity, policy=policy, name=f"{capacity.resource_id.replace('/', '-')}-{id.lower()}")
        alarm = policy.alarm
        metric = cloudwatch.Metric(namespace=alarm.namespace, metric_name=alarm.metric_name, dimensions_map=dict(alarm.dimensions) or metric_dimensions)
        self.alarm = metric_alarm(
            self,
            "Alarm",
            alarm_description=f"{alarm.metric_name} {alarm.comparison} {alarm.threshold:g}: step scaling of {capacity.resource_id}",
            metric=metric,
            statistic=alarm.statistic,
            period_s=alarm.period_s,
            threshold=alarm.threshold,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm,
            comparison_operator=alarm.comparison,
            treat_missing_data=alarm.treat_missing_data,
            alarm_actions=[self.policy.ref],  # a scaling policy's Ref is its ARN
        )


def step_scaling_policy(scope: Construct, id: str, *, capacity: ScalableCapacity, policy: StepScaling, name: str) -> appscaling.CfnScalingPolicy:
    """A `StepScaling` policy on `capacity` as the plan describes it."""
    return appscaling.CfnScalingPolicy(
        scope,
        id,
        policy_name=name,
        policy_type="StepScaling",
        scaling_target_id=capacity.target.ref,
        step_scaling_policy_configuration=appscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty(
            adjustment_type=policy.adjustment_type,
            metric_aggregation_type=policy.metric_aggregation,
            cooldown=policy.cooldown_s,
            step_adjustments=[step_adjustment(step) for step in policy.steps],
        ),
    )


def step_adjustment(step: Step) -> appscaling.CfnScalingPolicy.StepAdjustmentProperty:
    return appscaling.CfnScalingPolicy.StepAdjustmentProperty(
        metric_interval_lower_bound=step.lower, metric_interval_upper_bound=step.upper, scaling_adjustment=step.adjustment
    )
