"""Models with several containers, as SageMaker takes them: CreateModel's `Containers` and `InferenceExecutionConfig`,
validated, and `AWS::SageMaker::Model` in CloudFormation with `Containers` and no `PrimaryContainer`.

moto 5.2.5 stores `Containers` unchecked (16 are accepted), drops `InferenceExecutionConfig`, and its CloudFormation
model requires `PrimaryContainer` (KeyError on a pipeline). Messages whose real text we do not know say what is
wrong in SageMaker's style, with a comment saying so.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import Model as MotoModel
from moto.sagemaker.models import sagemaker_backends

from loadmaster.limits import MAX_CONTAINERS_PER_MODEL
from loadmaster.testing.cloudformation import ExtensionModel

DIRECT, SERIAL = "Direct", "Serial"


def _constraint_error(value: Any, where: str, constraint: str) -> ValidationError:
    # The wording of AWS's request validation, as moto uses it elsewhere (botocore checks minimums client side only).
    return ValidationError(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: {constraint}")


def containers_must_be_valid(primary_container: dict[str, Any] | None, containers: list[dict[str, Any]] | None,
                             inference_execution_config: dict[str, Any] | None) -> None:
    """What CreateModel checks of its containers (botocore sagemaker service-2.json, CreateModelInput; SageMaker
    developer guide, "Create a multi-container endpoint"):

    - `PrimaryContainer` or `Containers`, not both (real text unknown);
    - at most 15 `Containers` (ContainerDefinitionList max 15);
    - `InferenceExecutionConfig.Mode` is Serial or Direct;
    - direct invocation names every container by `ContainerHostname` ("required for each container");
    - in a pipeline, hostnames for all containers or none (ContainerDefinition.ContainerHostname);
    - no two containers with one hostname (each names one container; real text unknown)."""
    if primary_container and containers:
        raise ValidationError("Specify either PrimaryContainer or Containers, not both.")  # real text unknown
    containers = containers or []
    if len(containers) > MAX_CONTAINERS_PER_MODEL:
        raise _constraint_error(containers, "containers", f"Member must have length less than or equal to {MAX_CONTAINERS_PER_MODEL}")
    mode = (inference_execution_config or {}).get("Mode", SERIAL)
    if mode not in (SERIAL, DIRECT):
        raise _constraint_error(mode, "inferenceExecutionConfig.mode", f"Member must satisfy enum value set: [{SERIAL}, {DIRECT}]")
    hostnames = [container.get("ContainerHostname") for container in containers]
    named = [hostname for hostname in hostnames if hostname]
    if mode == DIRECT and len(named) < len(containers):
        # Real text unknown.
        raise ValidationError("ContainerHostname is required for every container of a model with InferenceExecutionConfig Mode Direct.")
    if 0 < len(named) < len(containers):
        # Real text unknown; the rule is the API reference's (ContainerDefinition.ContainerHostname).
        raise ValidationError("If ContainerHostname is specified for any container of an inference pipeline, it must be specified for every container.")
    repeated = sorted(hostname for hostname, count in Counter(named).items() if count > 1)
    if repeated:
        raise ValidationError(f"ContainerHostname must be unique within a model: {', '.join(repeated)} is repeated.")  # real text unknown


def invocation_mode(model: Any) -> str | None:
    """`Direct` or `Serial` for a model of several containers, None for one with a PrimaryContainer."""
    if not getattr(model, "containers", None):
        return None
    return (getattr(model, "inference_execution_config", None) or {}).get("Mode", SERIAL)


def hostnames(model: Any) -> list[str]:
    return [container["ContainerHostname"] for container in model.containers if container.get("ContainerHostname")]


class Model(MotoModel, ExtensionModel):
    """A model that keeps its `InferenceExecutionConfig` and `EnableNetworkIsolation` (DescribeModel shows both) and
    whose CloudFormation resource may have `Containers` instead of `PrimaryContainer`."""

    resource_type = "AWS::SageMaker::Model"

    def __init__(self, *, inference_execution_config: dict[str, Any] | None, enable_network_isolation: bool, **kwargs: Any):
        super().__init__(**kwargs)
        if inference_execution_config:
            self.inference_execution_config = inference_execution_config
        self.enable_network_isolation = enable_network_isolation

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "Model":
        properties = cloudformation_json["Properties"]
        return sagemaker_backends[account_id][region_name].create_model(
            model_name=properties.get("ModelName", resource_name),
            execution_role_arn=properties["ExecutionRoleArn"],
            primary_container=properties.get("PrimaryContainer"),
            vpc_config=properties.get("VpcConfig", {}),
            containers=properties.get("Containers", []),
            tags=properties.get("Tags", []),
            inference_execution_config=properties.get("InferenceExecutionConfig"),
            enable_network_isolation=properties.get("EnableNetworkIsolation", False),
        )
