"""Stack updates in loadmaster.testing follow CloudFormation's order: create and replace first, delete in cleanup,
refuse to replace a custom-named resource. moto's own order (delete first) passes changes that fail for real."""

from __future__ import annotations

import copy
import json

import pytest
from botocore.exceptions import ClientError
from ic_givens import ROLE, pool_variant, specification


def pool(name: str, instance_type: str = "ml.g5.12xlarge") -> dict:
    """An endpoint named `name` and its config, logical ids prefixed by `name`."""
    prefix = name.title().replace("-", "")
    return {
        f"{prefix}Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ExecutionRoleArn": ROLE, "ProductionVariants": [pool_variant(instance_type, max_instances=2)]}},
        f"{prefix}Endpoint": {
            "Type": "AWS::SageMaker::Endpoint",
            "Properties": {"EndpointName": name, "EndpointConfigName": {"Fn::GetAtt": [f"{prefix}Config", "EndpointConfigName"]}},
        },
    }


def component(pool_name: str, name: str = "blockgen") -> dict:
    prefix = pool_name.title().replace("-", "")
    return {
        f"{prefix}Component": {
            "Type": "AWS::SageMaker::InferenceComponent",
            "Properties": {
                "InferenceComponentName": name,
                "EndpointName": {"Fn::GetAtt": [f"{prefix}Endpoint", "EndpointName"]},
                "VariantName": "AllTraffic",
                "Specification": specification(),
                "RuntimeConfig": {"CopyCount": 1},
            },
        }
    }


def deploy(cloudformation, resources: dict, update: bool = False) -> None:
    action = cloudformation.update_stack if update else cloudformation.create_stack
    action(StackName="hosting", TemplateBody=json.dumps({"Resources": resources}))


def test_moving_a_component_to_another_endpoint_under_its_name_fails_as_cloudformation_creates_before_it_deletes(cloudformation_client, sagemaker_client):
    # Given a component on pool-a, and pool-b beside it
    deploy(cloudformation_client, {**pool("pool-a"), **pool("pool-b"), **component("pool-a")})
    # When the component moves to pool-b (a new logical id) keeping its name
    with pytest.raises(ClientError, match='Cannot create already existing inference component'):
        deploy(cloudformation_client, {**pool("pool-a"), **pool("pool-b"), **component("pool-b")}, update=True)
    # Then the update rolled back: the component still serves on pool-a
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["EndpointName"] == "pool-a"


def test_moving_a_component_under_a_new_name_creates_it_before_deleting_the_old_one(cloudformation_client, sagemaker_client):
    # Given
    deploy(cloudformation_client, {**pool("pool-a"), **pool("pool-b"), **component("pool-a", name="blockgen-a")})
    # When
    deploy(cloudformation_client, {**pool("pool-a"), **pool("pool-b"), **component("pool-b", name="blockgen-b")}, update=True)
    # Then
    components = sagemaker_client.list_inference_components()["InferenceComponents"]
    assert [(c["InferenceComponentName"], c["EndpointName"]) for c in components] == [("blockgen-b", "pool-b")]


def test_replacing_an_endpoint_config_creates_the_new_one_and_updates_the_endpoint_that_refers_to_it(cloudformation_client, sagemaker_client):
    # Given
    deploy(cloudformation_client, pool("pool-a"))
    before = sagemaker_client.describe_endpoint(EndpointName="pool-a")["EndpointConfigName"]
    changed = pool("pool-a")
    changed["PoolAConfig"]["Properties"]["ProductionVariants"][0]["ManagedInstanceScaling"]["MaxInstanceCount"] = 4
    # When the config's variants change (create-only: a replacement) and the endpoint's template text does not
    deploy(cloudformation_client, changed, update=True)
    # Then the endpoint moved to the new config, and the old config is gone
    after = sagemaker_client.describe_endpoint(EndpointName="pool-a")["EndpointConfigName"]
    configs = [c["EndpointConfigName"] for c in sagemaker_client.list_endpoint_configs()["EndpointConfigs"]]
    assert after != before
    assert configs == [after]
    assert sagemaker_client.describe_endpoint_config(EndpointConfigName=after)["ProductionVariants"][0]["ManagedInstanceScaling"]["MaxInstanceCount"] == 4


def test_a_custom_named_resource_that_needs_replacing_fails_the_update_with_cloudformations_message(cloudformation_client, sagemaker_client):
    # Given a config whose name the template sets
    named = pool("pool-a")
    named["PoolAConfig"]["Properties"]["EndpointConfigName"] = "pool-a-config"
    deploy(cloudformation_client, named)
    changed = copy.deepcopy(named)
    changed["PoolAConfig"]["Properties"]["ProductionVariants"][0]["InstanceType"] = "ml.g6.12xlarge"
    # When / Then
    with pytest.raises(ClientError) as raised:
        deploy(cloudformation_client, changed, update=True)
    assert raised.value.response["Error"]["Message"] == (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename pool-a-config and update the stack "
        "again. (PoolAConfig: ProductionVariants changed)"
    )
    assert sagemaker_client.describe_endpoint_config(EndpointConfigName="pool-a-config")["ProductionVariants"][0]["InstanceType"] == "ml.g5.12xlarge"


