"""sagemaker-core, the SageMaker Python SDK's resource layer, works end to end against loadmaster.testing.

Its pydantic models validate every answer: an empty `DataCaptureConfig` or `VpcConfig` (moto's) fails them.
"""

from __future__ import annotations

import boto3
import pytest
from ic_givens import IMAGE, ROLE, VARIANT

from loadmaster.testing import status_transitions

core = pytest.importorskip("sagemaker.core.resources")
shapes = pytest.importorskip("sagemaker.core.shapes")

REGION = "us-east-1"


@pytest.fixture
def session(mocked_sagemaker):
    return boto3.Session(region_name=REGION)


def test_a_model_is_created_fetched_and_deleted(session):
    core.Model.create(model_name="model", execution_role_arn=ROLE, primary_container=shapes.ContainerDefinition(image=IMAGE), session=session)
    model = core.Model.get(model_name="model", session=session)
    assert model.primary_container.image == IMAGE
    model.delete()
    assert [m.model_name for m in core.Model.get_all(session=session)] == []


def test_an_endpoint_and_its_inference_component_go_through_their_life_cycle(session):
    with status_transitions(describes=1):
        # Endpoint config and endpoint, waited for
        core.EndpointConfig.create(
            endpoint_config_name="pool-config",
            execution_role_arn=ROLE,
            production_variants=[shapes.ProductionVariant(variant_name=VARIANT, instance_type="ml.g5.12xlarge", initial_instance_count=1)],
            session=session,
        )
        assert core.EndpointConfig.get(endpoint_config_name="pool-config", session=session).production_variants[0].instance_type == "ml.g5.12xlarge"
        endpoint = core.Endpoint.create(endpoint_name="pool", endpoint_config_name="pool-config", session=session)
        endpoint.wait_for_status("InService", poll=0)
        assert core.Endpoint.get(endpoint_name="pool", session=session).endpoint_status == "InService"
        # Inference component: created, waited for, updated, waited for
        component = core.InferenceComponent.create(
            inference_component_name="blockgen",
            endpoint_name="pool",
            variant_name=VARIANT,
            specification=shapes.InferenceComponentSpecification(
                container=shapes.InferenceComponentContainerSpecification(image=IMAGE),
                compute_resource_requirements=shapes.InferenceComponentComputeResourceRequirements(
                    number_of_accelerator_devices_required=1, min_memory_required_in_mb=8192
                ),
            ),
            runtime_config=shapes.InferenceComponentRuntimeConfig(copy_count=1),
            session=session,
        )
        component.wait_for_status("InService", poll=0)
        component.update(runtime_config=shapes.InferenceComponentRuntimeConfig(copy_count=2))
        component.wait_for_status("InService", poll=0)
        assert core.InferenceComponent.get(inference_component_name="blockgen", session=session).runtime_config.current_copy_count == 2
    # Deleted, component first
    component.delete()
    endpoint.delete()
    core.EndpointConfig.get(endpoint_config_name="pool-config", session=session).delete()
    assert [e.endpoint_name for e in core.Endpoint.get_all(session=session)] == []
