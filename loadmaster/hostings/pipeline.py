"""`hosting: pipeline`: a serial inference pipeline on a real-time endpoint of its own: 2 to 15 containers
(pre-processing, model, post-processing) run in order on the same instances, each container's response the next one's
request (`InferenceExecutionConfig.Mode: Serial`). Scaled by whole instances, as a dedicated endpoint.

Its `containers:` key (loadmaster.spec.containers) is the one a batch transform of a pipeline reads too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from loadmaster.hostings.multi_container import ContainersModel, ContainersPlan, containers_model_problems, unfit_for_one_image, units_of, verdict
from loadmaster.hostings.pattern import HostingPattern
from loadmaster.spec.base import HOSTING_DESCRIPTION, ModelSpec

HOSTING = "pipeline"


class PipelineModel(ContainersModel):
    """A serial inference pipeline: its containers in the order a request goes through them."""

    hosting: Literal["pipeline"] = Field(description=HOSTING_DESCRIPTION)


class PipelineFields(ModelSpec):
    """No keys an `auto` model may write: it has one image, not a pipeline's containers."""


@dataclass(frozen=True)
class PipelinePlan(ContainersPlan):
    pattern: ClassVar[str] = HOSTING


PATTERN = HostingPattern(
    HOSTING, PipelineModel, PipelineFields, (), PipelinePlan, units_of(PipelinePlan),
    unfit_for_one_image(HOSTING, "runs several containers in order"), verdict,
    scaling_complexity="a pipeline scales one level (instances, every container on each)",
    rehearsed_types=("AWS::SageMaker::Endpoint",), model_problems=containers_model_problems,
)
