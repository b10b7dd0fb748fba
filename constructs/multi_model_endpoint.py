"""Many models behind one endpoint: every artifact under one S3 prefix, served by one shared container that loads
each model on its first invocation (`Mode: MultiModel`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.dedicated_endpoint import DedicatedEndpoint
from constructs.endpoint_base import DEFAULT_VARIANT_NAME, INVOKE_ACTIONS, EndpointBase, ImportedEndpoint
from constructs.endpoint_isolation import EndpointIsolation
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.catalog import load_catalog
from loadmaster.multi_model import INSTANCE_METRICS_NAMESPACE, instance_type_refusal, runs_on_gpu
from loadmaster.plan import ContainerDefinition
from loadmaster.scaling import ScalableDimension, Scaling
from policies.scalable_capacity import ScalableCapacity

MULTI_MODEL = "MultiModel"
_S3_PREFIX = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(?:[^/]+/)*$")


class MultiModelEndpointBase(EndpointBase):
    """What a multi-model endpoint offers, created here or imported: invoke grants that may name the models a caller
    reaches, and the model loading and instance metrics SageMaker publishes for it."""

    def grant_invoke(self, grantee: iam.IGrantable, *, target_models: Sequence[str] = ()) -> iam.Grant:
        """Let `grantee` invoke the endpoint, any model under its prefix or, with `target_models`, only those: paths
        under the prefix, ``*`` matching any characters (``team-a/*``), through IAM's ``sagemaker:TargetModel``
        condition key (SageMaker developer guide, "Multi-Model Endpoint Security")."""
        if not target_models:
            return super().grant_invoke(grantee)
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=INVOKE_ACTIONS,
            resource_arns=[self.endpoint_arn],
            conditions={"StringLike": {"sagemaker:TargetModel": list(target_models)}},
        )

    # Model loading metrics, per endpoint variant: CloudWatch has none per model (SageMaker developer guide,
    # "CloudWatch Metrics for Multi-Model Endpoint Deployments": "Per-model metrics aren't supported"), so a
    # model's own invocations are not to be had from CloudWatch.

    def metric_model_loading_wait_time(self) -> cloudwatch.Metric:
        """Microseconds a request waited for its model to be downloaded or loaded: the cold load, its worst by
        default (the metric has no percentiles)."""
        return self.metric("ModelLoadingWaitTime", statistic="Maximum")

    def metric_model_downloading_time(self) -> cloudwatch.Metric:
        """Microseconds a model took to download from S3."""
        return self.metric("ModelDownloadingTime", statistic="Average")

    def metric_model_loading_time(self) -> cloudwatch.Metric:
        """Microseconds the container took to load a model (its LoadModel call)."""
        return self.metric("ModelLoadingTime", statistic="Average")

    def metric_model_unloads(self) -> cloudwatch.Metric:
        """Models unloaded (ModelUnloadingTime, SampleCount): many a minute means the models in use do not fit in
        memory together and thrash."""
        return self.metric("ModelUnloadingTime", statistic="SampleCount")

    def metric_model_cache_hit_ratio(self) -> cloudwatch.Metric:
        """The share of requests whose model was already loaded (ModelCacheHit, Average)."""
        return self.metric("ModelCacheHit", statistic="Average")

    def metric_loaded_model_count(self) -> cloudwatch.Metric:
        """Models loaded per instance, on average (Sum: across the endpoint, a model counted on each instance
        that holds it)."""
        return self._instance_metric("LoadedModelCount")

    def metric_memory_utilization(self) -> cloudwatch.Metric:
        """Percent of the instances' memory the container uses: near 100, models are unloaded to load others."""
        return self._instance_metric("MemoryUtilization")

    def metric_gpu_utilization(self) -> cloudwatch.Metric:
        """Percent of the GPU in use (one GPU per instance type that takes GPU multi-model endpoints)."""
        return self._instance_metric("GPUUtilization")

    def _instance_metric(self, metric_name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace=INSTANCE_METRICS_NAMESPACE, metric_name=metric_name, dimensions_map=self.metric_dimensions, statistic="Average")


class MultiModelEndpoint(DedicatedEndpoint, MultiModelEndpointBase):
    """A SageMaker model whose primary container runs in ``MultiModel`` mode, its endpoint config and endpoint (as
    `DedicatedEndpoint`, whose props it takes), serving every model artifact under one S3 prefix.

    :param container: the shared serving container: an image that implements SageMaker's multi-model API (the
        framework containers that support it, Multi Model Server, or, on a GPU instance, the SageMaker Triton
        Inference Server), and in ``artifact`` the S3 prefix every model lies under, ``s3://bucket/prefix/``. The
        execution role may read under that prefix only.
    :param instance_type: any CPU instance type, or a single-GPU type of the p2, p3, g4dn and g5 families with the
        Triton container (`loadmaster.limits.MULTI_MODEL_GPU_INSTANCE_TYPES`).
    :param model_cache: keep loaded models in memory and on disk for the next request. Default: True. False
        (``ModelCacheSetting: Disabled``) unloads each model after its request: higher throughput when every model
        is invoked about once (SageMaker developer guide, "Multi-model endpoints", model caching).

    A model is added by uploading it under the prefix and removed by deleting it there: neither updates the
    endpoint. Callers name it as `TargetModel`, its path under the prefix; `grant_invoke` can limit them to some.
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
        model_cache: bool = True,
        isolation: EndpointIsolation = EndpointIsolation(),
        guardrails: DeploymentGuardrails = DeploymentGuardrails(),
    ) -> None:
        problems = _problems(container, instance_type)
        try:
            super().__init__(
                scope, id, endpoint_name=endpoint_name, container=container, instance_type=instance_type,
                initial_instance_count=initial_instance_count, isolation=isolation, guardrails=guardrails,
            )
        except ValueError as error:  # the endpoint's own problems, reported with ours
            problems.insert(0, str(error).removeprefix("DedicatedEndpoint: "))
        if problems:
            raise ValueError("MultiModelEndpoint: " + "; ".join(problems))
        self.model_data_prefix = container.artifact
        self.gpu = runs_on_gpu(load_catalog()[instance_type].accelerator_kind)
        self.model.primary_container = sagemaker.CfnModel.ContainerDefinitionProperty(
            image=container.image,
            model_data_url=container.artifact,
            mode=MULTI_MODEL,
            multi_model_config=None if model_cache else sagemaker.CfnModel.MultiModelConfigProperty(model_cache_setting="Disabled"),
            environment=container.environment or None,
        )

    @classmethod
    def from_endpoint_name(cls, scope: Construct, id: str, endpoint_name: str, variant_name: str = DEFAULT_VARIANT_NAME) -> MultiModelEndpointBase:
        return ImportedMultiModelEndpoint(scope, id, endpoint_name=endpoint_name, variant_name=variant_name)

    def autoscale(self, scaling: Scaling) -> ScalableCapacity:
        """The instance count between `scaling.min` and `scaling.max` on each of its target-tracking policies (the
        invocations per instance of all models together, and on a GPU its utilization:
        `loadmaster.multi_model.multi_model_scaling`); Application Auto Scaling follows whichever asks for more."""
        if scaling.dimension is not ScalableDimension.INSTANCES:
            raise ValueError(f"MultiModelEndpoint: a multi-model endpoint scales its instances, not {scaling.dimension.value}")
        capacity = ScalableCapacity.of_instances(
            self, "Scaling", endpoint_name=self.endpoint_name, variant_name=self.variant_name, endpoint=self.endpoint,
            min_instances=scaling.min, max_instances=scaling.max,
        )
        for tracking, policy in zip(scaling.target_tracking, capacity.scale(scaling, metric_dimensions=self.metric_dimensions), strict=True):
            # A policy's name is its identity on the target: a second one of the same name would replace the first.
            policy.policy_name = f"{capacity.resource_id.replace('/', '-')}-{tracking.metric.portfolio_name}"
        return capacity


class ImportedMultiModelEndpoint(ImportedEndpoint, MultiModelEndpointBase):
    pass


def _problems(container: ContainerDefinition, instance_type: str) -> list[str]:
    problems = []
    if not container.artifact or not _S3_PREFIX.match(container.artifact):
        problems.append(f"container.artifact must be the S3 prefix the models lie under, s3://bucket/prefix/ (ending in /), got {container.artifact!r}")
    catalog = load_catalog()
    if instance_type not in catalog:
        problems.append(f"instance_type {instance_type!r} is not a SageMaker hosting instance type")
    elif (refusal := instance_type_refusal(instance_type, catalog[instance_type].accelerator_kind)) is not None:
        problems.append(f"instance_type: {refusal}")
    return problems

