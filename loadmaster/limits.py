"""SageMaker's limits and loadmaster's defaults, each in one place with where its figure comes from.

First the per-account quotas a plan can run into, then SageMaker's documented ranges (per copy, startup, rolling
updates, region names), loadmaster's own bounds and its defaults.

A quota holds per account and region, for every endpoint there (other teams' too). A deploy or a scale-out beyond it
fails as a whole: "The account-level service limit 'ml.m4.xlarge for endpoint usage' is 0 Instances, with current
utilization of 0 Instances and a request delta of 1 Instances" (ResourceLimitExceeded; aws/amazon-sagemaker-examples
issue 307, awsdocs/amazon-sagemaker-developer-guide issue 70).

AWS lists the defaults in the General Reference ("Amazon SageMaker AI endpoints and quotas") and in the Service Quotas
console (service code `sagemaker`), and says an account's applied values may differ; new accounts have been reported
at 0 instances for types the documentation gives a default for (aws/amazon-sagemaker-examples issue 593). We could
not read a default from the documentation that holds for every account, so the figures below are loadmaster's
warning thresholds, not AWS's numbers: a portfolio states its account's applied values under `quotas:` (the keys
below), and the warnings compare with those instead (docs/aws-facts.md, "Warnings").

SageMaker's name rule and the form of a KMS key's ARN are in `loadmaster.naming`, with the names they check;
CloudFormation's 500 resources per stack in `stacks.partition`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    key: str  # its key under the portfolio's `quotas:`
    name: str  # what the Service Quotas console calls it
    warn_above: int  # loadmaster's threshold when the portfolio states no value (not an AWS default)


# Instances of one type across the account's endpoints.
INSTANCES_OF_A_TYPE_WARN_ABOVE = 4


def instances_of_type(instance_type: str) -> Quota:
    return Quota(instance_type, f"{instance_type} for endpoint usage", INSTANCES_OF_A_TYPE_WARN_ABOVE)


INSTANCES = Quota("instances", "instances across all endpoints", 20)
ENDPOINTS = Quota("endpoints", "endpoints", 100)
NAMED_QUOTAS = (INSTANCES, ENDPOINTS)



# SageMaker's documented limits: the portfolio's ranges, the constructs' checks and the plan read them here.

# ComputeResourceRequirements of an inference component: MinMemoryRequiredInMb >= 128, NumberOfCpuCoresRequired >= 0.25
# (CloudFormation resource schema AWS::SageMaker::InferenceComponent; cfn-lint checks the same range offline).
MIN_MEMORY_PER_COPY_MB = 128
MIN_CPU_CORES_PER_COPY = 0.25
# StartupParameters (inference components) and the production variant's ModelDataDownloadTimeoutInSeconds and
# ContainerStartupHealthCheckTimeoutInSeconds accept 60 to 3600 seconds (same schema; SageMaker API reference,
# ProductionVariant).
STARTUP_TIMEOUT_RANGE_S = (60, 3600)
# A rolling update's MaximumBatchSize of type CAPACITY_PERCENT: 5 to 50 % of the copies or instances (SageMaker API
# reference, InferenceComponentRollingUpdatePolicy and RollingUpdatePolicy).
BATCH_PERCENT_RANGE = (5, 50)
# WaitIntervalInSeconds between batches: 0 to 3600 s (same policies).
BATCH_WAIT_RANGE_S = (0, 3600)
# An endpoint's VpcConfig: 1 to 16 subnets and 1 to 5 security groups (SageMaker API reference, VpcConfig).
MAX_VPC_SUBNETS = 16
MAX_VPC_SECURITY_GROUPS = 5
# What one request may ask of each hosting ("Inference options in Amazon SageMaker AI"; MB are 10^6 bytes): a real-time
# endpoint takes payloads up to 6 MB (botocore sagemaker-runtime, InvokeEndpoint Body: 6,291,456 bytes) processed
# within 60 s; an asynchronous endpoint payloads up to 1 GB processed for up to an hour (InvokeEndpointAsync
# InvocationTimeoutSeconds 1..3600, default 15 min; RequestTTLSeconds 60..21600 in the queue; an inline Body of
# at most 128,000 bytes instead of an S3 InputLocation).
REAL_TIME_MAX_PAYLOAD_MB = 6.291456
REAL_TIME_MAX_PROCESSING_S = 60
ASYNC_MAX_PAYLOAD_MB = 1000
ASYNC_MAX_PROCESSING_S = 3600
# AsyncInferenceClientConfig.MaxConcurrentInvocationsPerInstance (botocore sagemaker service-2.json); unset, "SageMaker
# chooses an optimal value", which the planner counts as 1.
ASYNC_MAX_CONCURRENT_INVOCATIONS_RANGE = (1, 1000)
# A model's Containers: at most 15 (botocore sagemaker service-2.json, ContainerDefinitionList max 15; SageMaker
# developer guide, "Create a multi-container endpoint": "a limit of up to 15 containers"); a serial inference
# pipeline has 2 to 15 ("Inference pipelines in Amazon SageMaker AI"), a multi-container endpoint "more than one".
MAX_CONTAINERS_PER_MODEL = 15
MIN_PIPELINE_CONTAINERS = 2
# A region's name as AWS writes them (us-east-1, us-gov-west-1, ap-southeast-2); which ones exist is
# `loadmaster.regions`' to say, from botocore.
REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"

# loadmaster's bounds: far beyond any real value, they only turn a typo (a misplaced zero) into an error.
MAX_MEMORY_PER_COPY_MB = 4_194_304  # 4 TiB, above the host memory of any SageMaker instance type
MAX_COOLDOWN_S = 86_400  # a day
# Copies or instances of one model at most; computed counts above it are refused too, not packed.
MAX_COUNT = 10_000

# loadmaster's defaults, when the portfolio says nothing.

# Target tracking cooldowns: 300 s in, 60 s out (scale out fast, scale in slowly; AWS's faster-autoscaling example
# notebook uses 300 s both ways, docs/aws-facts.md).
DEFAULT_SCALE_IN_COOLDOWN_S = 300
DEFAULT_SCALE_OUT_COOLDOWN_S = 60
# Startup timeouts: SageMaker's maximum, so that a large artifact is not cut off while it downloads.
DEFAULT_STARTUP_TIMEOUT_S = STARTUP_TIMEOUT_RANGE_S[1]
# Rolling updates: a quarter of the copies or instances at a time, a minute between batches, rolled back at 5 model
# errors a minute or p90 latency above the model's `latency_slo_ms` (else DEFAULT_ROLLBACK_LATENCY_MS).
DEFAULT_BATCH_PERCENT = 25
DEFAULT_BATCH_WAIT_S = 60
DEFAULT_ROLLBACK_ERRORS_PER_MINUTE = 5
DEFAULT_ROLLBACK_LATENCY_MS = 10_000
# Asynchronous endpoints track 5 queued requests per instance, the developer guide's example ("Autoscale an
# asynchronous endpoint").
DEFAULT_BACKLOG_PER_INSTANCE = 5.0
