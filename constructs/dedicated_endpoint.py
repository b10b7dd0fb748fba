"""One model alone on its own endpoint, scaled by instance count; optionally more production variants sharing its
traffic by weight (A/B tests) or a shadow variant receiving a copy of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_base import DEFAULT_VARIANT_NAME, EndpointBase, ImportedEndpoint, endpoint_problems
from constructs.endpoint_isolation import EndpointIsolation
from constructs.model_execution_role import ModelExecutionRole
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.naming import is_sagemaker_name
from loadmaster.plan import ContainerDefinition

# CreateEndpointConfig (SageMaker API reference): ProductionVariants holds 1 to 10 variants; with ShadowProductionVariants
# exactly one production variant and one shadow variant.
MAX_PRODUCTION_VARIANTS = 10


@dataclass(frozen=True)
class EndpointVariant:
    """A variant beside the endpoint's first: its own model (container), instance type and count.

    :param weight: a production variant's share of the requests, relative to the other variants' weights (> 0).
    :param sampling_percent: a shadow variant's percent of the production requests it receives a copy of, 1 to 100.
        A shadow's InitialVariantWeight is that percent of the production variant's weight (SageMaker developer
        guide, "Shadow variants"; *our reading, docs/aws-facts.md*).
    """

    name: str
    container: ContainerDefinition
    instance_type: str
    initial_instance_count: int = 1
    weight: float = 1.0
    sampling_percent: int = 100

    def problems(self) -> list[str]:
        problems = []
        if not is_sagemaker_name(self.name):
            problems.append(f"variant name {self.name!r} is not a valid SageMaker name")
        if self.initial_instance_count < 1:
            problems.append(f"variant {self.name}: initial_instance_count must be at least 1, got {self.initial_instance_count}")
        if not self.weight > 0:
            problems.append(f"variant {self.name}: weight must be above 0, got {self.weight:g}")
        if not 1 <= self.sampling_percent <= 100:
            problems.append(f"variant {self.name}: sampling_percent must be 1 to 100, got {self.sampling_percent}")
        return problems


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
    :param variant_name: the first production variant's name. Default: ``AllTraffic``.
    :param weight: the first production variant's weight. Default: 1.
    :param variants: more production variants, each with its model, sharing the requests by weight. Default: none.
    :param shadow: a shadow variant, with its model, receiving a copy of the production requests (its responses are
        discarded); then the endpoint has no other production variant. Default: none.

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
        variant_name: str = DEFAULT_VARIANT_NAME,
        weight: float = 1.0,
        variants: Sequence[EndpointVariant] = (),
        shadow: EndpointVariant | None = None,
    ) -> None:
        super().__init__(scope, id)
        first = EndpointVariant(variant_name, container, instance_type, initial_instance_count, weight)
        problems = (isolation.problems() + guardrails.problems() + endpoint_problems(endpoint_name, initial_instance_count)
                    + _variants_problems(first, list(variants), shadow, guardrails))
        if problems:
            raise ValueError("DedicatedEndpoint: " + "; ".join(problems))
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.instance_type = instance_type
        self.variant_names = [variant_name, *(variant.name for variant in variants)]
        self.shadow_variant_name = shadow.name if shadow else None
        self.execution_role = ModelExecutionRole(self, "ExecutionRole")
        self._isolation = isolation

        self.model = self._create_model("Model", container, isolation)
        self.variant_models = {
            variant.name: self._create_model(f"Model-{variant.name}", variant.container, isolation) for variant in [*variants, *([shadow] if shadow else [])]
        }
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            kms_key_id=isolation.kms_key_id,
            production_variants=[self._variant(first, self.model)] + [self._variant(variant, self.variant_models[variant.name]) for variant in variants],
            shadow_production_variants=[self._variant(shadow, self.variant_models[shadow.name], weight=weight * shadow.sampling_percent / 100)] if shadow else None,
        )
        self.endpoint = self._create_guarded_endpoint(guardrails)

    def _variant(self, variant: EndpointVariant, model: sagemaker.CfnModel, weight: float | None = None) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=variant.name,
            model_name=model.attr_model_name,
            instance_type=variant.instance_type,
            initial_instance_count=variant.initial_instance_count,
            initial_variant_weight=variant.weight if weight is None else weight,
            enable_ssm_access=self._isolation.ssm_access,
        )

    @classmethod
    def from_endpoint_name(cls, scope: Construct, id: str, endpoint_name: str, variant_name: str = DEFAULT_VARIANT_NAME) -> EndpointBase:
        return ImportedEndpoint(scope, id, endpoint_name=endpoint_name, variant_name=variant_name)

    def metric_concurrent_requests_per_model(self) -> cloudwatch.Metric:
        """Requests in flight per model instance, queued ones included: the high-resolution scaling metric (10 s)."""
        return self.metric("ConcurrentRequestsPerModel", statistic="Maximum", period=cdk.Duration.seconds(10))


def _variants_problems(first: EndpointVariant, variants: list[EndpointVariant], shadow: EndpointVariant | None, guardrails: DeploymentGuardrails) -> list[str]:
    production = [first, *variants]
    problems = [problem for variant in [*variants, *([shadow] if shadow else [])] for problem in variant.problems()]
    if not first.weight > 0:
        problems.append(f"weight must be above 0, got {first.weight:g}")
    if len(production) > MAX_PRODUCTION_VARIANTS:
        problems.append(f"at most {MAX_PRODUCTION_VARIANTS} production variants, got {len(production)}")
    if shadow is not None and variants:
        problems.append(f"with a shadow variant the endpoint has exactly one production variant, got {len(production)}")
    names = [variant.name for variant in [*production, *([shadow] if shadow else [])]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        problems.append(f"variant names must be unique, {', '.join(duplicates)} used twice")
    # Rolling deployments exclude multi-variant endpoints (SageMaker developer guide, "Deployment guardrails:
    # Exclusions"): they update blue/green.
    if (variants or shadow) and not guardrails.blue_green:
        problems.append("an endpoint with several variants updates blue/green only (rolling deployments exclude multi-variant endpoints): set blue_green")
    return problems

