"""Endpoint configs and endpoints for inference components in loadmaster.testing."""

from __future__ import annotations

import pytest

from loadmaster.catalog import Catalog, load_catalog
from loadmaster.testing.sagemaker import models as sagemaker_models
from ic_givens import ARN_PREFIX, ENDPOINT, IMAGE, ROLE, VARIANT, create_component, create_pool, error_of, pool_variant, specification


@pytest.mark.parametrize("instance_type", ["ml.g5.12xlarge", "ml.g6.48xlarge", "ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.p5en.48xlarge"])
def test_endpoint_configs_accept_current_gpu_instance_types(sagemaker_client, instance_type):
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant(instance_type)])
    described = sagemaker_client.describe_endpoint_config(EndpointConfigName="pool")
    assert described["ProductionVariants"][0]["InstanceType"] == instance_type


def test_an_endpoint_config_keeps_managed_instance_scaling_routing_and_execution_role(sagemaker_client):
    # Given
    variant = {**pool_variant(max_instances=4), "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}}
    # When
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool", ExecutionRoleArn=ROLE, ProductionVariants=[variant])
    # Then
    described = sagemaker_client.describe_endpoint_config(EndpointConfigName="pool")
    assert described["ExecutionRoleArn"] == ROLE
    assert described["ProductionVariants"][0]["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 4}
    assert described["ProductionVariants"][0]["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}


def test_an_endpoint_config_with_an_unknown_instance_type_raises_validation_error(sagemaker_client):
    code, message = error_of(
        lambda: sagemaker_client.create_endpoint_config(EndpointConfigName="pool", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant("ml.g99.huge")])
    )
    assert code == "ValidationException"
    assert "Value 'ml.g99.huge' at 'instanceType' failed to satisfy constraint" in message and "ml.p5.48xlarge" in message


def test_a_model_less_variant_without_execution_role_raises_validation_error(sagemaker_client):
    code, message = error_of(lambda: sagemaker_client.create_endpoint_config(EndpointConfigName="pool", ProductionVariants=[pool_variant()]))
    assert code == "ValidationException" and "ExecutionRoleArn" in message


def test_managed_instance_scaling_on_a_variant_with_a_model_raises_validation_error(sagemaker_client):
    # Given
    sagemaker_client.create_model(ModelName="inline", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    variant = {**pool_variant(max_instances=2), "ModelName": "inline"}
    # When / Then
    code, message = error_of(lambda: sagemaker_client.create_endpoint_config(EndpointConfigName="inline", ProductionVariants=[variant]))
    assert code == "ValidationException" and "ManagedInstanceScaling" in message


def test_creating_an_endpoint_config_twice_raises_validation_error(sagemaker_client):
    create = lambda: sagemaker_client.create_endpoint_config(EndpointConfigName="pool", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant()])  # noqa: E731
    create()
    assert error_of(create) == ("ValidationException", f'Cannot create already existing endpoint configuration "{ARN_PREFIX}:endpoint-config/pool".')


def test_creating_an_endpoint_twice_raises_validation_error(sagemaker_client, pool):
    assert error_of(lambda: sagemaker_client.create_endpoint(EndpointName=pool, EndpointConfigName=f"{pool}-config")) == (
        "ValidationException",
        f'Cannot create already existing endpoint "{ARN_PREFIX}:endpoint/{pool}".',
    )


def test_an_endpoint_reports_its_instances_and_managed_scaling(sagemaker_client, pool):
    variant = sagemaker_client.describe_endpoint(EndpointName=pool)["ProductionVariants"][0]
    assert (variant["VariantName"], variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (VARIANT, 1, 1)
    assert variant["ManagedInstanceScaling"]["MaxInstanceCount"] == 2


def test_deleting_endpoint_with_attached_component_raises_validation_error(sagemaker_client, pool):
    # Given
    create_component(sagemaker_client, "blockgen")
    # When / Then
    assert error_of(lambda: sagemaker_client.delete_endpoint(EndpointName=pool)) == (
        "ValidationException",
        "Cannot delete endpoint with inference component associated",
    )


def test_deleting_endpoint_after_its_components_succeeds(sagemaker_client, pool):
    # Given
    create_component(sagemaker_client, "blockgen")
    sagemaker_client.delete_inference_component(InferenceComponentName="blockgen")
    # When
    sagemaker_client.delete_endpoint(EndpointName=pool)
    # Then
    assert sagemaker_client.list_endpoints()["Endpoints"] == []


def test_updating_an_endpoint_to_fewer_instances_than_its_components_need_raises_and_changes_nothing(sagemaker_client, pool):
    # Given 8 one-GPU copies on two 4-GPU instances, and a config of at most one
    create_component(sagemaker_client, "blockgen", copies=8)
    sagemaker_client.create_endpoint_config(EndpointConfigName="smaller", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant(max_instances=1)])
    # When / Then
    code, message = error_of(lambda: sagemaker_client.update_endpoint(EndpointName=pool, EndpointConfigName="smaller"))
    assert code == "ValidationException" and message.startswith("There is not enough hardware resources")
    assert sagemaker_client.describe_endpoint(EndpointName=pool)["EndpointConfigName"] == f"{pool}-config"


def test_a_component_on_an_instance_type_the_catalog_does_not_know_is_not_placed_by_guess(sagemaker_client, monkeypatch):
    # Given a catalog without ml.t2.medium, as the shipped one would be for a type a newer botocore adds (the shipped
    # catalog has every type of today's enum: tests/test_catalog.py)
    shipped = load_catalog()
    without = Catalog({name: instance for name, instance in shipped.instance_types.items() if name != "ml.t2.medium"}, shipped.sources)
    monkeypatch.setattr(sagemaker_models, "load_catalog", lambda: without)
    create_pool(sagemaker_client, instance_type="ml.t2.medium")
    # When / Then
    with pytest.raises(NotImplementedError, match="ml.t2.medium"):
        create_component(sagemaker_client, "tiny", accelerators=1, memory_mb=512)


def test_a_gpu_component_on_a_cpu_instance_type_finds_no_hardware(sagemaker_client):
    # Given ml.t2.medium: 2 vCPUs, 4 GiB, no accelerator
    create_pool(sagemaker_client, instance_type="ml.t2.medium")
    # When / Then
    code, message = error_of(lambda: create_component(sagemaker_client, "tiny", accelerators=1, memory_mb=512))
    assert code == "ValidationException" and message.startswith("There is not enough hardware resources")


def test_an_endpoint_hosting_components_refuses_an_update_to_another_instance_type(sagemaker_client, pool):
    # Given a component on the ml.g5.12xlarge pool
    create_component(sagemaker_client, "blockgen")
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool-g6", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant("ml.g6.12xlarge")])
    # When / Then
    code, message = error_of(lambda: sagemaker_client.update_endpoint(EndpointName=pool, EndpointConfigName="pool-g6"))
    assert code == "ValidationException"
    assert "cannot change from ml.g5.12xlarge to ml.g6.12xlarge while it hosts inference components" in message


def test_an_empty_inference_component_endpoint_may_change_instance_type(sagemaker_client, pool):
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool-g6", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant("ml.g6.12xlarge")])
    # When
    sagemaker_client.update_endpoint(EndpointName=pool, EndpointConfigName="pool-g6")
    # Then
    assert sagemaker_client.describe_endpoint(EndpointName=pool)["EndpointConfigName"] == "pool-g6"


def test_a_variant_registered_for_autoscaling_refuses_an_update_to_another_instance_type(sagemaker_client, autoscaling_client):
    # Given a dedicated endpoint whose variant is a scalable target
    sagemaker_client.create_model(ModelName="inline", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    for name, instance_type in (("inline-g5", "ml.g5.2xlarge"), ("inline-g6", "ml.g6.2xlarge")):
        sagemaker_client.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{"VariantName": VARIANT, "ModelName": "inline", "InstanceType": instance_type, "InitialInstanceCount": 1}])
    sagemaker_client.create_endpoint(EndpointName="inline", EndpointConfigName="inline-g5")
    autoscaling_client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=f"endpoint/inline/variant/{VARIANT}",
                                                ScalableDimension="sagemaker:variant:DesiredInstanceCount", MinCapacity=1, MaxCapacity=2)
    # When / Then
    code, message = error_of(lambda: sagemaker_client.update_endpoint(EndpointName="inline", EndpointConfigName="inline-g6"))
    assert code == "ValidationException"
    assert "while the variant is registered as a scalable target" in message
    # And once deregistered, as the developer guide says, the update goes through
    autoscaling_client.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=f"endpoint/inline/variant/{VARIANT}",
                                                  ScalableDimension="sagemaker:variant:DesiredInstanceCount")
    sagemaker_client.update_endpoint(EndpointName="inline", EndpointConfigName="inline-g6")


