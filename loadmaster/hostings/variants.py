"""A dedicated endpoint's other variants as plan data: production variants sharing the requests by weight, a shadow
variant receiving a copy of them (the portfolio's `variants` and `shadow`, loadmaster.spec.variants).

Each variant runs its own instances and scales on its own target. The planner sizes the model for all its traffic;
a variant serves its share of it (its weight over the sum of the weights; the shadow its `sampling_percent` of the
production variant's), so its counts are that share of the model's, rounded up, within its own instance range."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from loadmaster.catalog import InstanceType
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
        kind = "shadow" if self.sampling_percent is not None else "variant"
        return f"    {kind} {self.name} ({self.share}): {self.instance_type.name} x {self.instances.min}..{self.instances.max} instances"


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
