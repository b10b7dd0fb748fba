"""One model on a shared endpoint: its container, the compute each copy reserves, and its copy count."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_base import INVOKE_ACTIONS, endpoint_arn
from constructs.inference_component_endpoint import InferenceComponentEndpoint
from constructs.invocation_metrics import InvocationMetrics
from constructs.rollback_alarms import DeploymentGuardrails, RollbackAlarms
from loadmaster.limits import MIN_CPU_CORES_PER_COPY, MIN_MEMORY_PER_COPY_MB, STARTUP_TIMEOUT_RANGE_S
from loadmaster.naming import is_sagemaker_name
from loadmaster.plan import ContainerDefinition



class InferenceComponentBase(InvocationMetrics, Construct):
    """What an inference component offers, created here or imported: invoke grants and CloudWatch metrics."""

    component_name: str
    endpoint_name: str

    @property
    def metric_dimensions(self) -> dict[str, str]:
        return {"InferenceComponentName": self.component_name}

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        # A component is invoked through its endpoint (InvokeEndpoint with InferenceComponentName): IAM scopes by endpoint.
        return iam.Grant.add_to_principal(grantee=grantee, actions=INVOKE_ACTIONS, resource_arns=[endpoint_arn(self, self.endpoint_name)])

    def metric_concurrent_requests_per_copy(self) -> cloudwatch.Metric:
        """Requests in flight per copy, queued ones included: the high-resolution scaling metric (10 s)."""
        return self.metric("ConcurrentRequestsPerCopy", statistic="Maximum", period=cdk.Duration.seconds(10))

    def metric_no_capacity_invocation_failures(self) -> cloudwatch.Metric:
        """Invocations refused because the component had no copy: what wakes a component scaled to zero."""
        return self.metric("NoCapacityInvocationFailures", statistic="Sum")


class InferenceComponent(InferenceComponentBase):
    """An inference component: a model's container and per-copy compute, placed by SageMaker on an endpoint.

    :param endpoint: the `InferenceComponentEndpoint` it is placed on; its execution role is granted the image and
        artifact.
    :param component_name: the component's name (explicit, because scaling targets name it in their resource id
        and CloudFormation has no attribute that returns it).
    :param container: the image in Amazon ECR, the artifact in S3 (a ``model.tar.gz`` or a prefix) and the KMS key
        it is encrypted with (the endpoint's execution role may decrypt with it; none: S3's own keys need no grant),
        and the environment.
    :param accelerators: accelerator devices per copy. Default: 0 (a CPU model).
    :param memory_mb: host memory reserved per copy, at least 128 MB.
    :param cpu_cores: CPU cores reserved per copy, at least 0.25. Default: SageMaker's choice.
    :param copy_count: copies at creation, at least 1 (SageMaker rejects 0 at creation; autoscaling takes a
        scale-to-zero component down afterwards). Default: 1.
    :param model_download_timeout_s: Default: SageMaker's. :param health_check_timeout_s: Default: SageMaker's.
    :param guardrails: updates roll through the copies in batches and roll back on the alarms this construct
        creates (5XX errors, p90 latency). Default: `DeploymentGuardrails()`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: InferenceComponentEndpoint,
        component_name: str,
        container: ContainerDefinition,
        memory_mb: int,
        accelerators: int = 0,
        cpu_cores: float | None = None,
        copy_count: int = 1,
        model_download_timeout_s: int | None = None,
        health_check_timeout_s: int | None = None,
        guardrails: DeploymentGuardrails = DeploymentGuardrails(),
    ) -> None:
        super().__init__(scope, id)
        _raise_if_invalid(component_name, memory_mb, accelerators, cpu_cores, copy_count, guardrails.problems(), model_download_timeout_s, health_check_timeout_s)
        self.component_name = component_name
        self.endpoint = endpoint
        endpoint.execution_role.grant_container(container.image, container.artifact, artifact_kms_key_arn=container.artifact_kms_key_arn)

        self.resource = sagemaker.CfnInferenceComponent(
            self,
            "Resource",
            inference_component_name=component_name,
            # The endpoint's explicit name, not a GetAtt: a component in another stack than its endpoint (a pool larger
            # than one stack) then needs no cross-stack reference, only the dependency below.
            endpoint_name=endpoint.endpoint_name,
            variant_name=endpoint.variant_name,
            specification=sagemaker.CfnInferenceComponent.InferenceComponentSpecificationProperty(
                container=sagemaker.CfnInferenceComponent.InferenceComponentContainerSpecificationProperty(
                    image=container.image, artifact_url=container.artifact, environment=container.environment or None
                ),
                compute_resource_requirements=sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
                    number_of_accelerator_devices_required=accelerators or None,
                    number_of_cpu_cores_required=cpu_cores,
                    min_memory_required_in_mb=memory_mb,
                ),
                startup_parameters=_startup_parameters(model_download_timeout_s, health_check_timeout_s),
            ),
            runtime_config=sagemaker.CfnInferenceComponent.InferenceComponentRuntimeConfigProperty(copy_count=copy_count),
        )
        self.rollback_alarms = RollbackAlarms(self, "RollbackAlarms", errors=self.metric_invocation_5xx_errors(), latency=self.metric_model_latency(), guardrails=guardrails)
        batch = sagemaker.CfnInferenceComponent.InferenceComponentCapacitySizeProperty(type="CAPACITY_PERCENT", value=guardrails.batch_percent)
        self.resource.deployment_config = sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty(
            rolling_update_policy=sagemaker.CfnInferenceComponent.InferenceComponentRollingUpdatePolicyProperty(
                maximum_batch_size=batch, rollback_maximum_batch_size=batch, wait_interval_in_seconds=guardrails.wait_s
            ),
            auto_rollback_configuration=sagemaker.CfnInferenceComponent.AutoRollbackConfigurationProperty(
                alarms=[sagemaker.CfnInferenceComponent.AlarmProperty(alarm_name=name) for name in self.rollback_alarms.alarm_names]
            ),
        )
        # The container pulls its image with the role's policy as soon as the component is created.
        self.resource.node.add_dependency(endpoint.endpoint, endpoint.execution_role.grants)

    @classmethod
    def from_inference_component_name(cls, scope: Construct, id: str, component_name: str, endpoint_name: str) -> "ImportedInferenceComponent":
        return ImportedInferenceComponent(scope, id, component_name=component_name, endpoint_name=endpoint_name)

    @property
    def endpoint_name(self) -> str:
        return self.endpoint.endpoint_name


