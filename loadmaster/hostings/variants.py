"""A dedicated endpoint's other variants as plan data: production variants sharing the requests by weight, a shadow
variant receiving a copy of them (the portfolio's `variants` and `shadow`, loadmaster.spec.variants).

Each variant runs its own instances and scales on its own target. The planner sizes the model for all its traffic;
a production variant serves its share of it (its weight over the sum of the weights), so its counts are that share
of the model's, rounded up, within its own instance range. The shadow keeps its `instance_count`, not autoscaled."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from loadmaster.catalog import InstanceType
from loadmaster.naming import DEFAULT_VARIANT_NAME
from loadmaster.plan import Bounds, ContainerDefinition
from loadmaster.scaling import Scaling

if TYPE_CHECKING:
    from loadmaster.planner.sizing import Counts


@dataclass(frozen=True)
class VariantPlan:
    """A variant beside the endpoint's first production variant; `sampling_percent` only for a shadow."""

    name: str
    container: ContainerDefinition
    instance_type: InstanceType
    instances: Bounds
    scaling: Scaling | None
    instance_counts: Counts | None
    weight: float = 1.0
    sampling_percent: int | None = None

    @property
    def share(self) -> str:
        return f"copy of {self.sampling_percent}% of the requests" if self.sampling_percent is not None else f"weight {self.weight:g}"

    def summary_line(self) -> str:
        if self.sampling_percent is not None:
            return f"    shadow {self.name} ({self.share}): {self.instance_type.name} x {self.instances.min} instances, not autoscaled"
        return f"    variant {self.name} ({self.share}): {self.instance_type.name} x {self.instances.min}..{self.instances.max} instances"


def share_of(counts: Counts | None, share: float, bounds: Bounds) -> Counts | None:
    """`counts` for `share` of the traffic, rounded up, within `bounds` (None: the planner counted nothing)."""
    if counts is None:
        return None

    def within(count: int) -> int:
        return min(max(math.ceil(count * share), bounds.min), bounds.max)

    return replace(counts, min=within(counts.min), expected=within(counts.expected), peak=within(counts.peak))


def container_of(variant: Any, model_container: ContainerDefinition) -> ContainerDefinition:
    """A variant's container: what it names, the model's for the rest."""
    return replace(
        model_container,
        image=variant.image or model_container.image,
        artifact=variant.artifact or model_container.artifact,
        environment=model_container.environment if variant.environment is None else variant.environment,
    )


def endpoint_variants(
    model: Any, container: ContainerDefinition, instance_type: InstanceType, bounds: Bounds, counts: Counts | None, catalog: Any,
    scaling_for: Callable[[Bounds], Scaling | None],
) -> tuple[VariantPlan, tuple[VariantPlan, ...], VariantPlan | None]:
    """The endpoint's first production variant, its other production variants and its shadow (None: none). Without
    `variants` the first is the model itself, `AllTraffic` at weight 1. `scaling_for` gives a variant's scaling
    between its bounds."""
    written = getattr(model, "variants", None)
    shadow = getattr(model, "shadow", None)
    total = sum(variant.weight for variant in written) if written else 1.0

    def plan(variant: Any) -> VariantPlan:
        if variant is None:
            return VariantPlan(DEFAULT_VARIANT_NAME, container, instance_type, bounds, scaling_for(bounds), share_of(counts, 1.0, bounds))
        own = Bounds(variant.instances.min, variant.instances.max) if variant.instances else bounds
        return VariantPlan(variant.name, container_of(variant, container), type_of(variant), own, scaling_for(own),
                           share_of(counts, variant.weight / total, own), variant.weight)

    def type_of(variant: Any) -> InstanceType:
        return catalog[variant.instance_type] if variant.instance_type else instance_type

    production = [plan(variant) for variant in written] if written else [plan(None)]
    copied = None
    if shadow:  # not autoscaled: its instance count all day
        fixed = Bounds(shadow.instance_count, shadow.instance_count)
        count = replace(counts, min=shadow.instance_count, expected=shadow.instance_count, peak=shadow.instance_count) if counts is not None else None
        copied = VariantPlan(shadow.name, container_of(shadow, container), type_of(shadow), fixed, None, count, sampling_percent=shadow.sampling_percent)
    return production[0], tuple(production[1:]), copied
