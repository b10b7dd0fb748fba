"""loadmaster.multi_model: where a multi-model endpoint runs, how it scales and what it costs, as plain data."""

from __future__ import annotations

import pytest

from loadmaster.catalog import load_catalog
from loadmaster.multi_model import (
    artifact_path,
    hourly_cost,
    instance_type_refusal,
    instances_for,
    multi_model_scaling,
    one_endpoint_each_hourly,
    target_model_problem,
)
from loadmaster.scaling import ScalableDimension, ScalingMetric


def refusal(name: str) -> str | None:
    return instance_type_refusal(name, load_catalog()[name].accelerator_kind)


def test_the_seeds_pricing_example_ten_models_alone_cost_ten_times_one_multi_model_endpoint():
    price = load_catalog()["ml.c5.large"].price_usd_per_hour

    assert price == 0.102
    assert one_endpoint_each_hourly(price, models=10) == pytest.approx(1.02)
    assert hourly_cost(price, instances=1) == pytest.approx(0.102)


def test_an_unknown_price_is_an_unknown_cost_never_zero():
    assert (hourly_cost(None, 1), one_endpoint_each_hourly(None, 10)) == (None, None)


@pytest.mark.parametrize("name", ["ml.c5.large", "ml.m5.xlarge", "ml.r5.2xlarge", "ml.g5.2xlarge", "ml.g4dn.16xlarge", "ml.p3.2xlarge"])
def test_cpu_types_and_the_single_gpu_types_of_triton_take_a_multi_model_endpoint(name):
    assert refusal(name) is None


@pytest.mark.parametrize("name", ["ml.g5.12xlarge", "ml.g6.xlarge", "ml.p4d.24xlarge", "ml.inf2.xlarge", "ml.dl1.24xlarge"])
def test_other_accelerated_types_are_refused_naming_the_families_that_are_not(name):
    assert refusal(name) == (f"{name} is not an instance type multi-model endpoints run on: every CPU type, and of the accelerated ones only "
                             "single-GPU types of the g4dn, g5, p2, p3 families with the Triton container")


def test_on_a_cpu_the_instances_track_invocations_per_instance_only():
    scaling = multi_model_scaling(1, 4, gpu=False)

    assert (scaling.dimension, scaling.min, scaling.max) == (ScalableDimension.INSTANCES, 1, 4)
    assert [(policy.metric, policy.target, policy.custom_metric) for policy in scaling.target_tracking] == [(ScalingMetric.INVOCATIONS_PER_INSTANCE, 70.0, None)]


def test_on_a_gpu_the_instances_also_track_gpu_utilization_as_a_customized_metric():
    scaling = multi_model_scaling(2, 6, gpu=True, invocations_per_instance=100, gpu_utilization_percent=75)

    invocations, gpu = scaling.target_tracking
    assert (invocations.metric, invocations.target) == (ScalingMetric.INVOCATIONS_PER_INSTANCE, 100)
    assert (gpu.metric, gpu.target, gpu.custom_metric.namespace, gpu.custom_metric.metric_name, gpu.custom_metric.statistic) == (
        ScalingMetric.GPU_UTILIZATION, 75, "/aws/sagemaker/Endpoints", "GPUUtilization", "Average"
    )


@pytest.mark.parametrize("per_minute, expected", [(0, 1), (70, 1), (71, 2), (350, 5), (10_000, 6)])
def test_instances_follow_the_invocations_of_all_models_within_the_bounds(per_minute, expected):
    assert instances_for(per_minute, 70, min_instances=1, max_instances=6) == expected


def test_a_held_model_is_addressed_by_its_path_under_the_prefix_by_default_its_name_dot_tar_gz():
    assert (artifact_path("shop-1", None), artifact_path("shop-1", "team-a/shop-1/model.tar.gz")) == ("shop-1.tar.gz", "team-a/shop-1/model.tar.gz")


@pytest.mark.parametrize("path, problem", [
    ("/shop-1.tar.gz", "'/shop-1.tar.gz' must name an artifact relative to the prefix: no leading or trailing /"),
    ("team-a/", "'team-a/' must name an artifact relative to the prefix: no leading or trailing /"),
    (" shop.tar.gz", "' shop.tar.gz' is not a TargetModel: 1 to 1024 printable characters, the first not a space"),
    ("a" * 1025, f"{'a' * 1025!r} is not a TargetModel: 1 to 1024 printable characters, the first not a space"),
])
def test_a_path_that_cannot_be_a_target_model_is_named_with_the_reason(path, problem):
    assert target_model_problem(path) == problem


def test_a_path_of_1024_characters_can_be_a_target_model():
    assert target_model_problem("a" * 1024) is None
