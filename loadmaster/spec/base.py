"""What every hosting's model shares: the strict, frozen base of every spec class, and the parts of a model that mean
the same on any hosting (image, artifact, traffic, startup, deployment, scaling's target and cooldowns).

The descriptions are what an editor shows on a key of the portfolio file (`loadmaster schema`).
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from loadmaster import limits
from loadmaster.catalog import Catalog
from loadmaster.naming import KMS_KEY_ARN, SAGEMAKER_NAME_MAX, SAGEMAKER_NAME_PATTERN

ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*)(:(?P<tag>[\w.-]+)|@sha256:[a-f0-9]{64})?$"
)
S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")

Name = Annotated[str, StringConstraints(pattern=SAGEMAKER_NAME_PATTERN)]
KmsKeyArn = Annotated[str, StringConstraints(pattern=KMS_KEY_ARN)]
Device = Literal["gpu", "neuron", "cpu"]  # catalog.GPU, NEURON, CPU



# What each hosting model's `hosting` key says in an editor.
HOSTING_DESCRIPTION = "The hosting pattern (inference-component by default; the schema lists every one), or auto: the planner chooses."


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CountRange(Spec):
    """How many copies or instances at least and at most; autoscaling moves between them."""

    min: int = Field(ge=0, le=limits.MAX_COUNT, description="At least this many (0: scale to zero, inference components only).")
    max: int = Field(ge=1, le=limits.MAX_COUNT, description="At most this many.")

    @model_validator(mode="after")
    def _min_not_above_max(self) -> "CountRange":
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Network(Spec):
    """Where an endpoint's instances run: a VPC's subnets and security groups, optionally cut off from the internet."""

    subnets: list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=1, max_length=limits.MAX_VPC_SUBNETS, description=f"The VPC subnets the instances run in (subnet-...), 1 to {limits.MAX_VPC_SUBNETS}.")
    security_groups: list[Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]] = Field(
        min_length=1, max_length=limits.MAX_VPC_SECURITY_GROUPS, description=f"The security groups of the instances (sg-...), 1 to {limits.MAX_VPC_SECURITY_GROUPS}.")
    isolation: bool = Field(default=False, description="EnableNetworkIsolation: the container makes no outbound calls at all. Default: false.")


ScalingMetric = Literal[
    "concurrent-requests-per-copy", "invocations-per-copy", "concurrent-requests-per-model", "invocations-per-instance"
]


class Scaling(Spec):
    """Target tracking on one of SageMaker's metrics; each hosting narrows `metric` to its own."""

    metric: ScalingMetric = Field(description="The metric autoscaling keeps at `target`.")
    target: float = Field(gt=0, le=1_000_000, description="The metric's value to keep, per copy, instance or model as the metric says.")
    scale_in_cooldown_s: int = Field(default=limits.DEFAULT_SCALE_IN_COOLDOWN_S, ge=0, le=limits.MAX_COOLDOWN_S,
                                     description=f"Seconds after a scale-in before the next one. Default: {limits.DEFAULT_SCALE_IN_COOLDOWN_S}.")
    scale_out_cooldown_s: int = Field(default=limits.DEFAULT_SCALE_OUT_COOLDOWN_S, ge=0, le=limits.MAX_COOLDOWN_S,
                                      description=f"Seconds after a scale-out before the next one. Default: {limits.DEFAULT_SCALE_OUT_COOLDOWN_S}.")


class FrameworkImage(Spec):
    """A Deep Learning Container resolved offline with the SageMaker Python SDK's image URIs."""

    framework: str = Field(min_length=1, description="The SageMaker Python SDK's framework name, such as djl-lmi or huggingface-llm.")
    version: str = Field(min_length=1, description="The framework's version, such as 0.29.0.")


class Traffic(Spec):
    """The model's traffic, for the planner to size copies and instances from."""

    pattern: Literal["steady", "variable", "intermittent", "batch"] = Field(description="The traffic's shape over a day.")
    mean_concurrency: float = Field(ge=0, le=1_000_000, description="Concurrent requests on average.")
    peak_concurrency: float = Field(ge=0, le=1_000_000, description="Concurrent requests at the peak.")
    # What the data-processed part of the bill is counted from (loadmaster/planner/bill.py). Without both sizes that
    # part of the bill is "not stated", never 0.
    requests_per_s: float | None = Field(default=None, gt=0, le=10_000_000, description=(
        "Requests per second at mean traffic, for the bill. Default: mean_concurrency / latency_slo_ms (Little's law, a floor)."))
    request_kb: float | None = Field(default=None, ge=0, le=1_000_000, description="Each request's payload in KB (10^3 bytes), for the bill.")
    response_kb: float | None = Field(default=None, ge=0, le=1_000_000, description="Each response's payload in KB (10^3 bytes), for the bill.")

    @model_validator(mode="after")
    def _mean_not_above_peak(self) -> "Traffic":
        if self.mean_concurrency > self.peak_concurrency:
            raise ValueError(f"mean_concurrency ({self.mean_concurrency:g}) is above peak_concurrency ({self.peak_concurrency:g})")
        return self


_STARTUP_LOW, _STARTUP_HIGH = limits.STARTUP_TIMEOUT_RANGE_S


class Request(Spec):
    """What one of the model's requests asks: what each hosting's limits are checked against and `hosting: auto`
    weighs (real-time endpoints take 6 MB within 60 s, asynchronous ones 1 GB within an hour: loadmaster.limits)."""

    payload_mb: float = Field(gt=0, le=1_000_000, description="The largest request payload in MB (10^6 bytes).")
    processing_s: float = Field(gt=0, le=86_400, description="The longest time one request takes to process, in seconds.")
    callers_wait_for_s3: bool = Field(default=False, description=(
        "Whether callers can take the result from S3 later (asynchronous inference) instead of in the response. Default: false."))


