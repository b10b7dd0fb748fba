"""One model on a serverless endpoint: SageMaker starts its containers per request, optionally keeping some warm."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_base import DEFAULT_VARIANT_NAME, EndpointBase, ImportedEndpoint
from constructs.model_execution_role import ModelExecutionRole
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.catalog.serverless import concurrency_problems, memory_size_problem
from loadmaster.naming import is_sagemaker_name
from loadmaster.plan import ContainerDefinition
from loadmaster.scaling import ScalableDimension, Scaling, ScalingMetric
from policies.scalable_capacity import ScalableCapacity

# Rolling deployments exclude serverless endpoints; blue/green with all-at-once traffic shifting and rollback alarms
# is what they take (SageMaker developer guide, "Deployment guardrails", Exclusions).
SERVERLESS_GUARDRAILS = DeploymentGuardrails(blue_green=True)


class ServerlessEndpoint(EndpointBase):
    """A SageMaker model, an endpoint config whose one variant is serverless (`ServerlessConfig`), and the endpoint.

    :param endpoint_name: the endpoint's name (the model and config are named by CloudFormation, so that a change
        that replaces them does not collide with the old ones).
    :param container: the image in Amazon ECR (up to 10 GB), the artifact in S3 (and the KMS key it is encrypted
        with, which the execution role may decrypt with) and the environment.
    :param memory_size_mb: 1024 to 6144 in 1024 MB steps; vCPUs come with it.
    :param max_concurrency: requests served at once, 1 to 200; more are throttled.
    :param provisioned_concurrency: containers kept warm, 1 to `max_concurrency`, billed while provisioned; scale it
        with `scale_provisioned_concurrency`. Default: none (every container starts on demand, with a cold start).
    :param execution_role: Default: a new `ModelExecutionRole`.
    :param variant_name: Default: ``AllTraffic``.
    :param kms_key: encrypts what SageMaker stores for the endpoint. Default: none (an AWS owned key).
    :param guardrails: blue/green updates (all at once) that roll back on the alarms this construct creates;
        serverless endpoints take no rolling updates. Default: `SERVERLESS_GUARDRAILS`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        container: ContainerDefinition,
        memory_size_mb: int,
        max_concurrency: int,
        provisioned_concurrency: int | None = None,
        execution_role: ModelExecutionRole | None = None,
        variant_name: str = DEFAULT_VARIANT_NAME,
        kms_key: kms.IKey | None = None,
        guardrails: DeploymentGuardrails = SERVERLESS_GUARDRAILS,
    ) -> None:
        super().__init__(scope, id)
        problems = guardrails.problems() + concurrency_problems(max_concurrency, provisioned_concurrency)
        if not is_sagemaker_name(endpoint_name):
            problems.append(f"endpoint_name {endpoint_name!r} is not a valid SageMaker name")
        if (memory := memory_size_problem(memory_size_mb)) is not None:
            problems.append(f"memory_size_mb: {memory}")
        if not guardrails.blue_green:
            problems.append("guardrails must be blue_green: SageMaker excludes serverless endpoints from rolling deployments")
        if problems:
            raise ValueError("ServerlessEndpoint: " + "; ".join(problems))
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.memory_size_mb = memory_size_mb
        self.max_concurrency = max_concurrency
        self.provisioned_concurrency = provisioned_concurrency
        self.execution_role = execution_role or ModelExecutionRole(self, "ExecutionRole")
        self.model = self._create_model("Model", container)
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            kms_key_id=kms_key.key_arn if kms_key else None,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant_name,
                    model_name=self.model.attr_model_name,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=memory_size_mb, max_concurrency=max_concurrency, provisioned_concurrency=provisioned_concurrency
                    ),
                )
            ],
        )
        self.endpoint = self._create_guarded_endpoint(guardrails)

    @classmethod
    def from_endpoint_name(cls, scope: Construct, id: str, endpoint_name: str, variant_name: str = DEFAULT_VARIANT_NAME) -> EndpointBase:
        return ImportedEndpoint(scope, id, endpoint_name=endpoint_name, variant_name=variant_name)

    @property
    def resource_id(self) -> str:
        """The variant as Application Auto Scaling names it."""
        return f"endpoint/{self.endpoint_name}/variant/{self.variant_name}"

    def scale_provisioned_concurrency(self, scaling: Scaling) -> ScalableCapacity:
        """Register the variant's provisioned concurrency with Application Auto Scaling and add `scaling`'s
        target-tracking policy, if any (on `SageMakerVariantProvisionedConcurrencyUtilization`, the fraction of the
        provisioned concurrency in use), its scheduled actions and its step policies.

        The range lies within 1..`max_concurrency` and the endpoint must start with provisioned concurrency: scaling
        adjusts it, it does not create it (SageMaker developer guide, "Automatically scale Provisioned Concurrency
        for a serverless endpoint")."""
        problems = []
        if self.provisioned_concurrency is None:
            problems.append("the endpoint has no provisioned_concurrency to scale")
        if scaling.dimension is not ScalableDimension.PROVISIONED_CONCURRENCY:
            problems.append(f"scaling must be on {ScalableDimension.PROVISIONED_CONCURRENCY.value}, got {scaling.dimension.value}")
        if not 1 <= scaling.min <= scaling.max <= self.max_concurrency:
            problems.append(f"need 1 <= min <= max <= max_concurrency ({self.max_concurrency}), got {scaling.min}..{scaling.max}")
        wrong_metrics = [policy.metric.portfolio_name for policy in scaling.target_tracking if policy.metric is not ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION]
        if wrong_metrics:
            problems.append(f"provisioned concurrency scales on {ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION.portfolio_name} only, got {', '.join(wrong_metrics)}")
        if scaling.wake_from_zero or len(scaling.target_tracking) > 1:
            problems.append("provisioned concurrency takes at most one target-tracking policy, and never scales to zero to wake from")
        if problems:
            raise ValueError(f"ServerlessEndpoint {self.endpoint_name}: " + "; ".join(problems))
        capacity = ScalableCapacity(
            self,
            "ProvisionedConcurrency",
            resource_id=self.resource_id,
            scalable_dimension=scaling.dimension.value,
            min_capacity=scaling.min,
            max_capacity=scaling.max,
            scaled=self.endpoint,
        )
        capacity.scale(scaling, metric_dimensions=self.metric_dimensions)
        return capacity

    # Serverless metrics (SageMaker developer guide, "Alarms and logs for tracking metrics from serverless endpoints").

    def metric_model_setup_time(self) -> cloudwatch.Metric:
        """Microseconds to launch a container for a request: the cold start, p90 by default."""
        return self.metric("ModelSetupTime", statistic="p90")

    def metric_overhead_latency(self) -> cloudwatch.Metric:
        """Microseconds SageMaker adds to each request, cold starts included, p90 by default."""
        return self.metric("OverheadLatency", statistic="p90")

    def metric_concurrent_executions_utilization(self) -> cloudwatch.Metric:
        """Requests in flight as a fraction of `max_concurrency`: near 1, requests are throttled."""
        return self.metric("ServerlessConcurrentExecutionsUtilization", statistic="Maximum")

    def metric_provisioned_concurrency_utilization(self) -> cloudwatch.Metric:
        """Provisioned concurrency in use as a fraction of it: what its target tracking scales on."""
        return self.metric("ServerlessProvisionedConcurrencyUtilization", statistic="Average")

    def metric_provisioned_concurrency_spillover_invocations(self) -> cloudwatch.Metric:
        """Requests served on demand because the provisioned concurrency was all in use."""
        return self.metric("ServerlessProvisionedConcurrencySpilloverInvocations", statistic="Sum")