def test_the_endpoint_waiter_waits_while_the_endpoint_is_creating(sagemaker_client):
    from botocore.exceptions import WaiterError

    from loadmaster.testing import status_transitions

    # Given an endpoint that stays Creating for 3 describes
    with status_transitions(describes=3):
        create_pool(sagemaker_client)
    waiter = sagemaker_client.get_waiter("endpoint_in_service")
    # When the waiter gives up after 2 describes, then waits longer
    with pytest.raises(WaiterError):
        waiter.wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    waiter.wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    # Then
    assert sagemaker_client.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == "InService"


def test_an_endpoint_without_data_capture_is_described_without_it(sagemaker_client):
    create_pool(sagemaker_client)
    assert "DataCaptureConfig" not in sagemaker_client.describe_endpoint(EndpointName=ENDPOINT)
    assert "DataCaptureConfig" not in sagemaker_client.describe_endpoint_config(EndpointConfigName=f"{ENDPOINT}-config")


def test_a_model_without_a_vpc_is_described_without_one(sagemaker_client):
    sagemaker_client.create_model(ModelName="model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    assert "VpcConfig" not in sagemaker_client.describe_model(ModelName="model")


def test_a_heterogeneous_variant_runs_on_its_first_priority_instance_pool(sagemaker_client):
    # Given a model-less variant with two instance pools, ml.g5.12xlarge first
    pools = [{"InstanceType": "ml.p4d.24xlarge", "Priority": 2}, {"InstanceType": "ml.g5.12xlarge", "Priority": 1}]
    sagemaker_client.create_endpoint_config(
        EndpointConfigName="pool-config", ExecutionRoleArn=ROLE, ProductionVariants=[{"VariantName": VARIANT, "InitialInstanceCount": 1, "InstancePools": pools}]
    )
    sagemaker_client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="pool-config")
    # When a component of 4 GPUs is placed
    create_component(sagemaker_client, "blockgen", accelerators=4)
    # Then it fills the ml.g5.12xlarge, and the endpoint shows its instances per pool
    from loadmaster.testing import placements

    assert [(p.instance_type, p.copies) for p in placements("us-east-1")] == [("ml.g5.12xlarge", {"blockgen": 1})]
    variant = sagemaker_client.describe_endpoint(EndpointName=ENDPOINT)["ProductionVariants"][0]
    assert variant["InstancePools"] == [{"InstanceType": "ml.p4d.24xlarge", "CurrentInstanceCount": 0}, {"InstanceType": "ml.g5.12xlarge", "CurrentInstanceCount": 1}]


