"""`hosting: dedicated`: the model alone on its own endpoint, scaled by whole instances."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from loadmaster.catalog import Catalog
from loadmaster.errors import Problem
from loadmaster.spec.base import HOSTING_DESCRIPTION, CountRange, ModelSpec, Network, Scaling, unknown_instance_type

HOSTING = "dedicated"
DEDICATED_METRICS = ("concurrent-requests-per-model", "invocations-per-instance")


class DedicatedScaling(Scaling):
    metric: Literal["concurrent-requests-per-model", "invocations-per-instance"] = Field(description=(
        "concurrent-requests-per-model (high-resolution, 10 s) or invocations-per-instance (per minute)."))


class DedicatedFields(ModelSpec):
    """The keys only a dedicated endpoint has (an `auto` model may write them too: they decide its hosting)."""

    instance_type: str | None = Field(default=None, description="The endpoint's instance type, such as ml.g5.2xlarge. Default: the planner chooses.")
    instances: CountRange | None = Field(default=None, description="Instances at least (1 or more) and at most. Default: the planner's.")
    network: Network | None = Field(default=None, description="The VPC the instances run in. Default: SageMaker's network.")
    ssm_access: bool = Field(default=False, description="Lets operators open an SSM session on the instances. Default: false.")


class DedicatedModel(DedicatedFields):
    """A model on an endpoint of its own."""

    hosting: Literal["dedicated"] = Field(description=HOSTING_DESCRIPTION)
    scaling: DedicatedScaling | Literal["none"] | None = Field(default=None, description=(
        "Target tracking on the instances; none turns autoscaling off. Default: concurrent-requests-per-model at the planner's target."))
    # An inference component's keys, which a dedicated endpoint does not have.
    pool: ClassVar[None] = None
    per_copy: ClassVar[None] = None
    copies: ClassVar[None] = None


def dedicated_problems(where: str, model: Any, catalog: Catalog) -> list[Problem]:
    """What needs the catalog; `model` is a dedicated one, or an `auto` model its keys make one."""
    problems = []
    if model.instance_type is not None and model.instance_type not in catalog:
        problems.append(Problem(f"{where}.instance_type", unknown_instance_type(model.instance_type, catalog)))
    if model.instance_type is None and model.size_gb is None:
        problems.append(Problem(f"{where}.instance_type", "required unless size_gb is given for the planner to choose it"))
    if model.instances is not None and model.instances.min < 1:
        problems.append(Problem(f"{where}.instances.min", "a dedicated endpoint keeps at least 1 instance; scale to zero needs hosting: inference-component"))
    return problems
