"""What every SageMaker endpoint offers, created here or imported: invoke grants and CloudWatch metrics."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_isolation import EndpointIsolation
from constructs.invocation_metrics import InvocationMetrics
from constructs.model_execution_role import ModelExecutionRole
from constructs.rollback_alarms import DeploymentGuardrails, RollbackAlarms
from loadmaster.naming import DEFAULT_VARIANT_NAME, is_sagemaker_name  # noqa: F401  (DEFAULT_VARIANT_NAME: the constructs import it from here)
from loadmaster.plan import ContainerDefinition

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
    # Set by the subclasses that create an endpoint.
    endpoint_config: sagemaker.CfnEndpointConfig
    execution_role: ModelExecutionRole
    rollback_alarms: RollbackAlarms

    @property
    def endpoint_arn(self) -> str:
        return endpoint_arn(self, self.endpoint_name)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` invoke the endpoint (and, on a shared endpoint, any of its inference components)."""
        return iam.Grant.add_to_principal(grantee=grantee, actions=INVOKE_ACTIONS, resource_arns=[self.endpoint_arn])

    def _create_model(self, id: str, container: ContainerDefinition, isolation: EndpointIsolation | None = None) -> sagemaker.CfnModel:
        """A SageMaker model of `container`, created once `self.execution_role` may pull its image and read its
        artifact; in `isolation`'s VPC and network isolation (None: neither, as on a serverless endpoint)."""
        self.execution_role.grant_container(container.image, container.artifact, artifact_kms_key_arn=container.artifact_kms_key_arn)
        model = sagemaker.CfnModel(
            self,
            id,
            execution_role_arn=self.execution_role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=container.image, model_data_url=container.artifact, environment=container.environment or None
            ),
            vpc_config=isolation.vpc_config(sagemaker.CfnModel.VpcConfigProperty) if isolation else None,
            enable_network_isolation=isolation.network_isolation if isolation else None,
        )
        model.node.add_dependency(self.execution_role.grants)
        return model

    def _create_guarded_endpoint(self, guardrails: DeploymentGuardrails) -> sagemaker.CfnEndpoint:
        """The endpoint, updated as `guardrails` say and rolled back on the alarms `self.rollback_alarms` holds."""
        self.rollback_alarms = RollbackAlarms(self, "RollbackAlarms", errors=self.metric_invocation_5xx_errors(), latency=self.metric_model_latency(), guardrails=guardrails)
        return self._create_endpoint(deployment_config=deployment_config(guardrails, self.rollback_alarms))

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


def deployment_config(guardrails: DeploymentGuardrails, alarms: RollbackAlarms) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    """Rolling or blue/green updates as `guardrails` say, rolled back when one of `alarms` goes off."""
    rollback = sagemaker.CfnEndpoint.AutoRollbackConfigProperty(alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=name) for name in alarms.alarm_names])
    wait_s = guardrails.wait_s
    if guardrails.blue_green:
        return sagemaker.CfnEndpoint.DeploymentConfigProperty(
            auto_rollback_configuration=rollback,
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(type="ALL_AT_ONCE", wait_interval_in_seconds=wait_s),
                termination_wait_in_seconds=wait_s,
            ),
        )
    batch = sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=guardrails.batch_percent)
    return sagemaker.CfnEndpoint.DeploymentConfigProperty(
        auto_rollback_configuration=rollback,
        rolling_update_policy=sagemaker.CfnEndpoint.RollingUpdatePolicyProperty(maximum_batch_size=batch, rollback_maximum_batch_size=batch, wait_interval_in_seconds=wait_s),
    )


class ImportedEndpoint(EndpointBase):
    def __init__(self, scope: Construct, id: str, *, endpoint_name: str, variant_name: str) -> None:
        super().__init__(scope, id)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
