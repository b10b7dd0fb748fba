"""One model alone on its own endpoint, scaled by instance count."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_base import DEFAULT_VARIANT_NAME, EndpointBase, ImportedEndpoint, endpoint_problems
from constructs.endpoint_isolation import EndpointIsolation
from constructs.model_execution_role import ModelExecutionRole
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.plan import ContainerDefinition


class DedicatedEndpoint(EndpointBase):
    """A single-model endpoint: a SageMaker model, an endpoint config with one variant, and the endpoint.

    :param endpoint_name: the endpoint's name (the model and config are named by CloudFormation, so that a change
        that replaces them does not collide with the old ones).
    :param container: the image in Amazon ECR, the artifact in S3 (and the KMS key it is encrypted with, which the
        execution role may decrypt with) and the environment.
    :param instance_type: the ML instance type, e.g. ``ml.g5.2xlarge``.
    :param initial_instance_count: instances at creation, at least 1. Default: 1.
    :param isolation: KMS key, VPC (on the model), network isolation and SSM access. Default: none of them.
    :param guardrails: rolling (or blue/green) updates that roll back on the alarms this construct creates.
        Default: `DeploymentGuardrails()`.

    Updates keep the instance count autoscaling reached (``RetainAllVariantProperties``: without it, every new
    endpoint config resets it to ``initial_instance_count``; sagemaker-python-sdk issue 3126).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        container: ContainerDefinition,
        instance_type: str,
        initial_instance_count: int = 1,
        isolation: EndpointIsolation = EndpointIsolation(),
        guardrails: DeploymentGuardrails = DeploymentGuardrails(),
    ) -> None:
        super().__init__(scope, id)
        problems = isolation.problems() + guardrails.problems() + endpoint_problems(endpoint_name, initial_instance_count)
        if problems:
            raise ValueError("DedicatedEndpoint: " + "; ".join(problems))
        self.endpoint_name = endpoint_name
        self.variant_name = DEFAULT_VARIANT_NAME
        self.instance_type = instance_type
        self.execution_role = ModelExecutionRole(self, "ExecutionRole")
        self.model = self._create_model("Model", container, isolation)
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            kms_key_id=isolation.kms_key_id,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=self.variant_name,
                    model_name=self.model.attr_model_name,
                    instance_type=instance_type,
                    initial_instance_count=initial_instance_count,
                    initial_variant_weight=1.0,
                    enable_ssm_access=isolation.ssm_access,
                )
            ],
        )
        self.endpoint = self._create_guarded_endpoint(guardrails)

    @classmethod
    def from_endpoint_name(cls, scope: Construct, id: str, endpoint_name: str, variant_name: str = DEFAULT_VARIANT_NAME) -> EndpointBase:
        return ImportedEndpoint(scope, id, endpoint_name=endpoint_name, variant_name=variant_name)

    def metric_concurrent_requests_per_model(self) -> cloudwatch.Metric:
        """Requests in flight per model instance, queued ones included: the high-resolution scaling metric (10 s)."""
        return self.metric("ConcurrentRequestsPerModel", statistic="Maximum", period=cdk.Duration.seconds(10))

