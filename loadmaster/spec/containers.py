"""The portfolio's list of containers, for a model that runs in several: a serial inference pipeline (pre-processing,
model, post-processing, each its own image), on an endpoint or in a batch transform.

    containers:
      - {name: features, image: ACCOUNT.dkr.ecr.REGION.amazonaws.com/sklearn:1.2-1-cpu-py3, artifact: s3://.../features.tar.gz}
      - {name: model, image: ..., artifact: ..., environment: {SAGEMAKER_PROGRAM: inference.py}}

A container's `name` is its ContainerHostname: what its logs and CloudWatch metrics (dimension ContainerName) are
named by. The order is the pipeline's: each container's response is the next one's request.
"""

from __future__ import annotations

import re
from typing import Annotated, Sequence

from pydantic import Field

from loadmaster import limits
from loadmaster.errors import Problem
from loadmaster.naming import KMS_KEY_ARN
from loadmaster.plan import ContainerDefinition
from loadmaster.spec.base import ECR_IMAGE, KmsKeyArn, Name, Spec


class ContainerSpec(Spec):
    """One container of a model that runs in several."""

    name: Name = Field(description="The container's hostname (ContainerHostname), unique in the model: its logs and metrics are named by it.")
    image: str = Field(description="The container's image: an Amazon ECR image URI in the portfolio's region.")
    artifact: str | None = Field(default=None, description="Its artifact, s3://bucket/key (a model.tar.gz). Default: none (the image holds what it serves).")
    environment: dict[str, str] = Field(default_factory=dict, description="Environment variables of the container.")
    artifact_kms_key_arn: KmsKeyArn | None = Field(default=None, description=(
        "The KMS key ARN its artifact is encrypted with (SSE-KMS). Default: the portfolio's artifact_kms_key_arn."))


# The key a pipeline model writes: 2 to 15 containers, run in order.
PipelineContainers = Annotated[
    list[ContainerSpec],
    Field(min_length=limits.MIN_PIPELINE_CONTAINERS, max_length=limits.MAX_CONTAINERS_PER_MODEL, description=(
        f"The pipeline's containers in the order a request goes through them, {limits.MIN_PIPELINE_CONTAINERS} to "
        f"{limits.MAX_CONTAINERS_PER_MODEL} (SageMaker's limit per model).")),
]


def containers_problems(where: str, containers: Sequence[ContainerSpec], region: str | None) -> list[Problem]:
    """What SageMaker would refuse of a model's containers, every one at once: a hostname used twice (each names one
    container), an image that is not in Amazon ECR or not in the portfolio's region (SageMaker pulls images from ECR in
    the model's region only: API reference, ContainerDefinition), a key for an artifact there is not, or in another
    region."""
    problems: list[Problem] = []
    first_with: dict[str, int] = {}
    for index, container in enumerate(containers):
        at = f"{where}.containers[{index}] ({container.name})"
        if container.name in first_with:
            problems.append(Problem(f"{at}.name", f"duplicate hostname, already used by containers[{first_with[container.name]}]"))
        first_with.setdefault(container.name, index)
        image = ECR_IMAGE.match(container.image)
        if image is None:
            problems.append(Problem(f"{at}.image", f"{container.image!r} is not an Amazon ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG])"))
        elif region is not None and image["region"] != region:
            problems.append(Problem(f"{at}.image", f"the image is in {image['region']}, not in the portfolio's region {region}: "
                                    "SageMaker pulls images from Amazon ECR in the model's region only"))
        if container.artifact_kms_key_arn is not None:
            key = re.match(KMS_KEY_ARN, container.artifact_kms_key_arn)
            if container.artifact is None:
                problems.append(Problem(f"{at}.artifact_kms_key_arn", "names the key of the container's artifact, but the container has no artifact"))
            elif key and region and key["region"] != region:
                problems.append(Problem(f"{at}.artifact_kms_key_arn", f"the key is in {key['region']}, but the portfolio deploys to {region}, "
                                        f"where S3 can only use keys of {region}"))
    return problems


def container_definitions(containers: Sequence[ContainerSpec], portfolio_artifact_key: str | None) -> dict[str, ContainerDefinition]:
    """Each container by its hostname, in the model's order, as the constructs take them."""
    return {
        container.name: ContainerDefinition(
            image=container.image,
            artifact=container.artifact,
            environment=dict(container.environment),
            artifact_kms_key_arn=(container.artifact_kms_key_arn or portfolio_artifact_key) if container.artifact else None,
        )
        for container in containers
    }

