"""An independent check of a finished plan: does every model reach its peak within its pool's `instances.max`?

It reads only what the plan shows (each pool's placement at peak, each component's per-copy compute, the instance
type's capacity, the bounds), not how the planner got there; the tests and the benchmark run it on every plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loadmaster.plan import Plan

if TYPE_CHECKING:
    from loadmaster.hostings.inference_component import PoolPlan
    from loadmaster.planner.packing import Placement

EPSILON = 1e-9


def peak_violations(plan: Plan) -> list[str]:
    problems = [problem for pool in plan.pools for problem in _pool_violations(pool)]
    problems += [f"{endpoint.model}: peak {endpoint.instance_counts.peak} instances above instances.max {endpoint.instances.max}"
                 for endpoint in plan.dedicated if endpoint.instance_counts.peak > endpoint.instances.max]
    return problems


def _pool_violations(pool: PoolPlan) -> list[str]:
    problems = []
    if len(pool.peak_placement) > pool.instances.max:
        problems.append(f"{pool.name}: {len(pool.peak_placement)} instances at peak, instances.max is {pool.instances.max}")
    placed = _copies(pool.peak_placement)
    for component in pool.components:
        if placed.get(component.model, 0) != component.copy_counts.peak:
            problems.append(f"{pool.name}: {component.model} has {placed.get(component.model, 0)} copies placed at peak, needs {component.copy_counts.peak}")
        if component.copies.max < component.copy_counts.peak:
            problems.append(f"{pool.name}: {component.model} may scale to {component.copies.max} copies, needs {component.copy_counts.peak}")
    needs = {component.model: (component.accelerators, component.memory_mb, component.cpu_cores or 0.0) for component in pool.components}
    # What copies may reserve: the instance's own reserve left out (loadmaster/catalog/usable.py)
    capacity = (pool.instance_type.accelerators, pool.instance_type.usable_memory_mb, pool.instance_type.usable_vcpu)
    for number, instance in enumerate(pool.peak_placement, start=1):
        used = [sum(needs[model][dimension] * copies for model, copies in instance) for dimension in range(3)]
        if any(use > have + EPSILON for use, have in zip(used, capacity)):
            problems.append(f"{pool.name}: instance {number} holds {used} (accelerators, MB, CPU) of {list(capacity)}")
    return problems


def _copies(placement: Placement) -> dict[str, int]:
    totals: dict[str, int] = {}
    for instance in placement:
        for model, copies in instance:
            totals[model] = totals.get(model, 0) + copies
    return totals
