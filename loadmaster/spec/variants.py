"""A dedicated endpoint's variants, its `variants` and `shadow` keys: production variants that share the traffic by
weight (A/B tests), and a shadow variant that receives a copy of it and whose responses nobody sees.

Each variant runs the model's image, artifact, environment, instance type and instance range unless it names its
own. Limits (SageMaker API reference, CreateEndpointConfig): up to 10 production variants; with a shadow variant,
exactly one production variant and one shadow variant; a variant's name follows the VariantName pattern.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from loadmaster import limits
from loadmaster.naming import DEFAULT_VARIANT_NAME
from loadmaster.spec.base import ECR_IMAGE, S3_URI, CountRange
from loadmaster.spec.strict import Spec

MAX_PRODUCTION_VARIANTS = 10
MAX_PRODUCTION_VARIANTS_WITH_SHADOW = 1
VARIANT_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"  # botocore sagemaker service-2.json, VariantName

VariantName = Annotated[str, StringConstraints(pattern=VARIANT_NAME_PATTERN)]


class VariantSpec(Spec):
    """What a variant changes of the model; what it leaves out it takes from the model."""

    name: VariantName = Field(description="The variant's name (letters, digits and hyphens, at most 63), unique on the endpoint.")
    image: str | None = Field(default=None, description="Its serving container, an Amazon ECR image URI. Default: the model's image.")
    artifact: str | None = Field(default=None, description="Its model artifact, s3://bucket/key. Default: the model's artifact.")
    environment: dict[str, str] | None = Field(default=None, description="Its container's environment. Default: the model's.")
    instance_type: str | None = Field(default=None, description="Its instance type. Default: the model's.")

    @field_validator("image")
    @classmethod
    def _image(cls, image: str | None) -> str | None:
        if image is not None and not ECR_IMAGE.match(image):
            raise ValueError(f"{image!r} is not an Amazon ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG])")
        return image

    @field_validator("artifact")
    @classmethod
    def _artifact(cls, artifact: str | None) -> str | None:
        if artifact is not None and not S3_URI.match(artifact):
            raise ValueError(f"{artifact!r} is not an s3://bucket/key URI")
        return artifact


class ProductionVariantSpec(VariantSpec):
    """A production variant: it serves `weight` / (the sum of the weights) of the requests, and scales on its own."""

    instances: CountRange | None = Field(default=None, description="Its instances at least (1 or more) and at most. Default: the model's.")
    weight: float = Field(gt=0, le=1_000_000, description="Its share of the requests relative to the other variants' weights, above 0.")


class ShadowVariantSpec(VariantSpec):
    """A shadow variant: a copy of `sampling_percent` of the production variant's requests, its responses discarded. It
    keeps `instance_count` instances: loadmaster does not autoscale it (we found no AWS source saying Application Auto
    Scaling takes a shadow variant)."""

    instance_count: int = Field(default=1, ge=1, le=limits.MAX_COUNT, description="Its instances, not autoscaled. Default: 1.")
    sampling_percent: int = Field(default=100, ge=1, le=100, description="Percent of the production requests copied to it, 1 to 100. Default: 100.")


def variants_problems(variants: list[ProductionVariantSpec] | None, shadow: ShadowVariantSpec | None) -> list[tuple[str, str]]:
    """(field, problem) pairs for the limits that hold across the variants."""
    problems = []
    written = variants or []
    if len(written) > MAX_PRODUCTION_VARIANTS:
        problems.append(("variants", f"at most {MAX_PRODUCTION_VARIANTS} production variants on an endpoint, got {len(written)}"))
    if shadow is not None and len(written) > MAX_PRODUCTION_VARIANTS_WITH_SHADOW:
        problems.append(("shadow", f"an endpoint with a shadow variant has exactly one production variant, got {len(written)} variants"))
    seen: dict[str, int] = {}
    for index, variant in enumerate(written):
        if variant.name in seen:
            problems.append((f"variants[{index}] ({variant.name}).name", f"duplicate name, already used by variants[{seen[variant.name]}]"))
        seen.setdefault(variant.name, index)
    if shadow is not None and shadow.name in seen:
        problems.append(("shadow.name", f"{shadow.name!r} is also the name of variants[{seen[shadow.name]}]; a variant's name is unique on the endpoint"))
    if shadow is not None and not written and shadow.name == DEFAULT_VARIANT_NAME:
        problems.append(("shadow.name", f"{DEFAULT_VARIANT_NAME} is the name of the model's own variant; name the shadow otherwise"))
    for index, variant in enumerate(written):
        if variant.instances is not None and variant.instances.min < 1:
            problems.append((f"variants[{index}] ({variant.name}).instances.min", "a variant keeps at least 1 instance"))
    return problems
