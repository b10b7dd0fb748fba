"""Transform jobs as SageMaker runs them, for moto's SageMaker backend (a mixin of `SageMakerBackend`).

moto 5.2.5 stores any CreateTransformJob request as a job already `Completed`: no check of the request, a second
job of the same name replaces the first, and StopTransformJob is missing. Here, as SageMaker does: the request is
checked against botocore's service model (instance types, ranges, enums: botocore does not check them client-side
and a Step Functions task does not go through botocore) and MaxConcurrentTransforms x MaxPayloadInMB <= 100 MB
(CreateTransformJob documentation); the model must exist; a name is used once. A job reads its input under its
S3 URI in moto's S3 and writes one output object per input object, named ``<key after the S3 URI's prefix>.out``
under S3OutputPath ("Batch transform", SageMaker developer guide: "a .out file for each input file"), with moto's
canned content; a job that finds no input fails. A job stays `InProgress` for as many describes as
`loadmaster.testing.status_transitions` says (0: done at once), and StopTransformJob stops one in progress.

Messages whose real text is not known say what is wrong in SageMaker's style, and a comment says so.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import FakeTransformJob

from loadmaster.limits import TRANSFORM_MAX_PAYLOAD_RANGE_MB, TRANSFORM_MAX_PAYLOAD_TIMES_CONCURRENCY_MB
from loadmaster.testing.status import Transition

IN_PROGRESS, COMPLETED, FAILED, STOPPED = "InProgress", "Completed", "Failed", "Stopped"
CANNED_OUTPUT = json.dumps({"default": "response"})


def _constraint_error(value: Any, where: str, constraint: str) -> ValidationError:
    # The wording of AWS's request validation, as moto uses it elsewhere.
    return ValidationError(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: {constraint}")


def _shape(name: str) -> Any:
    from loadmaster.testing.sagemaker.models import _sagemaker_shape

    return _sagemaker_shape(name)


def validate_transform_request(request: dict[str, Any]) -> None:
    """The request's members as SageMaker's request validation checks them, against botocore's shapes."""
    resources = request.get("TransformResources") or {}
    checks = [
        (resources.get("InstanceType"), "transformResources.instanceType", "TransformInstanceType"),
        (resources.get("InstanceCount"), "transformResources.instanceCount", "TransformInstanceCount"),
        (request.get("MaxConcurrentTransforms"), "maxConcurrentTransforms", "MaxConcurrentTransforms"),
        (request.get("MaxPayloadInMB"), "maxPayloadInMB", "MaxPayloadInMB"),
        (request.get("BatchStrategy"), "batchStrategy", "BatchStrategy"),
        ((request.get("TransformInput") or {}).get("SplitType"), "transformInput.splitType", "SplitType"),
        ((request.get("TransformInput") or {}).get("CompressionType"), "transformInput.compressionType", "CompressionType"),
        (((request.get("TransformInput") or {}).get("DataSource") or {}).get("S3DataSource", {}).get("S3DataType"), "transformInput.dataSource.s3DataSource.s3DataType", "S3DataType"),
        ((request.get("TransformOutput") or {}).get("AssembleWith"), "transformOutput.assembleWith", "AssemblyType"),
        ((request.get("ModelClientConfig") or {}).get("InvocationsTimeoutInSeconds"), "modelClientConfig.invocationsTimeoutInSeconds", "InvocationsTimeoutInSeconds"),
        ((request.get("ModelClientConfig") or {}).get("InvocationsMaxRetries"), "modelClientConfig.invocationsMaxRetries", "InvocationsMaxRetries"),
    ]
    for value, where, shape_name in checks:
        if value is None:
            continue
        shape = _shape(shape_name)
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            raise _constraint_error(value, where, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if shape.type_name == "integer" and low is not None and value < low:
            raise _constraint_error(value, where, f"Member must have value greater than or equal to {low}")
        if shape.type_name == "integer" and high is not None and value > high:
            raise _constraint_error(value, where, f"Member must have value less than or equal to {high}")
    for value, where in (
        ((((request.get("TransformInput") or {}).get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri"), "transformInput.dataSource.s3DataSource.s3Uri"),
        ((request.get("TransformOutput") or {}).get("S3OutputPath"), "transformOutput.s3OutputPath"),
    ):
        pattern = _shape("S3Uri").metadata["pattern"]
        if value is not None and not re.match(pattern, value):
            raise _constraint_error(value, where, f"Member must satisfy regular expression pattern: {pattern}")
    payload, concurrency = request.get("MaxPayloadInMB"), request.get("MaxConcurrentTransforms")
    if payload is not None and payload > TRANSFORM_MAX_PAYLOAD_RANGE_MB[1]:
        # Real text unknown; the documentation: "The value of MaxPayloadInMB cannot be greater than 100 MB."
        raise ValidationError(f"MaxPayloadInMB ({payload}) cannot be greater than {TRANSFORM_MAX_PAYLOAD_RANGE_MB[1]} MB.")
    if payload and concurrency and payload * concurrency > TRANSFORM_MAX_PAYLOAD_TIMES_CONCURRENCY_MB:
        # Real text unknown; the documentation: "the value of (MaxConcurrentTransforms * MaxPayloadInMB) also cannot exceed 100 MB".
        raise ValidationError(f"The value of (MaxConcurrentTransforms * MaxPayloadInMB) ({concurrency} * {payload}) cannot exceed {TRANSFORM_MAX_PAYLOAD_TIMES_CONCURRENCY_MB} MB.")


class TransformJob(FakeTransformJob):
    """moto's job, whose status passes through InProgress and whose outcome is decided when it is created."""

    def __init__(self, outcome: str, failure_reason: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outcome, self.failure_reason = outcome, failure_reason
        self.transition = Transition(IN_PROGRESS)

    def stop(self) -> None:
        self.outcome, self.failure_reason = STOPPED, ""
        self.transition.settle()

    @property
    def transform_job_status(self) -> str:
        status = self.transition.current
        return status if status == IN_PROGRESS else self.outcome

    @transform_job_status.setter
    def transform_job_status(self, value: str) -> None:  # moto's constructor sets Completed
        pass

    @property
    def response_object(self) -> dict[str, Any]:  # type: ignore[misc]
        status = self.transition.describe()
        response = super().response_object
        for ours in ("Outcome", "Transition"):
            response.pop(ours)
        response["TransformJobStatus"] = status if status == IN_PROGRESS else self.outcome
        if not response.get("FailureReason"):
            response.pop("FailureReason", None)
        return response


class TransformJobs:
    """CreateTransformJob, DescribeTransformJob and StopTransformJob for `SageMakerBackend`."""

    transform_jobs: dict[str, FakeTransformJob]
    account_id: str
    region_name: str
    partition: str

    def create_transform_job(self, transform_job_name: str, model_name: str, **request: Any) -> TransformJob:  # type: ignore[override]
        members = {"".join(word.title() for word in key.split("_")).replace("InMb", "InMB"): value for key, value in request.items()}
        validate_transform_request(members)
        if transform_job_name in self.transform_jobs:
            arn = FakeTransformJob.arn_formatter(transform_job_name, self.account_id, self.region_name)
            # Real text unknown; SageMaker's for training jobs reads the same.
            raise ResourceInUseException(f"Job name must be unique within an AWS account and region, and a job with this name already exists ({arn})")
        if model_name not in self._models:  # type: ignore[attr-defined]
            arn = f"arn:{self.partition}:sagemaker:{self.region_name}:{self.account_id}:model/{model_name.lower()}"
            raise ValidationError(f'Could not find model "{arn}".')
        outcome, reason = self._run(request["transform_input"], request["transform_output"])
        job = TransformJob(outcome, reason, account_id=self.account_id, region_name=self.region_name, transform_job_name=transform_job_name, model_name=model_name, **request)
        self.transform_jobs[transform_job_name] = job
        return job

    def stop_transform_job(self, transform_job_name: str) -> None:
        job = self.transform_jobs.get(transform_job_name)
        if job is None:
            arn = FakeTransformJob.arn_formatter(transform_job_name, self.account_id, self.region_name)
            raise ResourceNotFound(f"Could not find transform job '{arn}'.")
        if job.transform_job_status != IN_PROGRESS:
            # Real text unknown: SageMaker stops only a job in progress.
            raise ValidationError(f"The transform job {transform_job_name} is {job.transform_job_status} and cannot be stopped.")
        job.stop()

    def _run(self, transform_input: dict[str, Any], transform_output: dict[str, Any]) -> tuple[str, str]:
        """Write an output object per input object under the S3 URI's prefix; none found fails the job."""
        from moto.s3.models import s3_backends

        source = transform_input["DataSource"]["S3DataSource"]["S3Uri"]
        bucket_name, _, prefix = source.removeprefix("s3://").partition("/")
        backend = s3_backends[self.account_id][self.partition]
        bucket = backend.buckets.get(bucket_name)
        keys = [key for key in (bucket.keys if bucket else {}) if key.startswith(prefix)]
        if not keys:
            # Real text unknown: SageMaker fails a job whose S3Uri holds no object with a ClientError naming it.
            return FAILED, f"ClientError: No objects found under S3 URI {source}"
        output_bucket, _, output_prefix = transform_output["S3OutputPath"].removeprefix("s3://").partition("/")
        if output_bucket not in backend.buckets:
            return FAILED, f"ClientError: Failed to upload to the S3OutputPath {transform_output['S3OutputPath']}: the bucket does not exist"
        folder = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
        for key in keys:
            relative = key.removeprefix(folder)
            backend.put_object(output_bucket, f"{output_prefix.rstrip('/')}/{relative}.out".lstrip("/"), value=CANNED_OUTPUT.encode("utf-8"))
        return COMPLETED, ""
