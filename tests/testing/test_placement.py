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


@pytest.mark.parametrize(
    "copy",
    [CopyRequirements(accelerators=4, cpu_cores=1, memory_mb=1024), CopyRequirements(accelerators=0, cpu_cores=48, memory_mb=1024),
     CopyRequirements(accelerators=0, cpu_cores=1, memory_mb=192 * 1024)],
    ids=["accelerators", "cpu", "memory"],
)
def test_a_copy_asking_exactly_what_the_instance_has_fits(copy):
    # Given an ml.g5.12xlarge: 4 GPUs, 48 vCPUs, 192 GiB; When / Then
    pool = fleet()
    pool.place("whole-instance", copy, 1)
    assert pool.copies_of("whole-instance") == 1


def test_copies_of_several_components_share_an_instance_up_to_its_memory():
    # Given two components of 96 GiB each: together exactly the instance's memory
    pool = fleet()
    half = CopyRequirements(accelerators=0, cpu_cores=1, memory_mb=96 * 1024)
    pool.place("ranker", half, 1)
    pool.place("embedder", half, 1)
    # When a third asks for a single MB more than is left, Then it finds no room
    with pytest.raises(NotEnoughHardware):
        pool.place("reranker", CopyRequirements(accelerators=0, cpu_cores=1, memory_mb=1), 1)
    assert [(instance.count("ranker"), instance.count("embedder"), instance.count("reranker")) for instance in pool.instances] == [(1, 1, 0)]


def test_spread_puts_a_copy_on_the_emptiest_of_the_instances_without_one():
    # Given two instances, the first holding two copies of another component
    pool = fleet(instances=2)
    pool.place("flowgpt", ONE_GPU, 2, strategy="BINPACK")
    # When one copy of a new component is spread
    pool.place("blockgen", ONE_GPU, 1, strategy="SPREAD")
    # Then it goes to the empty instance
    assert [(instance.count("flowgpt"), instance.count("blockgen")) for instance in pool.instances] == [(2, 0), (0, 1)]


def test_binpack_puts_copies_on_the_fullest_instance_that_has_room():
    # Given two instances, the first holding a copy of another component
    pool = fleet(instances=2)
    pool.place("flowgpt", ONE_GPU, 1)
    # When two copies are binpacked
    pool.place("blockgen", ONE_GPU, 2, strategy="BINPACK")
    # Then they join it, and the second instance stays empty
    assert [(instance.count("flowgpt"), instance.count("blockgen")) for instance in pool.instances] == [(1, 2), (0, 0)]


def test_scaling_a_component_in_releases_the_instances_it_emptied():
    # Given 8 copies binpacked on two instances of a pool that may shrink to one
    pool = fleet(max_instances=3)
    pool.place("blockgen", ONE_GPU, 8, strategy="BINPACK")
    # When the component goes down to 2 copies
    pool.place("blockgen", ONE_GPU, 2, strategy="BINPACK")
    # Then
    assert [instance.count("blockgen") for instance in pool.instances] == [2]


def test_placing_a_components_copies_again_keeps_the_instances_they_run_on():
    # Given 2 copies spread on a fleet of two instances that may shrink to one
    pool = Fleet.launch(G5_12XL, 2, 1, 2)
    pool.place("blockgen", ONE_GPU, 2)
    before = [instance.instance_id for instance in pool.instances]
    # When the same copies are placed again (an update that changes the image, say)
    pool.place("blockgen", ONE_GPU, 2)
    # Then no instance was released and launched anew
    assert [instance.instance_id for instance in pool.instances] == before == ["i-0001", "i-0002"]


def test_an_instance_launched_after_one_was_released_gets_a_new_id():
    # Given a fleet that grew to two instances and shrank back to one
    pool = fleet(max_instances=2)
    pool.place("blockgen", ONE_GPU, 5)
    pool.remove("blockgen")
    (kept,) = [instance.instance_id for instance in pool.instances]
    # When it grows again
    pool.place("blockgen", ONE_GPU, 5)
    # Then the new instance's id is one no instance of the fleet had
    assert [instance.instance_id for instance in pool.instances] == [kept, "i-0003"]


