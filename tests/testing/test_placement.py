"""Placement of inference-component copies on a variant's instances (loadmaster.testing.placement)."""

from __future__ import annotations

import pytest
from ic_givens import IMAGE, VARIANT, create_component, create_pool, error_of

from loadmaster.catalog import load_catalog
from loadmaster.testing import placements
from loadmaster.testing.placement import NOT_ENOUGH_HARDWARE, CopyRequirements, Fleet, NotEnoughHardware

G5_12XL = load_catalog()["ml.g5.12xlarge"]  # 4 GPUs, 48 vCPUs, 192 GiB
ONE_GPU = CopyRequirements(accelerators=1, cpu_cores=4, memory_mb=24_576)


def fleet(instances: int = 1, max_instances: int | None = None) -> Fleet:
    return Fleet.launch(G5_12XL, instances, instances, max_instances or instances)


def test_copies_fill_an_instance_up_to_its_accelerators():
    # Given / When
    pool = fleet()
    pool.place("blockgen", ONE_GPU, 4)
    # Then
    assert [instance.count("blockgen") for instance in pool.instances] == [4]


def test_a_copy_beyond_the_accelerators_of_a_fixed_fleet_raises_not_enough_hardware():
    pool = fleet()
    with pytest.raises(NotEnoughHardware, match="not enough hardware resources"):
        pool.place("blockgen", ONE_GPU, 5)


def test_a_copy_asking_more_accelerators_than_the_instance_type_has_never_fits_even_with_managed_scaling():
    pool = fleet(max_instances=4)
    with pytest.raises(NotEnoughHardware):
        pool.place("codegen-xl", CopyRequirements(accelerators=8, cpu_cores=1, memory_mb=1024), 1)
    assert len(pool.instances) == 1


@pytest.mark.parametrize(
    "copy",
    [CopyRequirements(accelerators=0, cpu_cores=49, memory_mb=1024), CopyRequirements(accelerators=0, cpu_cores=1, memory_mb=192 * 1024 + 1)],
    ids=["cpu", "memory"],
)
def test_cpu_and_memory_limit_placement_like_accelerators(copy):
    with pytest.raises(NotEnoughHardware):
        fleet().place("cpu-model", copy, 1)


def test_copies_on_a_cpu_instance_type_are_placed_by_cpu_cores_and_memory():
    # Given an ml.c5.xlarge fleet (no accelerators, 4 vCPUs, 8 GiB) that may grow to 2 instances
    pool = Fleet.launch(load_catalog()["ml.c5.xlarge"], 1, 1, 2)
    # When three CPU copies of 2 cores each are placed
    pool.place("classifier", CopyRequirements(accelerators=0, cpu_cores=2, memory_mb=504), 3)
    # Then two share the first instance and the third needs a second
    assert [instance.count("classifier") for instance in pool.instances] == [2, 1]


def test_managed_scaling_adds_instances_when_copies_need_room():
    pool = fleet(max_instances=3)
    pool.place("blockgen", ONE_GPU, 6)
    assert [instance.count("blockgen") for instance in pool.instances] == [4, 2]


def test_managed_scaling_never_goes_beyond_its_maximum():
    pool = fleet(max_instances=2)
    with pytest.raises(NotEnoughHardware):
        pool.place("blockgen", ONE_GPU, 9)
    assert len(pool.instances) == 1  # and the failed placement changed nothing


def test_a_failed_placement_keeps_the_copies_already_placed():
    pool = fleet()
    pool.place("blockgen", ONE_GPU, 2)
    with pytest.raises(NotEnoughHardware):
        pool.place("blockgen", ONE_GPU, 5)
    assert pool.copies_of("blockgen") == 2


def test_removing_copies_releases_empty_instances_down_to_the_minimum():
    pool = fleet(max_instances=3)
    pool.place("blockgen", ONE_GPU, 8)
    pool.remove("blockgen")
    assert len(pool.instances) == 1


def test_spread_puts_copies_of_one_component_on_different_instances():
    pool = fleet(instances=2)
    pool.place("blockgen", ONE_GPU, 2, strategy="SPREAD")
    assert [instance.count("blockgen") for instance in pool.instances] == [1, 1]


def test_binpack_fills_one_instance_before_the_next():
    pool = fleet(instances=2)
    pool.place("blockgen", ONE_GPU, 2, strategy="BINPACK")
    assert sorted(instance.count("blockgen") for instance in pool.instances) == [0, 2]


def test_the_api_rejects_a_component_that_does_not_fit_with_sagemakers_message(sagemaker_client, pool):
    assert error_of(lambda: create_component(sagemaker_client, "codegen-xl", accelerators=8)) == ("ValidationException", NOT_ENOUGH_HARDWARE)


def test_placements_show_every_instance_and_its_copies(sagemaker_client, pool, aws_region):
    # Given 5 one-GPU copies on a pool of one 4-GPU instance that may grow to 2
    create_component(sagemaker_client, "blockgen", copies=3)
    create_component(sagemaker_client, "flowgpt", copies=2)
    # When
    instances = placements(aws_region)
    # Then
    assert [(i.endpoint, i.variant, i.instance_type) for i in instances] == [(pool, VARIANT, "ml.g5.12xlarge")] * 2
    assert sum(sum(i.copies.values()) for i in instances) == 5
    assert sum(i.free_accelerators for i in instances) == 3
    assert sagemaker_client.describe_endpoint(EndpointName=pool)["ProductionVariants"][0]["CurrentInstanceCount"] == 2


def test_a_spec_with_binpack_scheduling_is_honoured_by_the_api(sagemaker_client, aws_region):
    # Given a pool of two instances
    create_pool(sagemaker_client, instances=2)
    # When
    sagemaker_client.create_inference_component(
        InferenceComponentName="blockgen",
        EndpointName="pool",
        VariantName=VARIANT,
        Specification={
            "Container": {"Image": IMAGE},
            "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024},
            "SchedulingConfig": {"PlacementStrategy": "BINPACK"},
        },
        RuntimeConfig={"CopyCount": 2},
    )
    # Then
    assert sorted(sum(i.copies.values()) for i in placements(aws_region)) == [0, 2]
