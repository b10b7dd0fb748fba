"""The inference-component API of loadmaster.testing, one behaviour per test, as moto tests itself."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from freezegun import freeze_time

from ic_givens import ARN_PREFIX, ENDPOINT, IMAGE, ROLE, VARIANT, create_component, create_pool, error_of, specification

CREATED = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def test_creating_a_component_returns_its_arn(sagemaker_client, pool):
    # When
    arn = create_component(sagemaker_client, "blockgen")
    # Then
    assert arn == f"{ARN_PREFIX}:inference-component/blockgen"


def test_describing_a_component_shows_its_endpoint_specification_and_placed_copies(sagemaker_client, pool):
    # Given
    create_component(sagemaker_client, "blockgen", copies=2)
    # When
    component = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")
    # Then
    assert component["InferenceComponentStatus"] == "InService"
    assert (component["EndpointName"], component["EndpointArn"], component["VariantName"]) == (ENDPOINT, f"{ARN_PREFIX}:endpoint/{ENDPOINT}", VARIANT)
    assert component["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == IMAGE
    assert component["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 8192
    assert component["RuntimeConfig"]["DesiredCopyCount"] == component["RuntimeConfig"]["CurrentCopyCount"] == 2
    assert component["RuntimeConfig"]["PlacementStatus"] == [{"InstanceType": "ml.g5.12xlarge", "CurrentCopyCount": 2}]


def test_creating_a_component_twice_raises_validation_error(sagemaker_client, pool):
    # Given
    create_component(sagemaker_client, "blockgen")
    # When / Then
    assert error_of(lambda: create_component(sagemaker_client, "blockgen")) == (
        "ValidationException",
        f'Cannot create already existing inference component "{ARN_PREFIX}:inference-component/blockgen".',
    )


def test_creating_a_component_on_an_unknown_endpoint_raises_validation_error(sagemaker_client):
    code, message = error_of(lambda: create_component(sagemaker_client, "blockgen", endpoint="missing"))
    assert code == "ValidationException"
    assert message.startswith("Could not find endpoint") and f"{ARN_PREFIX}:endpoint/missing" in message


def test_creating_a_component_on_an_unknown_variant_raises_validation_error(sagemaker_client, pool):
    code, message = error_of(
        lambda: sagemaker_client.create_inference_component(
            InferenceComponentName="blockgen", EndpointName=pool, VariantName="Other", Specification=specification(), RuntimeConfig={"CopyCount": 1}
        )
    )
    assert code == "ValidationException" and '"Other"' in message


def test_creating_a_component_with_zero_copies_raises_validation_error(sagemaker_client, pool):
    assert error_of(lambda: create_component(sagemaker_client, "blockgen", copies=0)) == (
        "ValidationException",
        "Inference components copy count an integer larger than 0",
    )


def test_creating_a_component_with_less_than_128_mb_raises_validation_error(sagemaker_client, pool, aws_region):
    # Given a caller that does not validate on its side, as CloudFormation
    unvalidated = boto3.client("sagemaker", region_name=aws_region, config=Config(parameter_validation=False))
    # When / Then
    code, message = error_of(lambda: create_component(unvalidated, "blockgen", memory_mb=64))
    assert code == "ValidationException"
    assert "'specification.computeResourceRequirements.minMemoryRequiredInMb'" in message
    assert "greater than or equal to 128" in message


def test_creating_a_component_without_compute_requirements_raises_validation_error(sagemaker_client, pool):
    code, message = error_of(
        lambda: sagemaker_client.create_inference_component(
            InferenceComponentName="blockgen", EndpointName=pool, VariantName=VARIANT, Specification={"Container": {"Image": IMAGE}}, RuntimeConfig={"CopyCount": 1}
        )
    )
    assert code == "ValidationException" and "minMemoryRequiredInMb" in message and "must not be null" in message


def test_creating_a_component_on_an_endpoint_that_serves_a_model_raises_validation_error(sagemaker_client):
    # Given a classic endpoint: its variant has a ModelName
    sagemaker_client.create_model(ModelName="inline", ExecutionRoleArn="arn:aws:iam::123456789012:role/r", PrimaryContainer={"Image": IMAGE})
    sagemaker_client.create_endpoint_config(
        EndpointConfigName="inline", ProductionVariants=[{"VariantName": VARIANT, "ModelName": "inline", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}]
    )
    sagemaker_client.create_endpoint(EndpointName="inline", EndpointConfigName="inline")
    # When / Then
    code, message = error_of(lambda: create_component(sagemaker_client, "blockgen", endpoint="inline"))
    assert code == "ValidationException" and "cannot host inference components" in message


def test_describing_an_unknown_component_raises_validation_error(sagemaker_client):
    assert error_of(lambda: sagemaker_client.describe_inference_component(InferenceComponentName="missing")) == (
        "ValidationException",
        f'Could not find inference component "{ARN_PREFIX}:inference-component/missing".',
    )


def test_listing_components_filters_by_endpoint_name_and_variant(sagemaker_client, pool):
    # Given two endpoints with components
    create_pool(sagemaker_client, name="other")
    create_component(sagemaker_client, "blockgen")
    create_component(sagemaker_client, "flowgpt")
    create_component(sagemaker_client, "textevel", endpoint="other")

    def names(**filters) -> list[str]:
        return sorted(c["InferenceComponentName"] for c in sagemaker_client.list_inference_components(**filters)["InferenceComponents"])

    # Then
    assert names() == ["blockgen", "flowgpt", "textevel"]
    assert names(EndpointNameEquals="other") == ["textevel"]
    assert names(NameContains="gen") == ["blockgen"]
    assert names(VariantNameEquals=VARIANT, StatusEquals="InService") == ["blockgen", "flowgpt", "textevel"]
    assert names(VariantNameEquals="Other") == []


def test_listing_components_sorts_newest_first_unless_told_otherwise(sagemaker_client, pool):
    # Given
    for name in ("b", "c", "a"):
        create_component(sagemaker_client, name)

    def listed(**order) -> list[str]:
        return [c["InferenceComponentName"] for c in sagemaker_client.list_inference_components(**order)["InferenceComponents"]]

    # Then
    assert listed() == ["a", "c", "b"]
    assert listed(SortBy="Name", SortOrder="Ascending") == ["a", "b", "c"]


def test_listing_components_pages_with_max_results(sagemaker_client, pool):
    # Given
    for name in ("a", "b", "c"):
        create_component(sagemaker_client, name)
    # When
    first = sagemaker_client.list_inference_components(MaxResults=2)
    second = sagemaker_client.list_inference_components(MaxResults=2, NextToken=first["NextToken"])
    # Then
    assert len(first["InferenceComponents"]) == 2 and len(second["InferenceComponents"]) == 1
    assert "NextToken" not in second


def test_updating_a_component_changes_its_image_and_copies_and_when_it_was_last_modified(sagemaker_client, pool):
    # Given a component created at ten
    with freeze_time(CREATED):
        create_component(sagemaker_client, "blockgen")
    # When it is updated an hour later
    with freeze_time(CREATED + timedelta(hours=1)):
        sagemaker_client.update_inference_component(
            InferenceComponentName="blockgen", Specification=specification(image=f"{IMAGE}-v2"), RuntimeConfig={"CopyCount": 3}
        )
    # Then
    component = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")
    assert component["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == f"{IMAGE}-v2"
    assert component["RuntimeConfig"]["CurrentCopyCount"] == 3
    assert (component["CreationTime"], component["LastModifiedTime"]) == (CREATED, CREATED + timedelta(hours=1))


def test_updating_the_runtime_config_sets_desired_and_current_copies(sagemaker_client, pool):
    # Given
    create_component(sagemaker_client, "blockgen")
    # When
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 4})
    # Then
    runtime = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]
    assert (runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]) == (4, 4)


def test_updating_the_runtime_config_to_zero_copies_scales_the_pool_down_to_its_minimum_instances(sagemaker_client):
    # Given a pool that may scale to zero instances, with one component on it
    sagemaker_client.create_endpoint_config(EndpointConfigName="pool-config", ExecutionRoleArn=ROLE, ProductionVariants=[
        {"VariantName": VARIANT, "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1,
         "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2}}])
    sagemaker_client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="pool-config")
    create_component(sagemaker_client, "blockgen")
    # When autoscaling sets its copy count to 0, as scale to zero does
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 0})
    # Then no copy is left, and neither is an instance
    runtime = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]
    assert (runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]) == (0, 0)
    assert sagemaker_client.describe_endpoint(EndpointName=ENDPOINT)["ProductionVariants"][0]["CurrentInstanceCount"] == 0


def test_updating_an_unknown_component_raises_validation_error(sagemaker_client):
    code, message = error_of(
        lambda: sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="missing", DesiredRuntimeConfig={"CopyCount": 1})
    )
    assert code == "ValidationException" and message.startswith("Could not find inference component")


def test_deleting_a_component_removes_it_and_frees_its_instances(sagemaker_client):
    # Given a pool that cannot grow, filled by one component's four one-GPU copies
    create_pool(sagemaker_client)
    create_component(sagemaker_client, "blockgen", copies=4)
    # When
    sagemaker_client.delete_inference_component(InferenceComponentName="blockgen")
    # Then the component is gone, and its four GPUs take another component's copies
    assert sagemaker_client.list_inference_components()["InferenceComponents"] == []
    create_component(sagemaker_client, "flowgpt", copies=4)
    placement = sagemaker_client.describe_inference_component(InferenceComponentName="flowgpt")["RuntimeConfig"]["PlacementStatus"]
    assert placement == [{"InstanceType": "ml.g5.12xlarge", "CurrentCopyCount": 4}]


def test_deleting_an_unknown_component_raises_validation_error(sagemaker_client):
    code, _ = error_of(lambda: sagemaker_client.delete_inference_component(InferenceComponentName="missing"))
    assert code == "ValidationException"


def test_a_components_tags_can_be_added_listed_and_deleted_by_its_arn(sagemaker_client, pool):
    # Given
    arn = create_component(sagemaker_client, "blockgen")
    # When
    sagemaker_client.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "codegen"}, {"Key": "tier", "Value": "gold"}])
    sagemaker_client.delete_tags(ResourceArn=arn, TagKeys=["tier"])
    # Then
    assert sagemaker_client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "codegen"}]


def adapter_specification(base: str = "blockgen") -> dict:
    return {"BaseInferenceComponentName": base, "Container": {"ArtifactUrl": "s3://models/adapter.tar.gz"}}


def test_an_adapter_runs_on_its_base_components_copies(sagemaker_client, pool):
    # Given
    create_component(sagemaker_client, "blockgen", copies=2)
    # When
    sagemaker_client.create_inference_component(InferenceComponentName="apex", EndpointName=pool, VariantName=VARIANT, Specification=adapter_specification())
    # Then it takes no room of its own and shows no copies of its own
    adapter = sagemaker_client.describe_inference_component(InferenceComponentName="apex")
    assert adapter["Specification"]["BaseInferenceComponentName"] == "blockgen" and "RuntimeConfig" not in adapter
    assert placements_copies(pool) == {"blockgen": 2}


def placements_copies(endpoint: str) -> dict[str, int]:
    from loadmaster.testing import placements

    totals: dict[str, int] = {}
    for instance in placements("us-east-1"):
        for name, count in instance.copies.items():
            totals[name] = totals.get(name, 0) + count
    return totals


def test_an_adapter_on_a_missing_base_raises_validation_error(sagemaker_client, pool):
    create = lambda: sagemaker_client.create_inference_component(  # noqa: E731
        InferenceComponentName="apex", EndpointName=pool, VariantName=VARIANT, Specification=adapter_specification("missing")
    )
    code, message = error_of(create)
    assert code == "ValidationException" and '"missing"' in message


def test_an_adapter_with_compute_requirements_raises_validation_error(sagemaker_client, pool):
    create_component(sagemaker_client, "blockgen")
    spec = {**adapter_specification(), "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}}
    create = lambda: sagemaker_client.create_inference_component(InferenceComponentName="apex", EndpointName=pool, VariantName=VARIANT, Specification=spec)  # noqa: E731
    assert error_of(create)[0] == "ValidationException"


def test_a_base_component_cannot_be_deleted_while_an_adapter_uses_it(sagemaker_client, pool):
    create_component(sagemaker_client, "blockgen")
    sagemaker_client.create_inference_component(InferenceComponentName="apex", EndpointName=pool, VariantName=VARIANT, Specification=adapter_specification())
    code, message = error_of(lambda: sagemaker_client.delete_inference_component(InferenceComponentName="blockgen"))
    assert code == "ValidationException" and "apex" in message


def test_an_update_records_its_deployment_config(sagemaker_client, pool):
    # Given
    create_component(sagemaker_client, "blockgen", copies=2)
    deployment = {
        "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 120},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "blockgen-errors"}]},
    }
    # When
    sagemaker_client.update_inference_component(InferenceComponentName="blockgen", Specification=specification(image=IMAGE + "-2"), DeploymentConfig=deployment)
    # Then
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["LastDeploymentConfig"] == deployment


def test_with_status_transitions_a_component_is_creating_then_updating_for_that_many_describes(sagemaker_client, pool):
    from loadmaster.testing import status_transitions

    def statuses(count: int) -> list[str]:
        return [sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["InferenceComponentStatus"] for _ in range(count)]

    with status_transitions(describes=2):
        create_component(sagemaker_client, "blockgen")
        assert statuses(3) == ["Creating", "Creating", "InService"]
        sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 2})
        assert statuses(3) == ["Updating", "Updating", "InService"]


def test_with_specifications_the_one_for_the_variants_instance_type_is_placed(sagemaker_client, pool):
    # Given one specification per instance type, the pool being ml.g5.12xlarge
    specifications = [
        {**specification(accelerators=4, memory_mb=65536), "InstanceType": "ml.p4d.24xlarge"},
        {**specification(accelerators=2, memory_mb=32768), "InstanceType": "ml.g5.12xlarge"},
    ]
    # When
    sagemaker_client.create_inference_component(
        InferenceComponentName="blockgen", EndpointName=pool, VariantName=VARIANT, Specifications=specifications, RuntimeConfig={"CopyCount": 2}
    )
    # Then two copies of 2 GPUs fill the 4-GPU instance, and both specifications are described
    from loadmaster.testing import placements

    assert [(p.copies, p.free_accelerators) for p in placements("us-east-1")] == [({"blockgen": 2}, 0)]
    described = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")
    assert [s["InstanceType"] for s in described["Specifications"]] == ["ml.p4d.24xlarge", "ml.g5.12xlarge"]
    assert "Specification" not in described


def test_specifications_without_the_variants_instance_type_raise_validation_error(sagemaker_client, pool):
    specifications = [{**specification(), "InstanceType": "ml.p4d.24xlarge"}]
    create = lambda: sagemaker_client.create_inference_component(  # noqa: E731
        InferenceComponentName="blockgen", EndpointName=pool, VariantName=VARIANT, Specifications=specifications, RuntimeConfig={"CopyCount": 1}
    )
    code, message = error_of(create)
    assert code == "ValidationException" and "ml.g5.12xlarge" in message
