"""Offline SageMaker hosting for tests: moto, extended with inference components.

    @loadmaster.testing.mock_sagemaker
    def test_my_component():
        boto3.client("sagemaker").create_inference_component(...)

`mock_sagemaker` is `moto.mock_aws` with the extension installed: a context manager, a function or class decorator,
nestable in `mock_aws` or itself, with moto's own reset semantics (state lives until the outermost mock ends; a class
decorator keeps what `setUp` created for the test). The extension goes into moto once, through its own extension
points (each service's backend class, found by its `urls` module, and CloudFormation's model lookups), and stays:
`install()` puts it in for a whole session, so that plain `mock_aws` has it too. What moto already does is kept as
shipped (moto 5.2.5's own tests prove it: `make moto-suite`); on top of it:

- SageMaker: Create/Describe/List/Update/UpdateRuntimeConfig/DeleteInferenceComponent (adapters, `Specifications`,
  0 copies on update, tags, `LastDeploymentConfig`), placement of copies on the endpoint's instances
  (`loadmaster.testing.placement`), UpdateEndpoint, endpoint configs with model-less and heterogeneous
  (`InstancePools`) variants, `ManagedInstanceScaling`, `RoutingConfig`, `ExecutionRoleArn` and a validated
  `AsyncInferenceConfig`, instance types from botocore's service model, answers without the empty structures moto
  adds, statuses that pass through Creating/Updating for a number of describes (`status_transitions`); serverless
  variants whose concurrency is checked as SageMaker checks it (1..200, provisioned at most the maximum) and moved by
  UpdateEndpointWeightsAndCapacities' `ServerlessUpdateConfig`;
- SageMaker Runtime: InvokeEndpoint only of endpoints that exist and of inference components that have a copy, with
  payloads up to 4 MB on serverless endpoints; InvokeEndpointAsync through the endpoint's queue, held while it has
  no instance, results written under its AsyncInferenceConfig's paths;
- Application Auto Scaling: every dimension and predefined metric of botocore's service model, SageMaker targets
  that must exist, with the service-linked role and their capacity (copies, instances, a serverless variant's
  provisioned concurrency) moved into the registered range (scaling activities), policies that need a registered
  target, target-tracking alarms;
- CloudFormation: `AWS::SageMaker::InferenceComponent`, `AWS::ApplicationAutoScaling::ScalableTarget` and
  `::ScalingPolicy`, `AWS::CloudWatch::Alarm`, `AWS::IAM::ManagedPolicy` deletion, `AWS::KMS::Key` with tags,
  `AWS::S3::BucketPolicy`, `AWS::SNS::TopicPolicy`, endpoints updated in place, stacks deleted in reverse dependency order.

Copies are placed against loadmaster's instance catalog; creating a component on an instance type the catalog does
not know raises `NotImplementedError` rather than guessing its capacity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto import mock_aws
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.models import sagemakerruntime_backends

from loadmaster.testing.applicationautoscaling.models import ApplicationAutoscalingBackend
from loadmaster.testing.cloudformation import install_cloudformation
from loadmaster.testing.cloudwatch import models as _cloudwatch_alarms  # noqa: F401 (registers AWS::CloudWatch::Alarm)
from loadmaster.testing.iam import models as _iam_managed_policies  # noqa: F401 (registers AWS::IAM::ManagedPolicy)
from loadmaster.testing.kms import models as _kms_keys  # noqa: F401 (registers AWS::KMS::Key with tags)
from loadmaster.testing.s3 import models as _bucket_policies  # noqa: F401 (registers AWS::S3::BucketPolicy)
from loadmaster.testing.scheduler import models as _schedules  # noqa: F401 (registers AWS::Scheduler::Schedule)
from loadmaster.testing.stepfunctions import models as _state_machines  # noqa: F401 (registers AWS::StepFunctions::StateMachine)
from loadmaster.testing.sns import models as _topic_policies  # noqa: F401 (registers AWS::SNS::TopicPolicy)
from loadmaster.testing.sagemaker.models import SageMakerBackend
from loadmaster.testing.sagemakerruntime.models import SageMakerRuntimeBackend
from loadmaster.testing.status import status_transitions
from loadmaster.testing.stepfunctions.sagemaker_tasks import install_sagemaker_tasks

__all__ = ["mock_sagemaker", "install", "status_transitions", "placements", "InstancePlacement"]

_EXTENDED: tuple[tuple[BackendDict, type], ...] = (
    (sagemaker_backends, SageMakerBackend),
    (applicationautoscaling_backends, ApplicationAutoscalingBackend),
    (sagemakerruntime_backends, SageMakerRuntimeBackend),
)


def mock_sagemaker(func: Callable[..., Any] | None = None, config: dict[str, Any] | None = None) -> Any:
    """`moto.mock_aws(func, config)` with the extension installed; used exactly as `mock_aws` is."""
    install()
    return mock_aws(func, config)  # type: ignore[call-overload]


def install() -> None:
    """Put the extension into moto for the rest of the process. Idempotent, and safe inside a running mock: backends
    already built (state a mock holds now) become extended ones and keep their state."""
    for backends, extended in _EXTENDED:
        backends.backend = extended
        for account in backends.values():
            account.backend = extended
            for backend in account.values():
                if not isinstance(backend, extended):
                    backend.__class__ = extended
                    backend.add_extension_state()
    install_cloudformation()
    install_sagemaker_tasks()


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