def test_a_failed_placement_on_a_growing_fleet_keeps_the_other_components_copies():
    # Given flowgpt's 3 copies on a fleet that may grow to two instances
    pool = fleet(max_instances=2)
    pool.place("flowgpt", ONE_GPU, 3)
    # When blockgen asks for more than the rest of two instances
    with pytest.raises(NotEnoughHardware):
        pool.place("blockgen", ONE_GPU, 6)
    # Then nothing changed
    assert [(instance.count("flowgpt"), instance.count("blockgen")) for instance in pool.instances] == [(3, 0)]


def test_free_accelerators_are_the_instances_less_what_its_copies_reserve():
    pool = fleet()
    pool.place("blockgen", CopyRequirements(accelerators=1.5, cpu_cores=1, memory_mb=1024), 1)
    assert pool.instances[0].free_accelerators == 2.5


def test_a_cpu_copy_that_names_no_accelerators_nor_cores_is_placed_by_its_memory(sagemaker_client, aws_region):
    # Given an ml.c5.xlarge pool (4 vCPUs, 8 GiB, no accelerator) and a spec that asks only for memory
    create_pool(sagemaker_client, instance_type="ml.c5.xlarge")
    spec = {"Container": {"Image": IMAGE}, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}}
    # When 8 copies of 1 GiB are asked
    sagemaker_client.create_inference_component(InferenceComponentName="classifier", EndpointName="pool", VariantName=VARIANT, Specification=spec, RuntimeConfig={"CopyCount": 8})
    # Then all fit on the one instance: no CPU core and no accelerator is reserved for them
    assert [instance.copies for instance in placements(aws_region)] == [{"classifier": 8}]


def test_placements_list_the_instances_of_every_endpoint(sagemaker_client, aws_region):
    # Given two endpoints, a component on each
    create_pool(sagemaker_client, name="a10g")
    create_pool(sagemaker_client, name="cpu", instance_type="ml.c5.xlarge")
    create_component(sagemaker_client, "blockgen", endpoint="a10g", accelerators=1)
    sagemaker_client.create_inference_component(
        InferenceComponentName="classifier", EndpointName="cpu", VariantName=VARIANT,
        Specification={"Container": {"Image": IMAGE}, "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 2},
    )
    # When / Then
    assert [(p.endpoint, p.variant, p.instance_id, p.instance_type, p.copies, p.free_accelerators) for p in placements(aws_region)] == [
        ("a10g", VARIANT, "i-0001", "ml.g5.12xlarge", {"blockgen": 1}, 3),
        ("cpu", VARIANT, "i-0001", "ml.c5.xlarge", {"classifier": 2}, 0),
    ]


def test_a_components_cpu_cores_limit_its_copies_on_a_cpu_instance(sagemaker_client):
    # Given one ml.c5.xlarge (4 vCPUs, 8 GiB) and copies of 2 cores and 1 GiB each
    create_pool(sagemaker_client, instance_type="ml.c5.xlarge")
    spec = {"Container": {"Image": IMAGE}, "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 2, "MinMemoryRequiredInMb": 1024}}
    create = lambda copies: sagemaker_client.create_inference_component(  # noqa: E731
        InferenceComponentName=f"classifier-{copies}", EndpointName="pool", VariantName=VARIANT, Specification=spec, RuntimeConfig={"CopyCount": copies}
    )
    # When / Then a third copy finds no room, though memory would hold 8
    assert error_of(lambda: create(3)) == ("ValidationException", NOT_ENOUGH_HARDWARE)
    create(2)


def test_spread_prefers_an_instance_without_a_copy_of_the_component_to_a_freer_one_with_one():
    # Given two instances: the first nearly full of another component
    pool = fleet(instances=2)
    pool.place("flowgpt", ONE_GPU, 3, strategy="BINPACK")
    # When two copies are spread
    pool.place("blockgen", ONE_GPU, 2)
    # Then one goes to each instance, though the second has more room
    assert [instance.count("blockgen") for instance in pool.instances] == [1, 1]
