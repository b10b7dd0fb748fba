"""The portfolio's schema: the top-level keys, and each model as the variant of its `hosting` (a discriminated union:
a model's keys are checked against its own hosting's, so a key of another hosting is named as such)."""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag

from loadmaster import limits
from loadmaster.catalog.usable import DEFAULT_RESERVE, Reserve
from loadmaster.hostings import auto, inference_component
from loadmaster.hostings.inference_component import PoolSpec
from loadmaster.hostings.registry import PATTERNS
from loadmaster.spec.base import KmsKeyArn, ModelSpec, Name, Spec

# Each hosting's model, by the value of its `hosting` key: every registered pattern's, and `auto`.
MODEL_CLASSES: dict[str, type[ModelSpec]] = {name: pattern.spec for name, pattern in PATTERNS.items()} | {auto.HOSTING: auto.AutoModel}
# A model that writes no `hosting` is an inference component (README, "Portfolio reference").
DEFAULT_HOSTING = inference_component.HOSTING


def hosting_of(model: Any) -> Any:
    """The variant a model is validated as: its `hosting`, the default when it writes none (None when it is not a
    mapping: pydantic then reports a missing tag, which becomes "expected a mapping")."""
    if isinstance(model, dict):
        return model.get("hosting", DEFAULT_HOSTING)
    return getattr(model, "hosting", None)


HostedModel = Annotated[
    Union[tuple(Annotated[cls, Tag(hosting)] for hosting, cls in MODEL_CLASSES.items())],  # type: ignore[misc]
    Discriminator(hosting_of),
]


class Portfolio(Spec):
    """A portfolio of models to host on Amazon SageMaker (loadmaster's portfolio file, version 1)."""

    version: Literal[1] = Field(description="The portfolio file's version: 1.")
    name: Name = Field(description="The portfolio's name: the prefix of every SageMaker name and stack it deploys.")
    region: str | None = Field(default=None, pattern=limits.REGION_PATTERN, description=(
        "The AWS region, such as us-east-1. Default: the CDK environment's (needed for framework images)."))
    account: str | None = Field(default=None, pattern=r"^\d{12}$", description="The 12-digit AWS account ID. Default: the CDK environment's.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on every resource.")
    prices: dict[str, Annotated[float, Field(gt=0, le=100_000)]] = Field(default_factory=dict, description=(
        "USD per hour by instance type, replacing the catalog's on-demand price (negotiated prices, other regions)."))
    reserve: Reserve = Field(default=DEFAULT_RESERVE, description=(
        "What every instance keeps for SageMaker, the OS and the container runtime: copies fit in the rest."))
    kms_key_arn: KmsKeyArn | None = Field(default=None, description=(
        "The KMS key ARN encrypting the storage of endpoints on instance types without local NVMe. "
        "Default: a customer-managed key created in the stack, rotated yearly."))
    artifact_kms_key_arn: KmsKeyArn | None = Field(default=None, description=(
        "The KMS key ARN the model artifacts are encrypted with in S3 (SSE-KMS), for the models that name none. "
        "Default: none (artifacts encrypted with S3's keys need no grant)."))
    quotas: dict[str, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(default_factory=dict, description=(
        "The account's applied SageMaker quotas (Service Quotas console), by instance type or `instances` / `endpoints`: "
        "the quota warnings compare with these instead of loadmaster's thresholds."))
    storage_gb: dict[str, Annotated[int, Field(ge=1, le=16_384)]] = Field(default_factory=dict, description=(
        "GB of the EBS volume SageMaker attaches to each instance of a type without local NVMe storage (AWS's Host Instance "
        "Storage Volumes Table), for the bill's storage part."))
    pools: list[PoolSpec] = Field(default_factory=list, description="Shared inference-component endpoints the models' copies run on.")
    models: list[HostedModel] = Field(min_length=1, description="The models to host.")


def spec_classes() -> dict[str, type[Spec]]:
    """Every spec class a portfolio holds, by name (pydantic names the branch of a union it tried by its class)."""

    found: dict[str, type[Spec]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, Spec):
            if annotation.__name__ not in found:
                found[annotation.__name__] = annotation
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for argument in typing.get_args(annotation):
            visit(argument)

    visit(Portfolio)
    return found
