"""A SageMaker model of several containers: a serial inference pipeline, or containers invoked one by one."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_isolation import EndpointIsolation
from constructs.model_execution_role import ModelExecutionRole
from loadmaster.limits import MAX_CONTAINERS_PER_MODEL, MIN_PIPELINE_CONTAINERS
from loadmaster.naming import is_sagemaker_name
from loadmaster.plan import ContainerDefinition


class InferenceExecution(Enum):
    """How SageMaker runs a model's containers (CreateModel InferenceExecutionConfig.Mode)."""

    SERIAL = "Serial"  # a pipeline: each container's response is the next one's request
    DIRECT = "Direct"  # each request names the one container that serves it (TargetContainerHostname)


def multi_container_problems(containers: Mapping[str, ContainerDefinition], mode: InferenceExecution) -> list[str]:
    """What CreateModel refuses of `containers` (by hostname) in `mode`: fewer than 2 or more than 15 (a pipeline runs
    2 to 15, "Inference pipelines in Amazon SageMaker AI"; a multi-container endpoint has "more than one container",
    up to 15, "Create a multi-container endpoint"), a hostname that is not one (botocore sagemaker service-2.json,
    ContainerHostname)."""
    problems = []
    if not MIN_PIPELINE_CONTAINERS <= len(containers) <= MAX_CONTAINERS_PER_MODEL:
        problems.append(f"{mode.value} mode runs {MIN_PIPELINE_CONTAINERS} to {MAX_CONTAINERS_PER_MODEL} containers in one model, got {len(containers)}")
    problems += [f"container hostname {hostname!r} is not a valid hostname" for hostname in containers if not is_sagemaker_name(hostname)]
    return problems


class MultiContainerModel(Construct):
    """A `AWS::SageMaker::Model` with `Containers` (each named by its `ContainerHostname`) and
    `InferenceExecutionConfig.Mode`, and the execution role that pulls every image and reads every artifact.

    :param containers: each container by its hostname, in order (a pipeline's order: the first gets the request).
    :param mode: `InferenceExecution.SERIAL` (a pipeline) or `InferenceExecution.DIRECT`.
    :param isolation: the VPC and network isolation of the containers. Default: neither.
    :param execution_role: Default: a new `ModelExecutionRole`.

    Serves an endpoint (`constructs.multi_container_endpoint`) or a batch transform (a pipeline model only: batch
    transform does not take direct invocation).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        containers: Mapping[str, ContainerDefinition],
        mode: InferenceExecution,
        isolation: EndpointIsolation = EndpointIsolation(),
        execution_role: ModelExecutionRole | None = None,
    ) -> None:
        super().__init__(scope, id)
        problems = multi_container_problems(containers, mode) + isolation.problems()
        if problems:
            raise ValueError("MultiContainerModel: " + "; ".join(problems))
        self.mode = mode
        self.hostnames = tuple(containers)
        self.execution_role = execution_role or ModelExecutionRole(self, "ExecutionRole")
        for container in containers.values():
            self.execution_role.grant_container(container.image, container.artifact, artifact_kms_key_arn=container.artifact_kms_key_arn)
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.execution_role.role_arn,
            containers=[
                sagemaker.CfnModel.ContainerDefinitionProperty(
                    container_hostname=hostname, image=container.image, model_data_url=container.artifact, environment=container.environment or None
                )
                for hostname, container in containers.items()
            ],
            inference_execution_config=sagemaker.CfnModel.InferenceExecutionConfigProperty(mode=mode.value),
            vpc_config=isolation.vpc_config(sagemaker.CfnModel.VpcConfigProperty),
            enable_network_isolation=isolation.network_isolation,
        )
        self.model.node.add_dependency(self.execution_role.grants)

    @property
    def model_name(self) -> str:
        return self.model.attr_model_name
