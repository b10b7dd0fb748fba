"""moto's SageMaker Runtime backend, which answers any endpoint name with canned data, checking first that the
endpoint exists, that the inference component named in the request has a copy to serve it and that the container it
names (TargetContainerHostname) is one of a direct-invocation endpoint's; asynchronous
invocations go through the endpoint's queue and land where its AsyncInferenceConfig says.

The answers themselves stay moto's (its result queues, `/moto-api/static/sagemaker/endpoint-results` and
`.../async-endpoint-results`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.models import SageMakerRuntimeBackend as MotoSageMakerRuntimeBackend

from loadmaster.catalog.serverless import MAX_PAYLOAD_MB
from loadmaster.testing.sagemaker.multi_container import DIRECT, hostnames, invocation_mode

BYTES_PER_MB = 1024 * 1024

# While a component has no copy, SageMaker refuses its invocations (SageMaker developer guide,
# "endpoint-auto-scaling-zero-instances"; AWS ML blog "Unlock cost savings with the new scale down to zero feature in
# SageMaker Inference"). The wording is the one the blog shows; not verified against AWS here.
NO_CAPACITY = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if "
    "configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API."
)


class InvocationError(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("ValidationError", message)


@dataclass(frozen=True)
class AsyncRequest:
    """One InvokeEndpointAsync request, from its arrival until an instance has processed it."""

    endpoint_name: str
    inference_id: str
    input_location: str | None  # None: the payload came inline, in Body
    output_location: str
    failure_location: str | None  # None: the endpoint config has no S3FailurePath


class SageMakerRuntimeBackend(MotoSageMakerRuntimeBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.add_extension_state()

    def add_extension_state(self) -> None:
        """What this backend holds beyond moto's; `install` also calls it on a moto backend it turns into this class."""
        self.async_backlogs: dict[str, list[AsyncRequest]] = {}  # by endpoint: requests waiting for an instance

    def must_be_invocable(self, endpoint_name: str, component_name: str | None) -> None:
        sagemaker = sagemaker_backends[self.account_id][self.region_name]
        if endpoint_name not in sagemaker.endpoints:
            raise InvocationError(f"Endpoint {endpoint_name} of account {self.account_id} not found.")
        if component_name is None:
            return
        component = sagemaker.inference_components.get(component_name)
        if component is None or component.endpoint.endpoint_name != endpoint_name:
            # Real text unknown to us.
            raise InvocationError(f"Inference Component {component_name} not found on endpoint {endpoint_name}.")
        if component.current_copy_count() == 0:
            raise InvocationError(NO_CAPACITY)

    def target_model_must_be_served(self, endpoint_name: str, target_model: str | None) -> None:
        """InvokeEndpoint's TargetModel as a multi-model endpoint takes it: the header only on an endpoint whose model
        runs in ``MultiModel`` mode, and there always; the model an artifact under the container's ModelDataUrl
        prefix, which SageMaker downloads on its first invocation (SageMaker developer guide, "Invoke a Multi-Model
        Endpoint"). The refusals are ValidationErrors in SageMaker's words where users have quoted them: a target
        model on a single-model endpoint (aws/amazon-sagemaker-examples issues 1026 and 1216) and a missing header
        (aws/sagemaker-tensorflow-serving-container issue 166, its end cut off there); the wording for an artifact
        that does not exist is not verified against AWS here."""
        prefix = self._multi_model_prefix(endpoint_name)
        if prefix is None:
            if target_model is not None:
                raise InvocationError(f"Endpoint {endpoint_name} is not a multi-model endpoint and does not support target model header.")
            return
        if target_model is None:
            raise InvocationError(f"Request {mock_random.uuid4()} is missing a target model header.")
        location = prefix.rstrip("/") + "/" + target_model
        if target_model.startswith("/") or not _s3_object_exists(self.account_id, self.partition, location):
            bucket, key = _split(location)
            raise InvocationError(
                f"Failed to download model data(bucket: {bucket}, key: {key}). Please ensure that there is an object located at the "
                "URL and that the role passed to CreateModel has permissions to download the model."
            )

    def _multi_model_prefix(self, endpoint_name: str) -> str | None:
        """The ModelDataUrl of the endpoint's multi-model container, None when its models run one model each."""
        sagemaker = sagemaker_backends[self.account_id][self.region_name]
        config = sagemaker.endpoint_configs.get(sagemaker.endpoints[endpoint_name].endpoint_config_name)
        for variant in getattr(config, "production_variants", []):
            model = sagemaker._models.get(variant.get("ModelName"))
            container = model.primary_container if model else {}
            if container.get("Mode") == "MultiModel":
                return container.get("ModelDataUrl")
        return None

    def target_container_must_exist(self, endpoint_name: str, hostname: str | None) -> None:
        """A direct-invocation endpoint serves a request with the container it names, and only such an endpoint takes
        a TargetContainerHostname: naming none, naming one it does not have, or naming one on another endpoint are
        validation errors (SageMaker developer guide, "Invoke a multi-container endpoint with direct invocation").
        The real texts are unknown to us."""
        direct = [model for model in self._models_of(endpoint_name) if invocation_mode(model) == DIRECT]
        if not direct:
            if hostname is not None:
                raise InvocationError(f"Endpoint {endpoint_name} is not configured for direct invocation: it takes no TargetContainerHostname.")
            return
        known = [name for model in direct for name in hostnames(model)]
        if hostname is None:
            raise InvocationError(f"Endpoint {endpoint_name} is configured for direct invocation: specify a TargetContainerHostname, one of {', '.join(known)}.")
        if hostname not in known:
            raise InvocationError(f"TargetContainerHostname {hostname} does not exist on endpoint {endpoint_name}: its containers are {', '.join(known)}.")

    def _models_of(self, endpoint_name: str) -> list[object]:
        sagemaker = sagemaker_backends[self.account_id][self.region_name]
        endpoint = sagemaker.endpoints[endpoint_name]
        config = sagemaker.endpoint_configs.get(endpoint.endpoint_config_name)
        names = [variant.get("ModelName") for variant in (config.production_variants if config else [])]
        return [sagemaker._models[name] for name in names if name in sagemaker._models]

    def payload_must_fit(self, endpoint_name: str, payload_bytes: int) -> None:
        """A serverless endpoint takes payloads up to 4 MB (SageMaker developer guide, "Inference options"), where
        real-time endpoints take 6 MB (botocore's BodyBlob). The real text is unknown to us."""
        endpoint = sagemaker_backends[self.account_id][self.region_name].endpoints.get(endpoint_name)
        serverless = endpoint is not None and any("CurrentServerlessConfig" in variant for variant in endpoint.production_variants)
        if serverless and payload_bytes > MAX_PAYLOAD_MB * BYTES_PER_MB:
            raise InvocationError(f"Request payload of {payload_bytes} bytes exceeds the {MAX_PAYLOAD_MB} MB a serverless endpoint accepts.")

    def queue_async_invocation(
        self,
        endpoint_name: str,
        *,
        input_location: str | None,
        has_body: bool,
        inference_id: str | None,
        output_path_extension: str | None,
        filename: str | None,
    ) -> AsyncRequest:
        """InvokeEndpointAsync: the request joins the endpoint's queue and is processed at once if an instance runs;
        at zero instances it waits, as SageMaker queues it until the endpoint scales up ("Autoscale an asynchronous
        endpoint"). The answer names where the result (and a failure) will be written.

        Where: ``<S3OutputPath>/<S3OutputPathExtension>/<Filename or InferenceId.out>`` and
        ``<S3FailurePath>/<...>/<InferenceId>-error.out``, the names AWS's async examples show (not verified against
        AWS here)."""
        self.must_be_invocable(endpoint_name, None)
        output = self._async_output_config(endpoint_name)
        if (input_location is None) == (not has_body):
            # "Invoke an asynchronous endpoint": InputLocation and Body are mutually exclusive, give exactly one. Real text unknown.
            raise InvocationError("Provide exactly one of InputLocation and Body.")
        inference_id = inference_id or str(mock_random.uuid4())
        extension = f"{output_path_extension.strip('/')}/" if output_path_extension else ""
        failure_path = output.get("S3FailurePath")
        request = AsyncRequest(
            endpoint_name=endpoint_name,
            inference_id=inference_id,
            input_location=input_location,
            output_location=f"{output['S3OutputPath'].rstrip('/')}/{extension}{filename or inference_id + '.out'}",
            failure_location=f"{failure_path.rstrip('/')}/{extension}{inference_id}-error.out" if failure_path else None,
        )
        self.async_backlogs.setdefault(endpoint_name, []).append(request)
        self.process_async_backlog(endpoint_name)
        return request

    def process_async_backlog(self, endpoint_name: str) -> None:
        """Process every queued request of the endpoint if it has an instance (loadmaster.testing calls this when an
        endpoint's instance count changes); each result is moto's next canned async result."""
        if self._instances(endpoint_name) == 0:
            return
        for request in self.async_backlogs.pop(endpoint_name, []):
            self._process(request)

    def async_backlog(self, endpoint_name: str) -> list[AsyncRequest]:
        """The requests waiting for an instance (what CloudWatch's ApproximateBacklogSize counts)."""
        return list(self.async_backlogs.get(endpoint_name, []))

    def forget_endpoint(self, endpoint_name: str) -> None:
        """A deleted endpoint's queued requests are never processed."""
        self.async_backlogs.pop(endpoint_name, None)

    def _async_output_config(self, endpoint_name: str) -> dict:
        sagemaker = sagemaker_backends[self.account_id][self.region_name]
        config = sagemaker.endpoint_configs.get(sagemaker.endpoints[endpoint_name].endpoint_config_name)
        async_config = getattr(config, "async_inference_config", None) or {}
        if "OutputConfig" not in async_config:
            # Real text unknown: SageMaker refuses InvokeEndpointAsync on an endpoint created without AsyncInferenceConfig.
            raise InvocationError(f"Endpoint {endpoint_name} is not an asynchronous endpoint: its endpoint configuration has no AsyncInferenceConfig.")
        return async_config["OutputConfig"]

    def _instances(self, endpoint_name: str) -> int:
        endpoint = sagemaker_backends[self.account_id][self.region_name].endpoints.get(endpoint_name)
        return sum(variant.get("CurrentInstanceCount", 0) for variant in endpoint.production_variants) if endpoint else 0

    def _process(self, request: AsyncRequest) -> None:
        """Write the request's result, or its failure when its input cannot be read (SageMaker counts those in
        RequestDownloadFailures) or moto's canned result is one. An upload to a bucket that does not exist is lost,
        as SageMaker's fails (ResponseUploadFailures)."""
        if request.input_location is not None and not _s3_object_exists(self.account_id, self.partition, request.input_location):
            failed, data = True, f"Failed to download the request payload from {request.input_location}."  # real text unknown
        else:
            failed, data = self._next_result()
        location = request.failure_location if failed else request.output_location
        if location is not None:
            _s3_put(self.account_id, self.partition, self.region_name, location, data)

    def _next_result(self) -> tuple[bool, str]:
        """moto's next async result: its async queue, else its real-time one, else its static default."""
        if self.async_results_queue:
            return self.async_results_queue.pop(0)
        if self.results_queue:
            body, content_type, variant, attributes = self.results_queue.pop(0)
            return False, json.dumps({"Body": body, "ContentType": content_type, "InvokedProductionVariant": variant, "CustomAttributes": attributes})
        return False, json.dumps({"default": "response"})


def _split(s3_uri: str) -> tuple[str, str]:
    bucket, _, key = s3_uri.removeprefix("s3://").partition("/")
    return bucket, key


def _s3_object_exists(account_id: str, partition: str, s3_uri: str) -> bool:
    from moto.s3.models import s3_backends

    bucket, key = _split(s3_uri)
    backend = s3_backends[account_id][partition]
    return bucket in backend.buckets and key in backend.buckets[bucket].keys


def _s3_put(account_id: str, partition: str, region_name: str, s3_uri: str, data: str) -> None:
    from moto.s3.models import s3_backends

    bucket, key = _split(s3_uri)
    backend = s3_backends[account_id][partition]
    if bucket in backend.buckets:
        backend.put_object(bucket, key, value=data.encode("utf-8"))
