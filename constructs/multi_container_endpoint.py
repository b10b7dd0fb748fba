"""Several containers on one endpoint: invoked one by one (a multi-container endpoint with direct invocation), or in
order as a serial inference pipeline."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_base import DEFAULT_VARIANT_NAME, INVOKE_ACTIONS, EndpointBase, ImportedEndpoint, endpoint_problems
from constructs.endpoint_isolation import EndpointIsolation
from constructs.invocation_metrics import sagemaker_metric
from constructs.multi_container_model import InferenceExecution, MultiContainerModel, multi_container_problems
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.catalog import load_catalog
from loadmaster.catalog.multi_container import direct_invocation_refusal
from loadmaster.plan import ContainerDefinition

# The IAM condition key that limits InvokeEndpoint to some containers of a direct-invocation endpoint (SageMaker
# developer guide, "Security with multi-container endpoints with direct invocation").
TARGET_CONTAINER_CONDITION = "sagemaker:TargetContainerHostname"


def cpu_only_problems(instance_type: str) -> list[str]:
    catalog = load_catalog()
    if instance_type not in catalog:
        return [f"instance_type {instance_type!r} is not a SageMaker hosting instance type"]
    refusal = direct_invocation_refusal(catalog[instance_type])
    return [f"instance_type {refusal}"] if refusal else []


class _ContainersEndpoint(EndpointBase):
    """A `MultiContainerModel` in `mode` on an endpoint of its own, with one instance-backed variant."""

    mode: InferenceExecution

    def _instance_type_problems(self, instance_type: str) -> list[str]:
        """What `mode` refuses of the instance type (direct invocation: a GPU); serial pipelines take any."""
        return []

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        containers: Mapping[str, ContainerDefinition],
        instance_type: str,
        initial_instance_count: int = 1,
        isolation: EndpointIsolation = EndpointIsolation(),
        guardrails: DeploymentGuardrails = DeploymentGuardrails(),
    ) -> None:
        super().__init__(scope, id)
        found = [*self._instance_type_problems(instance_type), *multi_container_problems(containers, self.mode), *isolation.problems(), *guardrails.problems(),
                 *endpoint_problems(endpoint_name, initial_instance_count)]
        if found:
            raise ValueError(f"{type(self).__name__}: " + "; ".join(found))
        self.endpoint_name = endpoint_name
        self.variant_name = DEFAULT_VARIANT_NAME
        self.instance_type = instance_type
        self.container_model = MultiContainerModel(self, "Containers", containers=containers, mode=self.mode, isolation=isolation)
        self.execution_role = self.container_model.execution_role
        self.model = self.container_model.model
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            kms_key_id=isolation.kms_key_id,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=self.variant_name,
                    model_name=self.container_model.model_name,
                    instance_type=instance_type,
                    initial_instance_count=initial_instance_count,
                    initial_variant_weight=1.0,
                    enable_ssm_access=isolation.ssm_access,
                )
            ],
        )
        self.endpoint = self._create_guarded_endpoint(guardrails)

    @property
    def hostnames(self) -> tuple[str, ...]:
        return self.container_model.hostnames

    @classmethod
    def from_endpoint_name(cls, scope: Construct, id: str, endpoint_name: str, variant_name: str = DEFAULT_VARIANT_NAME) -> EndpointBase:
        return ImportedEndpoint(scope, id, endpoint_name=endpoint_name, variant_name=variant_name)

    def metric_container_latency(self, hostname: str) -> cloudwatch.Metric:
        """Microseconds the container `hostname` took to respond, as SageMaker saw it, p90 by default."""
        return self.metric_container(hostname, "ContainerLatency", statistic="p90")

    def metric_container(self, hostname: str, metric_name: str, *, statistic: str = "Average") -> cloudwatch.Metric:
        """A metric of one container (dimensions EndpointName, VariantName, ContainerName)."""
        if hostname not in self.hostnames:
            raise ValueError(f"{type(self).__name__} {self.endpoint_name}: no container {hostname!r}; its containers are {', '.join(self.hostnames)}")
        return sagemaker_metric({**self.metric_dimensions, "ContainerName": hostname}, metric_name, statistic, None)


class MultiContainerEndpoint(_ContainersEndpoint):
    """Up to 15 containers of different models on one endpoint, each request served by the container it names
    (`InferenceExecutionConfig.Mode: Direct`, `TargetContainerHostname` on InvokeEndpoint). The containers share the
    instances' memory, CPU and storage; autoscaling on invocations per instance sees them all together.

    :param endpoint_name: the endpoint's name (the model and config are named by CloudFormation, so that a change that
        replaces them does not collide with the old ones).
    :param containers: 2 to 15 containers by hostname, the name a caller invokes each by.
    :param instance_type: a CPU instance type, e.g. ``ml.c5.large``: multi-container endpoints take no GPU.
    :param initial_instance_count: instances at creation, at least 1. Default: 1.
    :param isolation: KMS key, VPC (on the model), network isolation and SSM access. Default: none of them.
    :param guardrails: rolling (or blue/green) updates that roll back on the alarms this construct creates.
        Default: `DeploymentGuardrails()`.
    """

    mode = InferenceExecution.DIRECT

    def _instance_type_problems(self, instance_type: str) -> list[str]:
        return cpu_only_problems(instance_type)

    def grant_invoke(self, grantee: iam.IGrantable, *hostnames: str) -> iam.Grant:
        """Let `grantee` invoke the endpoint: any of its containers, or only `hostnames` (IAM condition
        `sagemaker:TargetContainerHostname`)."""
        if not hostnames:
            return super().grant_invoke(grantee)
        unknown = [hostname for hostname in hostnames if hostname not in self.hostnames]
        if unknown:
            raise ValueError(f"MultiContainerEndpoint {self.endpoint_name}: no container {', '.join(map(repr, unknown))}; its containers are {', '.join(self.hostnames)}")
        return iam.Grant.add_to_principal(grantee=grantee, actions=INVOKE_ACTIONS, resource_arns=[self.endpoint_arn],
                                          conditions={"StringEquals": {TARGET_CONTAINER_CONDITION: list(hostnames)}})

    def metric_container_invocations(self, hostname: str) -> cloudwatch.Metric:
        """Requests sent to the container `hostname`."""
        return self.metric_container(hostname, "Invocations", statistic="Sum")

    def metric_container_invocation_5xx_errors(self, hostname: str) -> cloudwatch.Metric:
        return self.metric_container(hostname, "Invocation5XXErrors", statistic="Sum")

    def metric_container_invocation_4xx_errors(self, hostname: str) -> cloudwatch.Metric:
        return self.metric_container(hostname, "Invocation4XXErrors", statistic="Sum")


class PipelineEndpoint(_ContainersEndpoint):
    """A serial inference pipeline on its own endpoint: 2 to 15 containers (pre-processing, model, post-processing),
    each container's response the next one's request (`InferenceExecutionConfig.Mode: Serial`). The containers run
    on the same instances.

    :param endpoint_name: the endpoint's name.
    :param containers: 2 to 15 containers by hostname, in the pipeline's order.
    :param instance_type: the ML instance type, e.g. ``ml.c5.xlarge``.
    :param initial_instance_count: instances at creation, at least 1. Default: 1.
    :param isolation: KMS key, VPC (on the model), network isolation and SSM access. Default: none of them.
    :param guardrails: Default: `DeploymentGuardrails()`.

    The endpoint's ModelLatency is the whole pipeline's; `metric_container_latency` is each container's.
    """

    mode = InferenceExecution.SERIAL
