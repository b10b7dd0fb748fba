"""What every SageMaker endpoint offers, created here or imported: invoke grants and CloudWatch metrics."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.invocation_metrics import InvocationMetrics
from loadmaster.naming import DEFAULT_VARIANT_NAME, is_sagemaker_name  # noqa: F401  (DEFAULT_VARIANT_NAME: the constructs import it from here)

INVOKE_ACTIONS = ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]


def endpoint_problems(endpoint_name: str, initial_instance_count: int) -> list[str]:
    """What every endpoint construct checks of its name and its count at creation."""
    problems = []
    if not is_sagemaker_name(endpoint_name):
        problems.append(f"endpoint_name {endpoint_name!r} is not a valid SageMaker name")
    if initial_instance_count < 1:
        problems.append(f"initial_instance_count must be at least 1, got {initial_instance_count}")
    return problems


def endpoint_arn(scope: Construct, endpoint_name: str) -> str:
    return cdk.Stack.of(scope).format_arn(service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower())


class EndpointBase(InvocationMetrics, Construct):
    """An endpoint and its one production variant, by name. Subclasses create it; `from_endpoint_name` imports one."""

    endpoint_name: str
    variant_name: str
    endpoint_config: sagemaker.CfnEndpointConfig  # set by the subclasses that create an endpoint

    @property
    def endpoint_arn(self) -> str:
        return endpoint_arn(self, self.endpoint_name)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` invoke the endpoint (and, on a shared endpoint, any of its inference components)."""
        return iam.Grant.add_to_principal(grantee=grantee, actions=INVOKE_ACTIONS, resource_arns=[self.endpoint_arn])

    def _create_endpoint(self, deployment_config: sagemaker.CfnEndpoint.DeploymentConfigProperty | None = None) -> sagemaker.CfnEndpoint:
        """The endpoint on `self.endpoint_config`. A new config keeps the instance count autoscaling or managed scaling
        reached (``RetainAllVariantProperties``): without it, each one resets it to its initial count
        (sagemaker-python-sdk issue 3126)."""
        return sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            retain_all_variant_properties=True,
            deployment_config=deployment_config,
        )

    @property
    def metric_dimensions(self) -> dict[str, str]:
        return {"EndpointName": self.endpoint_name, "VariantName": self.variant_name}


class ImportedEndpoint(EndpointBase):
    def __init__(self, scope: Construct, id: str, *, endpoint_name: str, variant_name: str) -> None:
        super().__init__(scope, id)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