class Startup(Spec):
    """How long SageMaker waits for a copy or instance to start."""

    model_download_timeout_s: int = Field(default=limits.DEFAULT_STARTUP_TIMEOUT_S, ge=_STARTUP_LOW, le=_STARTUP_HIGH, description=(
        f"Seconds to download the artifact, {_STARTUP_LOW} to {_STARTUP_HIGH}. Default: {limits.DEFAULT_STARTUP_TIMEOUT_S}."))
    health_check_timeout_s: int = Field(default=limits.DEFAULT_STARTUP_TIMEOUT_S, ge=_STARTUP_LOW, le=_STARTUP_HIGH, description=(
        f"Seconds for the container to pass its first health check, {_STARTUP_LOW} to {_STARTUP_HIGH}. Default: {limits.DEFAULT_STARTUP_TIMEOUT_S}."))


_BATCH_LOW, _BATCH_HIGH = limits.BATCH_PERCENT_RANGE


class Deployment(Spec):
    """How a change rolls out, and what rolls it back.

    Inference components and dedicated endpoints update in batches of `batch_percent` of their copies or instances,
    waiting `wait_s` between batches; CloudWatch alarms on 5XX errors and on p90 model latency (`rollback_latency_ms`,
    default the model's `latency_slo_ms`) roll the change back.
    """

    strategy: Literal["rolling", "blue-green"] = Field(default="rolling", description="rolling (default), or blue-green on dedicated endpoints only.")
    batch_percent: int = Field(default=limits.DEFAULT_BATCH_PERCENT, ge=_BATCH_LOW, le=_BATCH_HIGH, description=(
        f"Percent of the copies or instances updated at a time, {_BATCH_LOW} to {_BATCH_HIGH}. Default: {limits.DEFAULT_BATCH_PERCENT}."))
    wait_s: int = Field(default=limits.DEFAULT_BATCH_WAIT_S, ge=limits.BATCH_WAIT_RANGE_S[0], le=limits.BATCH_WAIT_RANGE_S[1], description=(
        f"Seconds between batches, for the alarms to see the new version. Default: {limits.DEFAULT_BATCH_WAIT_S}."))
    rollback_errors_per_minute: int = Field(default=limits.DEFAULT_ROLLBACK_ERRORS_PER_MINUTE, ge=1, le=1_000_000, description=(
        f"5XX model errors a minute that roll the change back. Default: {limits.DEFAULT_ROLLBACK_ERRORS_PER_MINUTE}."))
    rollback_latency_ms: int | None = Field(default=None, gt=0, le=3_600_000, description=(
        f"p90 model latency in ms that rolls the change back. Default: the model's latency_slo_ms, else {limits.DEFAULT_ROLLBACK_LATENCY_MS}."))


class ModelSpec(Spec):
    """What every model has, whatever its hosting; each hosting's model (loadmaster.hostings) adds its own keys.

    The keys of another hosting read as None (or False) on a model, as ClassVars of its class: the planner reads any
    model alike.
    """

    name: Name = Field(description=f"The model's name; its SageMaker resources are named PORTFOLIO-NAME (at most {SAGEMAKER_NAME_MAX} characters).")
    image: str | FrameworkImage = Field(description=(
        "The serving container: an Amazon ECR image URI in the portfolio's region, or {framework, version} resolved offline."))
    artifact: str | None = Field(default=None, description="The model artifact, s3://bucket/key (a model.tar.gz). Default: none (the image holds the model).")
    environment: dict[str, str] = Field(default_factory=dict, description="Environment variables of the container.")
    startup: Startup = Field(default_factory=Startup, description="How long SageMaker waits for the model to start.")
    artifact_kms_key_arn: KmsKeyArn | None = Field(default=None, description=(
        "The KMS key ARN the artifact is encrypted with (SSE-KMS). Default: the portfolio's artifact_kms_key_arn."))
    deployment: Deployment = Field(default_factory=Deployment, description="How a change rolls out and what rolls it back.")
    size_gb: float | None = Field(default=None, gt=0, le=10_000, description="The model's weights in GB, for the planner to size copies and instance types from.")
    traffic: Traffic | None = Field(default=None, description="The model's traffic, for the planner to size from.")
    request: Request | None = Field(default=None, description=(
        "One request's payload and processing time, and whether callers can wait for the result in S3. Default: not stated (within real-time limits)."))
    latency_slo_ms: int | None = Field(default=None, gt=0, le=3_600_000, description=(
        "The latency objective in ms: below a cold start (about 5 min) the model never scales to zero."))
    devices: list[Device] | None = Field(default=None, min_length=1, description=(
        "The hardware the model runs on, for the planner to choose among. Default: inferred from per_copy, the instance type, the image and the size."))


def unknown_instance_type(name: str, catalog: Catalog) -> str:
    """Which known types the user probably meant: the sizes of the family named, else the closest spellings (the
    catalog has every SageMaker hosting type, too many to list)."""
    family = name.split(".")[1] if name.count(".") == 2 else None
    sizes = [instance.name.split(".")[2] for instance in catalog.instance_types.values() if instance.family == family]
    if sizes:
        return f"unknown instance type {name!r}; the catalog's ml.{family} sizes are {', '.join(sizes)}"
    close = difflib.get_close_matches(name, list(catalog.instance_types), n=3, cutoff=0.6)
    if close:
        return f"unknown instance type {name!r}; did you mean {' or '.join(close)}?"
    return f"unknown instance type {name!r}: not a SageMaker hosting instance type (they look like ml.g5.xlarge)"