def test_an_instance_pool_of_an_unknown_instance_type_raises_validation_error(sagemaker_client):
    create = lambda: sagemaker_client.create_endpoint_config(  # noqa: E731
        EndpointConfigName="pool-config",
        ExecutionRoleArn=ROLE,
        ProductionVariants=[{"VariantName": VARIANT, "InitialInstanceCount": 1, "InstancePools": [{"InstanceType": "ml.g99.huge", "Priority": 1}]}],
    )
    code, message = error_of(create)
    assert code == "ValidationException" and "ml.g99.huge" in message


def test_an_unknown_instance_type_beside_instance_pools_raises_validation_error_too(sagemaker_client):
    pools = [{"InstanceType": "ml.g5.12xlarge", "Priority": 1}]
    code, message = error_of(lambda: sagemaker_client.create_endpoint_config(
        EndpointConfigName="pool-config", ExecutionRoleArn=ROLE,
        ProductionVariants=[{"VariantName": VARIANT, "InitialInstanceCount": 1, "InstanceType": "ml.g99.huge", "InstancePools": pools}],
    ))
    assert code == "ValidationException" and "ml.g99.huge" in message


def test_status_transitions_end_with_their_block(sagemaker_client):
    from loadmaster.testing import status_transitions

    # Given an endpoint created inside a block of 2 describes, and one created after it
    with status_transitions(describes=2):
        create_pool(sagemaker_client, name="inside")
    create_pool(sagemaker_client, name="after")
    # When / Then the one created after is in service at once
    assert sagemaker_client.describe_endpoint(EndpointName="after")["EndpointStatus"] == "InService"
    assert sagemaker_client.describe_endpoint(EndpointName="inside")["EndpointStatus"] == "Creating"


def test_nested_status_transitions_give_the_outer_count_back(sagemaker_client):
    from loadmaster.testing import status_transitions

    with status_transitions(describes=1):
        with status_transitions(describes=3):
            pass
        create_pool(sagemaker_client)
    statuses = [sagemaker_client.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] for _ in range(2)]
    assert statuses == ["Creating", "InService"]


