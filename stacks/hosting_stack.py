"""The hybrid hosting stack: shared inference-component pools beside dedicated endpoints."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct
from constructs.dedicated_endpoint import DedicatedEndpoint
from constructs.inference_component import InferenceComponent
from constructs.inference_component_endpoint import InferenceComponentEndpoint, RoutingStrategy
from loadmaster.plan import ComponentPlan, DedicatedPlan, PoolPlan, ScalingPlan
from policies.scalable_capacity import ScalableCapacity
from policies.scale_from_zero import ScaleFromZero


class HostingStack(cdk.Stack):
    """Everything one set of pools and dedicated endpoints needs. Construct ids are model and pool names, so logical
    ids stay stable when models are added or reordered."""

    def __init__(self, scope: Construct, id: str, *, pools: tuple[PoolPlan, ...], dedicated: tuple[DedicatedPlan, ...], **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        for pool in pools:
            self._add_pool(pool)
        for model in dedicated:
            self._add_dedicated(model)

    def _add_pool(self, pool: PoolPlan) -> None:
        scope = Construct(self, f"Pool-{pool.name}")
        endpoint = InferenceComponentEndpoint(
            scope,
            "Endpoint",
            endpoint_name=pool.endpoint_name,
            instance_type=pool.instance_type.name,
            initial_instance_count=pool.instances.initial,
            min_instance_count=pool.instances.min,
            max_instance_count=pool.instances.max,
            routing=RoutingStrategy(pool.routing),
        )
        for component in pool.components:
            self._add_component(scope, endpoint, component)

    def _add_component(self, scope: Construct, endpoint: InferenceComponentEndpoint, plan: ComponentPlan) -> None:
        component = InferenceComponent(
            scope,
            f"Component-{plan.model}",
            endpoint=endpoint,
            component_name=plan.component_name,
            image=plan.container.image,
            artifact_url=plan.container.artifact,
            environment=plan.container.environment,
            accelerators=plan.accelerators,
            memory_mb=plan.memory_mb,
            cpu_cores=plan.cpu_cores,
            copy_count=plan.copies.initial,
            model_download_timeout_s=plan.model_download_timeout_s,
            health_check_timeout_s=plan.health_check_timeout_s,
        )
        if plan.scaling is None:
            return
        capacity = ScalableCapacity.of_copies(
            component, "Scaling", component_name=plan.component_name, component=component.resource, min_copies=plan.copies.min, max_copies=plan.copies.max
        )
        _track(capacity, plan.scaling)
        if plan.scales_to_zero:
            ScaleFromZero(component, "ScaleFromZero", capacity=capacity, no_capacity_metric=component.metric_no_capacity_invocation_failures())

    def _add_dedicated(self, plan: DedicatedPlan) -> None:
        endpoint = DedicatedEndpoint(
            self,
            f"Dedicated-{plan.model}",
            endpoint_name=plan.endpoint_name,
            image=plan.container.image,
            artifact_url=plan.container.artifact,
            environment=plan.container.environment,
            instance_type=plan.instance_type.name,
            initial_instance_count=plan.instances.initial,
        )
        if plan.scaling is None:
            return
        capacity = ScalableCapacity.of_instances(
            endpoint, "Scaling", endpoint_name=plan.endpoint_name, variant_name=endpoint.variant_name, endpoint=endpoint.endpoint,
            min_instances=plan.instances.min, max_instances=plan.instances.max,
        )
        _track(capacity, plan.scaling)


def _track(capacity: ScalableCapacity, scaling: ScalingPlan) -> None:
    capacity.track_metric(
        "TargetTracking",
        predefined_metric_type=scaling.metric.predefined_metric_type,
        target_value=scaling.target,
        scale_in_cooldown_s=scaling.scale_in_cooldown_s,
        scale_out_cooldown_s=scaling.scale_out_cooldown_s,
    )
