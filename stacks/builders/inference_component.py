"""An inference-component pool: its endpoint (the head) and each component with its scaling (the members)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs.inference_component import InferenceComponent
from constructs.inference_component_endpoint import InferenceComponentEndpoint
from loadmaster.hostings.inference_component import HOSTING, ComponentPlan, PoolPlan
from policies.acknowledgements import acknowledge
from policies.loadmaster_pack import rule_id
from policies.rules.component_has_scaling_policy import COMPONENT_HAS_SCALING_POLICY
from policies.scalable_capacity import ScalableCapacity
from policies.scale_from_zero import ScaleFromZero
from stacks.builders.part import Builder, Part
from stacks.hosting_stack import generation_suffix, guardrails

if TYPE_CHECKING:
    from constructs import Construct
    from stacks.hosting_stack import HostingStack

FIRST_GUESS = {"pool": 8, "component": 10}


def head(pool: PoolPlan) -> Part:
    return Part(pool.key, "pool", pool.stack, lambda stack, _: add_pool(stack, pool))


def members(pool: PoolPlan) -> list[Part]:
    return [Part(component.key, "component", component.stack if pool.stack else None,
                 lambda stack, endpoint, component=component: add_component(stack, pool, endpoint, component))
            for component in pool.components]


def add_pool(stack: HostingStack, pool: PoolPlan) -> InferenceComponentEndpoint:
    """The pool's endpoint and execution role, without its components."""
    scope = _pool_scope(stack, pool)
    return InferenceComponentEndpoint(
        scope,
        "Endpoint",
        endpoint_name=pool.endpoint_name,
        instance_type=pool.instance_type.name,
        initial_instance_count=pool.instances.initial,
        min_instance_count=pool.instances.min,
        max_instance_count=pool.instances.max,
        routing=pool.routing,
        isolation=stack.isolation(scope, pool.instance_type, pool.network, pool.ssm_access),
    )


def add_component(stack: HostingStack, pool: PoolPlan, endpoint: InferenceComponentEndpoint, plan: ComponentPlan) -> InferenceComponent:
    """`plan` on the pool's `endpoint`, which may be in another stack of the app (a pool too large for one stack).
    The construct path is the same in either stack, so the logical ids are too."""
    component = InferenceComponent(
        _pool_scope(stack, pool),
        f"Component-{plan.model}" + generation_suffix(plan.generation),
        endpoint=endpoint,
        component_name=plan.component_name,
        container=plan.container,
        accelerators=plan.accelerators,
        memory_mb=plan.memory_mb,
        cpu_cores=plan.cpu_cores,
        copy_count=plan.copies.initial,
        model_download_timeout_s=plan.model_download_timeout_s,
        health_check_timeout_s=plan.health_check_timeout_s,
        guardrails=guardrails(plan.deployment),
    )
    if plan.scaling is None:
        acknowledge(component, rule_id(COMPONENT_HAS_SCALING_POLICY), f"The portfolio sets scaling: none for {plan.model}: its copy count stays at {plan.copies.initial}.")
        return component
    capacity = ScalableCapacity.of_copies(
        component, "Scaling", component_name=plan.component_name, component=component.resource, min_copies=plan.scaling.min, max_copies=plan.scaling.max
    )
    capacity.scale(plan.scaling, metric_dimensions=component.metric_dimensions)
    wake = plan.scaling.wake_from_zero
    if wake:
        ScaleFromZero(component, "ScaleFromZero", capacity=capacity, no_capacity_metric=component.metric_no_capacity_invocation_failures(), wake=wake)
    return component


def _pool_scope(stack: HostingStack, pool: PoolPlan) -> Construct:
    return stack.scope(f"Pool-{pool.name}" + generation_suffix(pool.generation))


BUILDER = Builder(HOSTING, head, members, FIRST_GUESS)
