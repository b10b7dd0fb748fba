"""A portfolio left to the planner synthesizes exactly the plan `loadmaster plan` shows."""

from __future__ import annotations

import pytest

from loadmaster.planner.make import plan_file
from loadmaster.planner.render import plan_document
from loadmaster.synthesis import DEFAULT_PORTFOLIO, synthesize

AUTO_EXAMPLE = DEFAULT_PORTFOLIO.with_name("auto-platform.yaml")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shown_and_synthesized(tmp_path_factory):
    # Given the auto example: every model `hosting: auto`, no pools, no instance types, no counts
    plan = plan_file(AUTO_EXAMPLE)
    # When it is planned and synthesized
    (stack,) = synthesize(plan, tmp_path_factory.mktemp("auto") / "cdk.out")
    return plan_document(plan), stack.template["Resources"]


def of_type(resources, kind):
    return [resource["Properties"] for resource in resources.values() if resource["Type"] == kind]


def endpoint_config_of(resources, endpoint_name):
    (endpoint,) = [props for props in of_type(resources, "AWS::SageMaker::Endpoint") if props["EndpointName"] == endpoint_name]
    config_id = endpoint["EndpointConfigName"]["Fn::GetAtt"][0]
    (variant,) = resources[config_id]["Properties"]["ProductionVariants"]
    return variant


def scalable_target(resources, resource_id):
    (target,) = [props for props in of_type(resources, "AWS::ApplicationAutoScaling::ScalableTarget") if props["ResourceId"] == resource_id]
    return target["MinCapacity"], target["MaxCapacity"]


def test_the_plan_places_every_auto_model(shown_and_synthesized):
    shown, _ = shown_and_synthesized
    assert {model["name"] for model in shown["models"]} == {"inline", "textevel", "blockgen", "flowgpt", "apexguru", "codegen-xl"}
    assert all(pool["name"].startswith("auto-") for pool in shown["pools"])
    assert all(reason.split(":")[0] == "cost" for model in shown["models"] for reason in model["reasons"][:1])


def test_each_pool_synthesizes_the_instance_type_and_instance_limits_the_plan_shows(shown_and_synthesized):
    shown, resources = shown_and_synthesized
    for pool in shown["pools"]:
        variant = endpoint_config_of(resources, pool["endpoint_name"])
        assert variant["InstanceType"] == pool["instance_type"]
        scaling = variant["ManagedInstanceScaling"]
        assert (scaling["MinInstanceCount"], scaling["MaxInstanceCount"]) == (pool["instances"]["min"], pool["instances"]["max"])


def test_each_inference_component_synthesizes_the_compute_and_copies_the_plan_shows(shown_and_synthesized):
    shown, resources = shown_and_synthesized
    components = {props["InferenceComponentName"]: props for props in of_type(resources, "AWS::SageMaker::InferenceComponent")}
    shared = [model for model in shown["models"] if model["hosting"] == "inference-component"]
    assert sorted(components) == sorted(model["component_name"] for model in shared)
    for model in shared:
        component = components[model["component_name"]]
        compute = component["Specification"]["ComputeResourceRequirements"]
        per_copy = model["per_copy"]
        assert (compute["NumberOfAcceleratorDevicesRequired"], compute["MinMemoryRequiredInMb"], compute["NumberOfCpuCoresRequired"]) == (
            per_copy["accelerators"], per_copy["memory_mb"], per_copy["cpu_cores"])
        assert component["RuntimeConfig"]["CopyCount"] == max(model["copies"]["min"], 1)
        assert scalable_target(resources, f"inference-component/{model['component_name']}") == (model["copies"]["min"], model["copies"]["max"])


def test_each_dedicated_endpoint_synthesizes_the_instance_type_and_counts_the_plan_shows(shown_and_synthesized):
    shown, resources = shown_and_synthesized
    dedicated = [model for model in shown["models"] if model["hosting"] == "dedicated"]
    assert dedicated, "the auto example has a steady model the planner makes dedicated"
    for model in dedicated:
        variant = endpoint_config_of(resources, model["endpoint_name"])
        assert (variant["InstanceType"], variant["InitialInstanceCount"]) == (model["instance_type"], model["copies"]["min"])
        assert scalable_target(resources, f"endpoint/{model['endpoint_name']}/variant/AllTraffic") == (model["copies"]["min"], model["copies"]["max"])
