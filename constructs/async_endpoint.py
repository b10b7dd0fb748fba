"""One model behind an asynchronous endpoint: requests wait in SageMaker's queue, results and failures land in S3,
SNS topics may tell of each, and the instances follow the queue, down to zero."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct
from constructs.dedicated_endpoint import DedicatedEndpoint
from constructs.endpoint_base import DEFAULT_VARIANT_NAME, EndpointBase
from constructs.endpoint_isolation import EndpointIsolation
from constructs.invocation_metrics import sagemaker_metric
from constructs.results_bucket import create_results_bucket
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.limits import ASYNC_MAX_CONCURRENT_INVOCATIONS_RANGE
from loadmaster.plan import ContainerDefinition
from loadmaster.scaling import ScalableDimension, Scaling
from policies.acknowledgements import acknowledge, wildcard_resource_finding
from policies.scalable_capacity import ScalableCapacity
from policies.scale_from_zero import ScaleFromZero

ASYNC_INVOKE_ACTIONS = ["sagemaker:InvokeEndpointAsync"]
_S3_PREFIX = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<prefix>(?:[^/]+/)*)$")
# What writing an object encrypted with SSE-KMS asks of the writer, a multipart upload included (Amazon S3 user
# guide, "Using server-side encryption with AWS KMS keys", permissions), and what publishing to a topic encrypted
# with a customer-managed key asks (Amazon SNS developer guide, "Encryption at rest", key management): the same two.
KMS_WRITE_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]
S3_WRITE_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"]

# The queue's metrics, published per endpoint only (SageMaker developer guide, "Monitor asynchronous endpoints").
QUEUE_METRICS = frozenset({"ApproximateBacklogSize", "ApproximateBacklogSizePerInstance", "ApproximateAgeOfOldestRequest", "HasBacklogWithoutCapacity"})


@dataclass(frozen=True)
class AsyncNotifications:
    """Which SNS topics hear of each finished request (AsyncInferenceConfig.OutputConfig.NotificationConfig).

    :param success: a topic told of each result, or True for one this construct creates (encrypted with the output
        key, SSL only). Default: none.
    :param error: a topic told of each failure, or True for one this construct creates. Default: none.

    A topic of yours encrypted with a key of its own also needs that key to allow the execution role
    ``kms:GenerateDataKey`` and ``kms:Decrypt``; the role is granted ``sns:Publish`` on the topic only.
    """

    success: sns.ITopic | bool = False
    error: sns.ITopic | bool = False


class AsyncEndpointBase(EndpointBase):
    """What an asynchronous endpoint offers, created here or imported: grants to invoke it and read its results, and
    the metrics SageMaker publishes for it."""

    output_bucket: s3.IBucket
    output_prefix: str
    failure_prefix: str
    output_key: kms.IKey | None

    @property
    def output_path(self) -> str:
        """Where SageMaker writes each result (``S3OutputPath``)."""
        return f"s3://{self.output_bucket.bucket_name}/{self.output_prefix}"

    @property
    def failure_path(self) -> str:
        """Where SageMaker writes each failure (``S3FailurePath``)."""
        return f"s3://{self.output_bucket.bucket_name}/{self.failure_prefix}"

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` send requests (``sagemaker:InvokeEndpointAsync`` on this endpoint only) and fetch their
        results (`grant_read_results`)."""
        self.grant_read_results(grantee)
        return iam.Grant.add_to_principal(grantee=grantee, actions=ASYNC_INVOKE_ACTIONS, resource_arns=[self.endpoint_arn])

    def grant_read_results(self, grantee: iam.IGrantable) -> None:
        """Let `grantee` read the results and failures (and nothing else of the bucket), decrypting them with the
        output key, and list their prefixes only: without ``s3:ListBucket`` a result not written yet answers 403,
        not the 404 a caller polling for it waits through."""
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=self.result_objects_arns)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self._s3_arn(self.output_bucket.bucket_name)],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in self._prefixes]}},
            )
        )
        if self.output_key is not None:
            iam.Grant.add_to_principal(grantee=grantee, actions=["kms:Decrypt"], resource_arns=[self.output_key.key_arn])

    @property
    def result_objects_arns(self) -> list[str]:
        """The objects under the results' and the failures' prefixes, as IAM names them: for a policy of yours, or for
        acknowledging the AwsSolutions-IAM5 finding a grantee of `grant_read_results` gets
        (`policies.acknowledgements.wildcard_resource_finding`)."""
        return [self._objects_arn(prefix) for prefix in self._prefixes]

    @property
    def _prefixes(self) -> list[str]:
        return [self.output_prefix, self.failure_prefix]

    def metric_approximate_backlog_size(self) -> cloudwatch.Metric:
        """Requests queued or in processing."""
        return self._endpoint_metric("ApproximateBacklogSize", "Average")

    def metric_approximate_backlog_size_per_instance(self) -> cloudwatch.Metric:
        """Requests queued per instance: what autoscaling tracks."""
        return self._endpoint_metric("ApproximateBacklogSizePerInstance", "Average")

    def metric_approximate_age_of_oldest_request(self) -> cloudwatch.Metric:
        """Seconds the oldest queued request has waited."""
        return self._endpoint_metric("ApproximateAgeOfOldestRequest", "Maximum")

    def metric_has_backlog_without_capacity(self) -> cloudwatch.Metric:
        """1 while requests wait and no instance runs: what wakes an endpoint scaled to zero."""
        return self._endpoint_metric("HasBacklogWithoutCapacity", "Average")

    def metric_invocation_failures(self) -> cloudwatch.Metric:
        """Requests that failed, whatever the reason."""
        return self.metric("InvocationFailures", statistic="Sum")

    def _endpoint_metric(self, metric_name: str, statistic: str) -> cloudwatch.Metric:
        # The queue's metrics have the endpoint as their only dimension (SageMaker developer guide, "Monitor
        # asynchronous endpoints"); the others have the variant too.
        return sagemaker_metric({"EndpointName": self.endpoint_name}, metric_name, statistic, None)

    def _dimensions_of(self, metric_name: str) -> dict[str, str]:
        """The dimensions SageMaker publishes `metric_name` with for this endpoint (see `_endpoint_metric`)."""
        return {"EndpointName": self.endpoint_name} if metric_name in QUEUE_METRICS else self.metric_dimensions

    def _objects_arn(self, prefix: str) -> str:
        return self._s3_arn(f"{self.output_bucket.bucket_name}/{prefix}*")

    def _s3_arn(self, resource: str) -> str:
        """In the stack's partition; S3 ARNs name no region nor account."""
        return cdk.Arn.format(cdk.ArnComponents(partition=cdk.Aws.PARTITION, service="s3", region="", account="", resource=resource), cdk.Stack.of(self))


