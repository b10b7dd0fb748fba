"""Multi-model endpoints as plain data: where they run, how they scale, what they cost, how a model is addressed.
No CDK, SciPy or pydantic import.

A multi-model endpoint (`PrimaryContainer.Mode: MultiModel`) serves every model artifact under one S3 prefix from
one shared container: SageMaker downloads and loads a model on its first invocation (a cold load), keeps it while
memory lasts and unloads the least used when another needs room. A request names its model by its path under the
prefix (`TargetModel`). It fits many small models of one framework with similar size and latency, several of them
idle at any time; a model with much more traffic or a strict latency objective belongs on its own endpoint
(SageMaker developer guide, "Multi-model endpoints" and "Instance recommendations for multi-model endpoint
deployments").
"""

from __future__ import annotations

import math
import re

from loadmaster import limits
from loadmaster.scaling import MetricAlarm, Scaling, ScalableDimension, ScalingMetric, TargetTracking

# Instance metrics (LoadedModelCount, CPU, memory and GPU utilization) are published per instance in this namespace,
# the invocation and model loading metrics in AWS/SageMaker; both by EndpointName and VariantName, every minute
# (SageMaker developer guide, "SageMaker Multi-Model Endpoint Metrics"). CloudWatch has no per-model metric of a
# multi-model endpoint ("CloudWatch Metrics for Multi-Model Endpoint Deployments": "Per-model metrics aren't
# supported").
INSTANCE_METRICS_NAMESPACE = "/aws/sagemaker/Endpoints"
METRIC_PERIOD_S = 60
# The TargetModel header (botocore sagemaker-runtime service-2.json, TargetModelHeader): 1 to 1024 printable
# characters, the first not a space.
TARGET_MODEL_PATTERN = re.compile(r"^\S[\x20-\x7e]{0,1023}$")
# A model's path under the prefix when the portfolio names none: how AWS's examples store them.
DEFAULT_ARTIFACT_SUFFIX = ".tar.gz"


def instance_type_refusal(name: str, accelerator_kind: str | None) -> str | None:
    """Why a multi-model endpoint cannot run on the instance type `name` (None: it can). Every CPU type takes one;
    of the accelerated ones only the single-GPU types the Triton container supports (`limits`)."""
    if accelerator_kind is None or name in limits.MULTI_MODEL_GPU_INSTANCE_TYPES:
        return None
    families = sorted({type_name.split(".")[1] for type_name in limits.MULTI_MODEL_GPU_INSTANCE_TYPES})
    return (f"{name} is not an instance type multi-model endpoints run on: every CPU type, and of the accelerated "
            f"ones only single-GPU types of the {', '.join(families)} families with the Triton container")


def runs_on_gpu(accelerator_kind: str | None) -> bool:
    return accelerator_kind is not None


def gpu_utilization(target_percent: float) -> MetricAlarm:
    """GPUUtilization of the variant's instances, what a GPU multi-model endpoint also scales on (a customized
    metric: Application Auto Scaling has no predefined type for it). One GPU per instance, so 0 to 100 %."""
    return MetricAlarm(INSTANCE_METRICS_NAMESPACE, "GPUUtilization", "Average", METRIC_PERIOD_S, threshold=target_percent)


def multi_model_scaling(
    min_instances: int,
    max_instances: int,
    *,
    gpu: bool,
    invocations_per_instance: float = limits.DEFAULT_MULTI_MODEL_INVOCATIONS_PER_INSTANCE,
    gpu_utilization_percent: float = limits.DEFAULT_MULTI_MODEL_GPU_UTILIZATION_PERCENT,
    scale_in_cooldown_s: int = limits.DEFAULT_SCALE_IN_COOLDOWN_S,
    scale_out_cooldown_s: int = limits.DEFAULT_SCALE_OUT_COOLDOWN_S,
) -> Scaling:
    """The endpoint's instances between the bounds, tracking the invocations of all its models per instance and, on
    a GPU, the GPU's utilization too: whichever asks for more instances wins (the largest-capacity rule)."""
    tracking = [TargetTracking(ScalingMetric.INVOCATIONS_PER_INSTANCE, invocations_per_instance, scale_in_cooldown_s, scale_out_cooldown_s)]
    if gpu:
        tracking.append(TargetTracking(ScalingMetric.GPU_UTILIZATION, gpu_utilization_percent, scale_in_cooldown_s, scale_out_cooldown_s,
                                       custom_metric=gpu_utilization(gpu_utilization_percent)))
    return Scaling(ScalableDimension.INSTANCES, min_instances, max_instances, target_tracking=tuple(tracking))


def instances_for(invocations_per_minute: float, invocations_per_instance: float, *, min_instances: int, max_instances: int) -> int:
    """Instances the endpoint runs while its models together receive `invocations_per_minute`, at the scaling target
    per instance, within its bounds."""
    return max(min_instances, min(max_instances, math.ceil(invocations_per_minute / invocations_per_instance)))


def hourly_cost(price_per_instance_hour: float | None, instances: int) -> float | None:
    """What the endpoint costs per hour: its instances, whatever number of models they hold (Amazon SageMaker AI
    pricing, real-time inference, per instance-hour). An unknown price gives an unknown cost."""
    return None if price_per_instance_hour is None else price_per_instance_hour * instances


def one_endpoint_each_hourly(price_per_instance_hour: float | None, models: int) -> float | None:
    """What the same models would cost each alone on an endpoint of one instance of the type: the comparison of
    AWS's multi-model pricing example (10 models on 10 ml.c5.large endpoints, 10 x 0.102 = 1.02 USD/h)."""
    return hourly_cost(price_per_instance_hour, models)


def artifact_path(model: str, artifact: str | None) -> str:
    """A held model's path under the prefix, what callers send as TargetModel: as written, else `<model>.tar.gz`."""
    return artifact if artifact is not None else model + DEFAULT_ARTIFACT_SUFFIX


def target_model_problem(path: str) -> str | None:
    """Why `path` cannot be a TargetModel (relative to the prefix, as SageMaker joins them), None when it can."""
    if not TARGET_MODEL_PATTERN.match(path):
        return f"{path!r} is not a TargetModel: 1 to 1024 printable characters, the first not a space"
    if path.startswith("/") or path.endswith("/"):
        return f"{path!r} must name an artifact relative to the prefix: no leading or trailing /"
    return None