def test_listing_endpoints_shows_their_status_without_bringing_it_closer_to_in_service(sagemaker_client):
    from loadmaster.testing import status_transitions

    with status_transitions(describes=1):
        create_pool(sagemaker_client)
    listed = [sagemaker_client.list_endpoints()["Endpoints"][0]["EndpointStatus"] for _ in range(2)]
    assert listed == ["Creating", "Creating"]
    assert [sagemaker_client.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] for _ in range(2)] == ["Creating", "InService"]


def test_updating_an_endpoint_keeps_its_creation_time_and_passes_through_updating(sagemaker_client, pool):
    from loadmaster.testing import status_transitions

    # Given
    created = sagemaker_client.describe_endpoint(EndpointName=pool)["CreationTime"]
    sagemaker_client.create_endpoint_config(EndpointConfigName="larger", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant(max_instances=3)])
    # When
    with status_transitions(describes=1):
        sagemaker_client.update_endpoint(EndpointName=pool, EndpointConfigName="larger")
    # Then
    described = [sagemaker_client.describe_endpoint(EndpointName=pool) for _ in range(2)]
    assert [d["EndpointStatus"] for d in described] == ["Updating", "InService"]
    assert described[0]["CreationTime"] == created
    assert described[0]["EndpointConfigName"] == "larger"


def test_after_an_update_to_a_larger_config_components_may_use_its_room(sagemaker_client, pool, aws_region):
    from loadmaster.testing import placements

    # Given 8 one-GPU copies filling the pool's two instances
    create_component(sagemaker_client, "blockgen", copies=8)
    sagemaker_client.create_endpoint_config(EndpointConfigName="larger", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant(max_instances=3)])
    # When the endpoint moves to a config of up to 3 instances
    sagemaker_client.update_endpoint(EndpointName=pool, EndpointConfigName="larger")
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 12})
    # Then the component's 12 copies run on 3 instances of the updated endpoint
    assert [sum(p.copies.values()) for p in placements(aws_region)] == [4, 4, 4]
    assert sagemaker_client.describe_endpoint(EndpointName=pool)["ProductionVariants"][0]["CurrentInstanceCount"] == 3


def test_updating_an_endpoint_with_an_adapter_on_it_keeps_the_adapter_on_its_base(sagemaker_client, pool, aws_region):
    # Given a base component and an adapter
    create_component(sagemaker_client, "blockgen", copies=2)
    sagemaker_client.create_inference_component(
        InferenceComponentName="apex", EndpointName=pool, VariantName=VARIANT,
        Specification={"BaseInferenceComponentName": "blockgen", "Container": {"ArtifactUrl": "s3://models/adapter.tar.gz"}},
    )
    sagemaker_client.create_endpoint_config(EndpointConfigName="larger", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant(max_instances=3)])
    # When
    sagemaker_client.update_endpoint(EndpointName=pool, EndpointConfigName="larger")
    # Then
    from loadmaster.testing import placements

    assert [p.copies for p in placements(aws_region)] == [{"blockgen": 2}]


def test_updating_an_endpoint_to_a_missing_config_raises_validation_error(sagemaker_client, pool):
    code, message = error_of(lambda: sagemaker_client.update_endpoint(EndpointName=pool, EndpointConfigName="missing"))
    assert code == "ValidationException" and message.startswith("Could not find endpoint configuration")
    assert sagemaker_client.describe_endpoint(EndpointName=pool)["EndpointConfigName"] == f"{pool}-config"


def test_updating_a_missing_endpoint_raises_validation_error(sagemaker_client, pool):
    code, message = error_of(lambda: sagemaker_client.update_endpoint(EndpointName="missing", EndpointConfigName=f"{pool}-config"))
    assert code == "ValidationException" and message.startswith("Could not find endpoint")