def test_a_removed_resource_is_deleted_after_the_new_ones_are_created(cloudformation_client, sagemaker_client):
    # Given the component on pool-a
    deploy(cloudformation_client, {**pool("pool-a"), **component("pool-a", name="blockgen-a")})
    # When pool-a goes and pool-b with the component arrives in one update: deleting first would be fine for moto,
    # creating first is what CloudFormation does, and both components exist for a moment
    deploy(cloudformation_client, {**pool("pool-b"), **component("pool-b", name="blockgen-b")}, update=True)
    # Then
    assert [e["EndpointName"] for e in sagemaker_client.list_endpoints()["Endpoints"]] == ["pool-b"]
    assert [c["InferenceComponentName"] for c in sagemaker_client.list_inference_components()["InferenceComponents"]] == ["blockgen-b"]


def test_a_failed_update_keeps_the_previous_template(cloudformation_client):
    # Given
    deploy(cloudformation_client, {**pool("pool-a"), **pool("pool-b"), **component("pool-a")})
    # When
    with pytest.raises(ClientError):
        deploy(cloudformation_client, {**pool("pool-a"), **pool("pool-b"), **component("pool-b")}, update=True)
    # Then
    resources = cloudformation_client.list_stack_resources(StackName="hosting")["StackResourceSummaries"]
    assert sorted(r["LogicalResourceId"] for r in resources) == ["PoolAComponent", "PoolAConfig", "PoolAEndpoint", "PoolBConfig", "PoolBEndpoint"]




def test_a_custom_named_resource_that_needs_replacing_is_replaced_once_renamed(cloudformation_client, sagemaker_client):
    # Given a config whose name the template sets
    named = pool("pool-a")
    named["PoolAConfig"]["Properties"]["EndpointConfigName"] = "pool-a-config"
    deploy(cloudformation_client, named)
    # When its variants change and, as CloudFormation's message advises, its name too
    changed = copy.deepcopy(named)
    changed["PoolAConfig"]["Properties"]["ProductionVariants"][0]["ManagedInstanceScaling"]["MaxInstanceCount"] = 4
    changed["PoolAConfig"]["Properties"]["EndpointConfigName"] = "pool-a-config-2"
    deploy(cloudformation_client, changed, update=True)
    # Then the endpoint runs on the new config, and the old one is gone
    assert sagemaker_client.describe_endpoint(EndpointName="pool-a")["EndpointConfigName"] == "pool-a-config-2"
    assert [c["EndpointConfigName"] for c in sagemaker_client.list_endpoint_configs()["EndpointConfigs"]] == ["pool-a-config-2"]


def test_a_failed_update_deletes_what_it_had_created(cloudformation_client, sagemaker_client):
    # Given a component on pool-a
    deploy(cloudformation_client, {**pool("pool-a"), **component("pool-a")})
    # When an update adds pool-b and moves the component there under its name, which fails
    with pytest.raises(ClientError, match="Cannot create already existing inference component"):
        deploy(cloudformation_client, {**pool("pool-a"), **pool("pool-b"), **component("pool-b")}, update=True)
    # Then pool-b, which the update had created, is gone again
    assert [e["EndpointName"] for e in sagemaker_client.list_endpoints()["Endpoints"]] == ["pool-a"]
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["EndpointName"] == "pool-a"


def test_a_removed_resource_with_a_retain_policy_is_kept(cloudformation_client, sagemaker_client):
    # Given a component that the template retains
    retained = component("pool-a")
    retained["PoolAComponent"]["DeletionPolicy"] = "Retain"
    deploy(cloudformation_client, {**pool("pool-a"), **retained})
    # When the component leaves the template
    deploy(cloudformation_client, pool("pool-a"), update=True)
    # Then
    assert [c["InferenceComponentName"] for c in sagemaker_client.list_inference_components()["InferenceComponents"]] == ["blockgen"]
    resources = cloudformation_client.list_stack_resources(StackName="hosting")["StackResourceSummaries"]
    assert sorted(r["LogicalResourceId"] for r in resources) == ["PoolAConfig", "PoolAEndpoint"]


def test_an_update_leaves_the_resources_it_does_not_change_alone(cloudformation_client, sagemaker_client):
    from loadmaster.testing import status_transitions

    # Given a component, and an update that changes only pool-b beside it
    deploy(cloudformation_client, {**pool("pool-a"), **component("pool-a"), **pool("pool-b")})
    changed = pool("pool-b")
    changed["PoolBConfig"]["Properties"]["ProductionVariants"][0]["ManagedInstanceScaling"]["MaxInstanceCount"] = 4
    # When
    with status_transitions(describes=1):
        deploy(cloudformation_client, {**pool("pool-a"), **component("pool-a"), **changed}, update=True)
    # Then the component was not updated, and the changed endpoint was
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["InferenceComponentStatus"] == "InService"
    assert sagemaker_client.describe_endpoint(EndpointName="pool-a")["EndpointStatus"] == "InService"
    assert sagemaker_client.describe_endpoint(EndpointName="pool-b")["EndpointStatus"] == "Updating"


def test_an_update_with_new_parameter_values_applies_them(cloudformation_client, sagemaker_client):
    # Given a component whose copies are a parameter
    resources = {**pool("pool-a"), **component("pool-a")}
    resources["PoolAComponent"]["Properties"]["RuntimeConfig"]["CopyCount"] = {"Ref": "Copies"}
    body = json.dumps({"Parameters": {"Copies": {"Type": "Number"}}, "Resources": resources})
    cloudformation_client.create_stack(StackName="hosting", TemplateBody=body, Parameters=[{"ParameterKey": "Copies", "ParameterValue": "1"}])
    # When
    cloudformation_client.update_stack(StackName="hosting", TemplateBody=body, Parameters=[{"ParameterKey": "Copies", "ParameterValue": "3"}])
    # Then
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]["CurrentCopyCount"] == 3