class AsyncEndpoint(DedicatedEndpoint, AsyncEndpointBase):
    """A single-model endpoint with ``AsyncInferenceConfig``: a SageMaker model, its endpoint config and endpoint
    (as `DedicatedEndpoint`, whose props it takes), and where results go.

    :param output_bucket: where results and failures are written. Default: a bucket this construct creates, encrypted
        with the output key, SSL only, public access blocked, its server access logs in a second bucket (SSE-S3: S3
        delivers access logs only to buckets encrypted so). Both are retained when the stack is deleted: they hold
        your results.
    :param output_prefix: the results' key prefix. Default: ``<endpoint_name>/results/``.
    :param failure_prefix: the failures' key prefix. Default: ``<endpoint_name>/failures/``.
    :param output_key: the KMS key SageMaker encrypts results with (``OutputConfig.KmsKeyId``). Default: a key this
        construct creates, rotated yearly.
    :param notifications: SNS topics told of results and failures. Default: none.
    :param max_concurrent_invocations_per_instance: requests an instance processes at a time, 1 to 1000. Default:
        SageMaker's choice.

    The execution role may write under the two prefixes only, and publish to its topics only. `autoscale` adds
    scaling on the backlog; with a minimum of 0 instances, requests that arrive meanwhile wait in the queue until the
    wake-up alarm brings an instance back.
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
        output_bucket: s3.IBucket | None = None,
        output_prefix: str | None = None,
        failure_prefix: str | None = None,
        output_key: kms.IKey | None = None,
        notifications: AsyncNotifications = AsyncNotifications(),
        max_concurrent_invocations_per_instance: int | None = None,
    ) -> None:
        problems = _problems(output_prefix, failure_prefix, max_concurrent_invocations_per_instance)
        try:
            super().__init__(
                scope, id, endpoint_name=endpoint_name, container=container, instance_type=instance_type,
                initial_instance_count=initial_instance_count, isolation=isolation, guardrails=guardrails,
            )
        except ValueError as error:  # the endpoint's own problems, reported with ours
            problems.insert(0, str(error).removeprefix("DedicatedEndpoint: "))
        if problems:
            raise ValueError("AsyncEndpoint: " + "; ".join(problems))
        self.output_prefix = output_prefix or f"{endpoint_name}/results/"
        self.failure_prefix = failure_prefix or f"{endpoint_name}/failures/"
        self.output_key = output_key or kms.Key(self, "OutputKey", description=f"loadmaster: results of asynchronous endpoint {endpoint_name}", enable_key_rotation=True)
        self.output_bucket = output_bucket or create_results_bucket(self, self.output_key, f"{self.endpoint_name}/")
        self.success_topic = self._topic("SuccessTopic", notifications.success)
        self.error_topic = self._topic("ErrorTopic", notifications.error)
        self._grant_writing_results()

        output = sagemaker.CfnEndpointConfig
        topics = (self.success_topic, self.error_topic)
        self.endpoint_config.async_inference_config = output.AsyncInferenceConfigProperty(
            output_config=output.AsyncInferenceOutputConfigProperty(
                s3_output_path=self.output_path,
                s3_failure_path=self.failure_path,
                kms_key_id=self.output_key.key_arn,
                notification_config=output.AsyncInferenceNotificationConfigProperty(
                    success_topic=self.success_topic.topic_arn if self.success_topic else None,
                    error_topic=self.error_topic.topic_arn if self.error_topic else None,
                )
                if any(topics)
                else None,
            ),
            client_config=output.AsyncInferenceClientConfigProperty(max_concurrent_invocations_per_instance=max_concurrent_invocations_per_instance)
            if max_concurrent_invocations_per_instance
            else None,
        )

    @classmethod
    def from_endpoint_attributes(
        cls,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        output_bucket: s3.IBucket,
        output_prefix: str,
        failure_prefix: str,
        output_key: kms.IKey | None = None,
        variant_name: str = DEFAULT_VARIANT_NAME,
    ) -> AsyncEndpointBase:
        """An existing asynchronous endpoint and where it writes, to grant on or read metrics of."""
        return ImportedAsyncEndpoint(
            scope, id, endpoint_name=endpoint_name, variant_name=variant_name,
            output_bucket=output_bucket, output_prefix=output_prefix, failure_prefix=failure_prefix, output_key=output_key,
        )

    def grant_invoke(self, grantee: iam.IGrantable, *, input_location: str | None = None, input_kms_key_arn: str | None = None) -> iam.Grant:
        """`AsyncEndpointBase.grant_invoke`, and, with `input_location` (``s3://bucket/prefix/``, where `grantee` puts
        its requests), let the execution role read there: SageMaker downloads each request from its InputLocation
        with the endpoint's role (SageMaker developer guide, "Asynchronous inference: prerequisites"), decrypting
        with `input_kms_key_arn` if the inputs are encrypted with a key of yours. Requests sent inline (``Body``,
        up to 128,000 bytes) need no input location."""
        if input_location is not None:
            self._grant_reading_requests(input_location, input_kms_key_arn)
        return super().grant_invoke(grantee)

    def _grant_reading_requests(self, input_location: str, kms_key_arn: str | None) -> None:
        match = _S3_PREFIX.match(input_location)
        if not match:
            raise ValueError(f"AsyncEndpoint: input_location must be s3://bucket/prefix/ (a prefix ending in /), got {input_location!r}")
        objects = self._s3_arn(f"{match['bucket']}/{match['prefix']}*")
        role = self.execution_role.role
        self.endpoint.node.add_dependency(iam.Grant.add_to_principal(grantee=role, actions=["s3:GetObject"], resource_arns=[objects]))
        acknowledge(
            role,
            wildcard_resource_finding(self, objects),
            f"Callers of {self.endpoint_name} put each request under {input_location}, named as they choose, and SageMaker "
            "reads it from there with this role: reads are limited to that prefix.",
        )
        if kms_key_arn is not None:
            self.execution_role.grant_decrypt(kms_key_arn)

    def autoscale(self, scaling: Scaling) -> ScalableCapacity:
        """The instance count between `scaling.min` and `scaling.max`, on its target tracking (the backlog per
        instance: `loadmaster.async_inference.backlog_scaling`), its scheduled actions and step policies (their
        alarms on the variant's metrics unless they name other dimensions) and, from zero, its wake-up step policy
        and alarm."""
        if scaling.dimension is not ScalableDimension.INSTANCES:
            raise ValueError(f"AsyncEndpoint: an asynchronous endpoint scales its instances, not {scaling.dimension.value}")
        capacity = ScalableCapacity.of_instances(
            self, "Scaling", endpoint_name=self.endpoint_name, variant_name=self.variant_name, endpoint=self.endpoint,
            min_instances=scaling.min, max_instances=scaling.max,
        )
        capacity.scale(scaling, metric_dimensions=self._dimensions_of)
        if scaling.wake_from_zero is not None:
            self.scale_from_zero = ScaleFromZero(
                self,
                "ScaleFromZero",
                capacity=capacity,
                no_capacity_metric=self.metric_has_backlog_without_capacity(),
                wake=scaling.wake_from_zero,
                description=f"Requests wait at {self.endpoint_name} and no instance runs: start one",
            )
        return capacity

    def _topic(self, id: str, wanted: sns.ITopic | bool) -> sns.ITopic | None:
        if wanted is True:
            return sns.Topic(self, id, master_key=self.output_key, enforce_ssl=True)
        return wanted or None

    def _grant_writing_results(self) -> None:
        """Write results and failures under their prefixes, encrypt them and the notifications with the output key,
        publish to the endpoint's topics: all the endpoint needs, before it is created."""
        role = self.execution_role.role
        grants = [iam.Grant.add_to_principal(grantee=role, actions=S3_WRITE_ACTIONS, resource_arns=self.result_objects_arns)]
        for objects in self.result_objects_arns:
            acknowledge(
                role,
                wildcard_resource_finding(self, objects),
                f"SageMaker names each result or failure of {self.endpoint_name} after its inference id, under this prefix: "
                "the role may write there and nowhere else in the bucket.",
            )
        grants.append(iam.Grant.add_to_principal(grantee=role, actions=KMS_WRITE_ACTIONS, resource_arns=[self.output_key.key_arn]))
        topics = [topic.topic_arn for topic in (self.success_topic, self.error_topic) if topic is not None]
        if topics:
            grants.append(iam.Grant.add_to_principal(grantee=role, actions=["sns:Publish"], resource_arns=topics))
        for grant in grants:
            self.endpoint.node.add_dependency(grant)


class ImportedAsyncEndpoint(AsyncEndpointBase):
    def __init__(
        self, scope: Construct, id: str, *, endpoint_name: str, variant_name: str,
        output_bucket: s3.IBucket, output_prefix: str, failure_prefix: str, output_key: kms.IKey | None,
    ) -> None:
        super().__init__(scope, id)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.output_bucket = output_bucket
        self.output_prefix = output_prefix
        self.failure_prefix = failure_prefix
        self.output_key = output_key


def _problems(output_prefix: str | None, failure_prefix: str | None, max_concurrent: int | None) -> list[str]:
    problems = []
    for name, prefix in (("output_prefix", output_prefix), ("failure_prefix", failure_prefix)):
        if prefix is not None and (not prefix.endswith("/") or prefix.startswith("/")):
            problems.append(f"{name} must be a key prefix ending in / and not starting with one, got {prefix!r}")
    if output_prefix is not None and output_prefix == failure_prefix:
        problems.append("output_prefix and failure_prefix must differ, so results and failures can be told apart")
    low, high = ASYNC_MAX_CONCURRENT_INVOCATIONS_RANGE
    if max_concurrent is not None and not low <= max_concurrent <= high:
        problems.append(f"max_concurrent_invocations_per_instance must be {low} to {high}, got {max_concurrent}")
    return problems
