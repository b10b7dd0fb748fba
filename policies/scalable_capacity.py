"""The capacity Application Auto Scaling adjusts: an inference component's copies or a variant's instances."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from constructs import Construct
from loadmaster.scaling import Scaling, TargetTracking

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

    def track_all(self, scaling: Scaling, *, metric_dimensions: dict[str, str]) -> list[appscaling.CfnScalingPolicy]:
        """Every target tracking of `scaling` (`track`): the first as ``TargetTracking``, the logical id it always had,
        the next ones ``TargetTracking2``, ..."""
        return [self.track("TargetTracking" + (str(index + 1) if index else ""), tracking, metric_dimensions=metric_dimensions)
                for index, tracking in enumerate(scaling.target_tracking)]

    def track(self, id: str, tracking: TargetTracking, *, metric_dimensions: dict[str, str]) -> appscaling.CfnScalingPolicy:
        """Target tracking as the plan describes it: on a predefined metric, or, for a metric without a predefined
        type (an asynchronous endpoint's backlog), on `tracking.custom_metric` with `metric_dimensions` (the scaled
        resource's, as CloudWatch publishes the metric)."""
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
                    dimensions=[policy.MetricDimensionProperty(name=name, value=value) for name, value in metric_dimensions.items()],
                ),
                target_value=tracking.target,
                scale_in_cooldown=tracking.scale_in_cooldown_s,
                scale_out_cooldown=tracking.scale_out_cooldown_s,
                disable_scale_in=tracking.disable_scale_in or None,
            ),
        )
