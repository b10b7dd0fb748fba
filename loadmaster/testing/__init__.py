"""Offline SageMaker hosting for tests: moto, extended with inference components.

    with loadmaster.testing.mock_sagemaker():
        boto3.client("sagemaker").create_inference_component(...)

On top of `moto.mock_aws` this adds, through moto's own extension points (backends, response handlers,
CloudFormation models):

- SageMaker: Create/Describe/List/Update/UpdateRuntimeConfig/DeleteInferenceComponent, placement of copies on the
  endpoint's instances (`loadmaster.testing.placement`), UpdateEndpoint, endpoint configs with model-less variants,
  `ManagedInstanceScaling`, `RoutingConfig` and `ExecutionRoleArn`, instance types from botocore's service model;
- Application Auto Scaling: every dimension and predefined metric of botocore's service model, SageMaker targets
  that must exist, policies that need a registered target;
- CloudFormation: `AWS::SageMaker::InferenceComponent`, `AWS::ApplicationAutoScaling::ScalableTarget` and
  `::ScalingPolicy`, `AWS::CloudWatch::Alarm`, `AWS::IAM::ManagedPolicy` deletion, `AWS::KMS::Key` with tags,
  endpoints updated in place, stacks deleted in reverse dependency order.

Copies are placed against loadmaster's instance catalog; creating a component on an instance type the catalog does
not know raises `NotImplementedError` rather than guessing its capacity. Components are `InService` at once, as
moto does for endpoints. Outside `mock_sagemaker()` moto behaves as shipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from moto import mock_aws
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

from loadmaster.testing.applicationautoscaling.models import ApplicationAutoscalingBackend
from loadmaster.testing.cloudformation import cloudformation_extended
from loadmaster.testing.cloudwatch import models as _cloudwatch_alarms  # noqa: F401 (registers AWS::CloudWatch::Alarm)
from loadmaster.testing.iam import models as _iam_managed_policies  # noqa: F401 (registers AWS::IAM::ManagedPolicy)
from loadmaster.testing.kms import models as _kms_keys  # noqa: F401 (registers AWS::KMS::Key with tags)
from loadmaster.testing.sagemaker.models import SageMakerBackend

__all__ = ["mock_sagemaker", "placements", "InstancePlacement"]

_EXTENDED = ((sagemaker_backends, SageMakerBackend), (applicationautoscaling_backends, ApplicationAutoscalingBackend))


@contextmanager
def mock_sagemaker() -> Iterator[None]:
    """`moto.mock_aws` with the extension installed; SageMaker and Application Auto Scaling start empty."""
    with ExitStack() as stack:
        stack.enter_context(_backends_extended())
        stack.enter_context(cloudformation_extended())
        stack.enter_context(mock_aws())
        yield


@contextmanager
def _backends_extended() -> Iterator[None]:
    originals = [(backends, backends.backend) for backends, _ in _EXTENDED]
    _use_backends([(backends, extended) for backends, extended in _EXTENDED])
    try:
        yield
    finally:
        _use_backends(originals)


def _use_backends(choices: list) -> None:
    # A BackendDict builds each account's and region's backend from its `backend` class on first use: swap the
    # class and drop what was built, so that no object of one kind outlives the switch.
    for backends, backend_class in choices:
        backends.backend = backend_class
        for account in backends.values():
            account.backend = backend_class
            account.clear()


@dataclass(frozen=True)
class InstancePlacement:
    endpoint: str
    variant: str
    instance_id: str
    instance_type: str
    copies: dict[str, int]  # component name -> copies on this instance
    free_accelerators: float


def placements(region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> list[InstancePlacement]:
    """Every instance of every inference-component endpoint and the copies on it (SageMaker's API shows only counts)."""
    backend = sagemaker_backends[account_id][region]
    result = []
    for endpoint in backend.endpoints.values():
        for variant, fleet in getattr(endpoint, "fleets", {}).items():
            for instance in fleet.instances:
                copies = {name: instance.count(name) for name, _ in instance.copies}
                result.append(InstancePlacement(endpoint.endpoint_name, variant, instance.instance_id, fleet.instance_type.name, copies, instance.free_accelerators))
    return result
