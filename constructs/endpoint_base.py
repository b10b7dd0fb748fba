"""What every SageMaker endpoint offers, created here or imported: invoke grants and CloudWatch metrics."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct
from constructs.invocation_metrics import InvocationMetrics

DEFAULT_VARIANT_NAME = "AllTraffic"
INVOKE_ACTIONS = ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]


def endpoint_arn(scope: Construct, endpoint_name: str) -> str:
    return cdk.Stack.of(scope).format_arn(service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower())


class EndpointBase(InvocationMetrics, Construct):
    """An endpoint and its one production variant, by name. Subclasses create it; `from_endpoint_name` imports one."""

    endpoint_name: str
    variant_name: str

    @property
    def endpoint_arn(self) -> str:
        return endpoint_arn(self, self.endpoint_name)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` invoke the endpoint (and, on a shared endpoint, any of its inference components)."""
        return iam.Grant.add_to_principal(grantee=grantee, actions=INVOKE_ACTIONS, resource_arns=[self.endpoint_arn])

    @property
    def metric_dimensions(self) -> dict[str, str]:
        return {"EndpointName": self.endpoint_name, "VariantName": self.variant_name}


class ImportedEndpoint(EndpointBase):
    def __init__(self, scope: Construct, id: str, *, endpoint_name: str, variant_name: str) -> None:
        super().__init__(scope, id)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