def test_an_endpoint_of_several_variants_refuses_an_instance_type_change_of_any_of_them(sagemaker_client):
    # Given an endpoint of two model-less variants with a component on the second
    def config(name: str, second_type: str) -> None:
        sagemaker_client.create_endpoint_config(EndpointConfigName=name, ExecutionRoleArn=ROLE, ProductionVariants=[
            {"VariantName": "first", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1},
            {"VariantName": "second", "InstanceType": second_type, "InitialInstanceCount": 1},
        ])

    config("two-variants", "ml.g5.12xlarge")
    sagemaker_client.create_endpoint(EndpointName="multi", EndpointConfigName="two-variants")
    sagemaker_client.create_inference_component(
        InferenceComponentName="blockgen", EndpointName="multi", VariantName="second", Specification=specification(), RuntimeConfig={"CopyCount": 1}
    )
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["VariantName"] == "second"
    config("second-on-g6", "ml.g6.12xlarge")
    # When the second variant's type changes and the first's does not / Then
    code, message = error_of(lambda: sagemaker_client.update_endpoint(EndpointName="multi", EndpointConfigName="second-on-g6"))
    assert code == "ValidationException" and "cannot change from ml.g5.12xlarge to ml.g6.12xlarge" in message


def test_an_endpoint_describes_each_variants_managed_scaling_and_routing(sagemaker_client):
    variant = {**pool_variant(max_instances=4), "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}}
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool-config", ExecutionRoleArn=ROLE, ProductionVariants=[variant])
    sagemaker_client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="pool-config")
    described = sagemaker_client.describe_endpoint(EndpointName=ENDPOINT)["ProductionVariants"][0]
    assert described["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 4}
    assert described["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}


def test_a_variant_without_an_initial_instance_count_starts_with_one_instance(sagemaker_client, aws_region):
    from loadmaster.testing import placements

    sagemaker_client.create_endpoint_config(EndpointConfigName="pool-config", ExecutionRoleArn=ROLE, ProductionVariants=[
        {"VariantName": VARIANT, "InstanceType": "ml.g5.12xlarge"}])
    sagemaker_client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="pool-config")
    assert len(placements(aws_region)) == 1


def test_managed_scaling_that_is_disabled_keeps_the_fleet_at_its_initial_instances(sagemaker_client):
    # Given a pool of one instance whose managed scaling is disabled
    variant = {**pool_variant(), "ManagedInstanceScaling": {"Status": "DISABLED", "MinInstanceCount": 1, "MaxInstanceCount": 4}}
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool-config", ExecutionRoleArn=ROLE, ProductionVariants=[variant])
    sagemaker_client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="pool-config")
    # When / Then a fifth one-GPU copy finds no room
    code, message = error_of(lambda: create_component(sagemaker_client, "blockgen", copies=5))
    assert message.startswith("There is not enough hardware resources")


@pytest.mark.parametrize("given, instances_after_removal", [({"MaxInstanceCount": 2}, 1), ({"MinInstanceCount": 0, "MaxInstanceCount": 2}, 0)],
                         ids=["minimum defaults to the initial count", "minimum given"])
def test_managed_scaling_releases_instances_down_to_its_minimum(sagemaker_client, given, instances_after_removal):
    # Given a pool of one instance, managed scaling enabled
    variant = {**pool_variant(), "ManagedInstanceScaling": {"Status": "ENABLED", **given}}
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool-config", ExecutionRoleArn=ROLE, ProductionVariants=[variant])
    sagemaker_client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="pool-config")
    # When a component grows the pool to two instances, then goes
    create_component(sagemaker_client, "blockgen", copies=5)
    sagemaker_client.delete_inference_component(InferenceComponentName="blockgen")
    # Then
    assert sagemaker_client.describe_endpoint(EndpointName=ENDPOINT)["ProductionVariants"][0]["CurrentInstanceCount"] == instances_after_removal


def test_managed_scaling_without_a_maximum_grows_no_instance(sagemaker_client):
    variant = {**pool_variant(), "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1}}
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool-config", ExecutionRoleArn=ROLE, ProductionVariants=[variant])
    sagemaker_client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="pool-config")
    assert error_of(lambda: create_component(sagemaker_client, "blockgen", copies=5))[1].startswith("There is not enough hardware resources")


def test_an_endpoints_tags_are_listed_by_its_arn(sagemaker_client, pool):
    arn = sagemaker_client.describe_endpoint(EndpointName=pool)["EndpointArn"]
    sagemaker_client.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "codegen"}])
    assert sagemaker_client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "codegen"}]


def test_updating_an_endpoint_places_a_component_by_its_specification_for_the_instance_type(sagemaker_client, pool, aws_region):
    from loadmaster.testing import placements

    # Given a component of two 2-GPU copies, by its specification for the pool's ml.g5.12xlarge
    sagemaker_client.create_inference_component(InferenceComponentName="blockgen", EndpointName=pool, VariantName=VARIANT, RuntimeConfig={"CopyCount": 2},
                                                Specifications=[{**specification(accelerators=2), "InstanceType": "ml.g5.12xlarge"}])
    sagemaker_client.create_endpoint_config(EndpointConfigName="larger", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant(max_instances=3)])
    # When
    sagemaker_client.update_endpoint(EndpointName=pool, EndpointConfigName="larger")
    # Then
    assert [p.free_accelerators for p in placements(aws_region)] == [0]