class ImportedInferenceComponent(InferenceComponentBase):
    def __init__(self, scope: Construct, id: str, *, component_name: str, endpoint_name: str) -> None:
        super().__init__(scope, id)
        self.component_name = component_name
        self.endpoint_name = endpoint_name


def _startup_parameters(download_s: int | None, health_check_s: int | None):
    if download_s is None and health_check_s is None:
        return None
    return sagemaker.CfnInferenceComponent.InferenceComponentStartupParametersProperty(
        model_data_download_timeout_in_seconds=download_s, container_startup_health_check_timeout_in_seconds=health_check_s
    )


def _raise_if_invalid(name: str, memory_mb: int, accelerators: int, cpu_cores: float | None, copy_count: int, problems: list[str], *timeouts: int | None) -> None:
    if not is_sagemaker_name(name):
        problems.append(f"component_name {name!r} is not a valid SageMaker name")
    if memory_mb < MIN_MEMORY_PER_COPY_MB:
        problems.append(f"memory_mb must be at least {MIN_MEMORY_PER_COPY_MB}, got {memory_mb}")
    if accelerators < 0:
        problems.append(f"accelerators must be at least 0, got {accelerators}")
    if cpu_cores is not None and cpu_cores < MIN_CPU_CORES_PER_COPY:
        problems.append(f"cpu_cores must be at least {MIN_CPU_CORES_PER_COPY:g}, got {cpu_cores:g}")
    if copy_count < 1:
        problems.append(f"copy_count must be at least 1 at creation, got {copy_count}")
    low, high = STARTUP_TIMEOUT_RANGE_S
    problems += [f"startup timeouts must be {low} to {high} seconds, got {timeout}" for timeout in timeouts if timeout is not None and not low <= timeout <= high]
    if problems:
        raise ValueError("InferenceComponent: " + "; ".join(problems))
