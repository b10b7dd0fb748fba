"""`hosting: auto`: the planner chooses the hosting (loadmaster.planner.hosting), unless a key only one hosting has
decides it: an `auto` model may write the keys of every hosting, and those it writes pin it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from loadmaster.errors import Problem
from loadmaster.hostings import dedicated, inference_component
from loadmaster.hostings.dedicated import DedicatedFields
from loadmaster.hostings.inference_component import InferenceComponentFields
from loadmaster.spec.base import HOSTING_DESCRIPTION, ModelSpec, Scaling

HOSTING = "auto"


class AutoModel(InferenceComponentFields, DedicatedFields):
    """A model the planner hosts: as an inference component or on a dedicated endpoint, from the fitness functions."""

    hosting: Literal["auto"] = Field(description=HOSTING_DESCRIPTION)
    scaling: Scaling | Literal["none"] | None = Field(default=None, description=(
        "Target tracking; a per-copy metric makes the model an inference component, a per-model or per-instance one a dedicated "
        "endpoint; none turns autoscaling off. Default: the hosting's concurrency metric at the planner's target."))


def _own_keys(fields: type[ModelSpec]) -> tuple[str, ...]:
    return tuple(name for name in fields.model_fields if name not in ModelSpec.model_fields)


# Keys only one hosting has, and its scaling metrics: on an `auto` model, writing one of them decides the hosting.
HOSTING_ONLY_FIELDS = {inference_component.HOSTING: _own_keys(InferenceComponentFields), dedicated.HOSTING: _own_keys(DedicatedFields)}
HOSTING_METRICS = {inference_component.HOSTING: inference_component.INFERENCE_COMPONENT_METRICS, dedicated.HOSTING: dedicated.DEDICATED_METRICS}


def hosting_pins(model: AutoModel) -> list[tuple[str, str]]:
    """(hosting, field) for each field of an `auto` model that only one hosting has (the scaling metric included)."""
    pins = [(hosting, field) for hosting, fields in HOSTING_ONLY_FIELDS.items() for field in fields if field in model.model_fields_set]
    if isinstance(model.scaling, Scaling):
        pins += [(hosting, "scaling.metric") for hosting, metrics in HOSTING_METRICS.items() if model.scaling.metric in metrics]
    return pins


def pinned_hosting(model: AutoModel) -> str | None:
    """The hosting an `auto` model's own fields decide, or None when they leave it to the planner (or conflict)."""
    hostings = {hosting for hosting, _ in hosting_pins(model)}
    return hostings.pop() if len(hostings) == 1 else None


def auto_problems(where: str, model: AutoModel) -> list[Problem]:
    pins = hosting_pins(model)
    if len({hosting for hosting, _ in pins}) > 1:
        written = ", ".join(f"{field} ({hosting})" for hosting, field in pins)
        return [Problem(f"{where}.hosting", f"auto, but fields of both hostings are written: {written}")]
    if not pins and model.size_gb is None:
        return [Problem(f"{where}.size_gb", "required for hosting: auto (the planner sizes the model from it)")]
    return []