def test_an_endpoint_config_keeps_its_data_capture_key_async_config_and_tags(sagemaker_client):
    # Given
    key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 10, "DestinationS3Uri": "s3://capture/pool", "CaptureOptions": [{"CaptureMode": "Input"}]}
    asynchronous = {"OutputConfig": {"S3OutputPath": "s3://async/pool"}}
    # When
    arn = sagemaker_client.create_endpoint_config(
        EndpointConfigName="pool", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant()], KmsKeyId=key, DataCaptureConfig=capture,
        AsyncInferenceConfig=asynchronous, Tags=[{"Key": "team", "Value": "codegen"}],
    )["EndpointConfigArn"]
    # Then
    described = sagemaker_client.describe_endpoint_config(EndpointConfigName="pool")
    assert (described["EndpointConfigArn"], described["KmsKeyId"]) == (arn, key)
    assert described["DataCaptureConfig"]["DestinationS3Uri"] == "s3://capture/pool"
    assert described["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"] == "s3://async/pool"
    assert sagemaker_client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "codegen"}]


# Production variants by weight and shadow variants (issue 11 point 6)


def model_variant(name: str, model: str, instances: int = 1, weight: float = 1.0) -> dict:
    return {"VariantName": name, "ModelName": model, "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": instances, "InitialVariantWeight": weight}


@pytest.fixture
def two_models(sagemaker_client) -> tuple[str, str]:
    for name in ("current", "candidate"):
        sagemaker_client.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    return "current", "candidate"


def test_an_endpoint_lists_its_shadow_variant_with_its_instances(sagemaker_client, two_models):
    # Given a config with a production and a shadow variant
    sagemaker_client.create_endpoint_config(
        EndpointConfigName="ab", ProductionVariants=[model_variant("current", "current", 2)], ShadowProductionVariants=[model_variant("shadow", "candidate", 1, 0.5)]
    )
    # When
    sagemaker_client.create_endpoint(EndpointName="ab", EndpointConfigName="ab")
    # Then
    config = sagemaker_client.describe_endpoint_config(EndpointConfigName="ab")
    assert [variant["VariantName"] for variant in config["ShadowProductionVariants"]] == ["shadow"]
    endpoint = sagemaker_client.describe_endpoint(EndpointName="ab")
    assert [(variant["VariantName"], variant["CurrentInstanceCount"], variant["CurrentWeight"]) for variant in endpoint["ShadowProductionVariants"]] == [("shadow", 1, 0.5)]
    assert [variant["VariantName"] for variant in endpoint["ProductionVariants"]] == ["current"]


def test_a_config_without_a_shadow_variant_describes_none(sagemaker_client, two_models):
    sagemaker_client.create_endpoint_config(EndpointConfigName="ab", ProductionVariants=[model_variant("current", "current"), model_variant("candidate", "candidate")])
    sagemaker_client.create_endpoint(EndpointName="ab", EndpointConfigName="ab")

    assert "ShadowProductionVariants" not in sagemaker_client.describe_endpoint_config(EndpointConfigName="ab")
    assert "ShadowProductionVariants" not in sagemaker_client.describe_endpoint(EndpointName="ab")


def test_a_shadow_variant_beside_two_production_variants_raises_validation_error(sagemaker_client, two_models):
    code, message = error_of(lambda: sagemaker_client.create_endpoint_config(
        EndpointConfigName="ab", ProductionVariants=[model_variant("current", "current"), model_variant("candidate", "candidate")],
        ShadowProductionVariants=[model_variant("shadow", "candidate")],
    ))

    assert code == "ValidationException" and "exactly one production variant and one shadow variant, got 2 and 1" in message


def test_a_shadow_variant_named_like_the_production_variant_raises_validation_error(sagemaker_client, two_models):
    code, message = error_of(lambda: sagemaker_client.create_endpoint_config(
        EndpointConfigName="ab", ProductionVariants=[model_variant("current", "current")], ShadowProductionVariants=[model_variant("current", "candidate")],
    ))

    assert code == "ValidationException" and "unique" in message
