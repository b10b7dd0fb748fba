"""A plan in a few lines a person reads in a pull request."""

from __future__ import annotations

from loadmaster.plan import Bounds, ComponentPlan, DedicatedPlan, Plan, PoolPlan, ScalingPlan


def headline(plan: Plan) -> str:
    components = sum(len(pool.components) for pool in plan.pools)
    return f"{plan.name}: {_count(len(plan.pools), 'pool')}, {_count(components, 'inference component')}, {_count(len(plan.dedicated), 'dedicated endpoint')}"


def render_summary(plan: Plan) -> str:
    lines = [headline(plan)]
    for pool in plan.pools:
        lines.append(_pool_line(pool))
        lines += [_component_line(component) for component in pool.components]
    lines += [_dedicated_line(model) for model in plan.dedicated]
    lines += [f"  replaces: {change}" for change in plan.replaced]
    lines += [f"  stack {name} now holds nothing: a deploy deletes what it held; `cdk destroy {name}` removes it after" for name in plan.emptied_stacks]
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _range(bounds: Bounds) -> str:
    return f"{bounds.min}..{bounds.max}"


def _scaling(scaling: ScalingPlan | None) -> str:
    if scaling is None:
        return "no autoscaling"
    return f"scales on {scaling.metric.portfolio_name} (target {scaling.target:g})"


def _pool_line(pool: PoolPlan) -> str:
    routing = pool.routing.lower().replace("_", "-")
    return f"  pool {pool.name} -> endpoint {pool.endpoint_name}: {pool.instance_type.name} x {_range(pool.instances)} instances, {routing}"


def _component_line(component: ComponentPlan) -> str:
    compute = [f"{component.accelerators} accel", f"{component.memory_mb} MB"]
    if component.cpu_cores is not None:
        compute.append(f"{component.cpu_cores:g} CPU")
    wake = ", wakes on NoCapacityInvocationFailures" if component.scales_to_zero and component.scaling else ""
    return f"    {component.model}: {' + '.join(compute)} per copy, {_range(component.copies)} copies, {_scaling(component.scaling)}{wake}"


def _dedicated_line(model: DedicatedPlan) -> str:
    return f"  dedicated {model.model} -> endpoint {model.endpoint_name}: {model.instance_type.name} x {_range(model.instances)} instances, {_scaling(model.scaling)}"
