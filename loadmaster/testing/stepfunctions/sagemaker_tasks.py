"""Step Functions' SageMaker integration for createTransformJob, for moto's state-machine interpreter.

moto 5.2.5 executes state machines (with ``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``)
through its port of an ASL interpreter, which lists SageMaker among the services it does not support. Here
``arn:aws:states:::sagemaker:createTransformJob`` creates the job, and ``.sync`` waits for it as Step Functions does
("Create and manage Amazon SageMaker AI jobs with Step Functions", Step Functions developer guide): the task's output
is DescribeTransformJob's once the job is Completed; a job that ends Failed or Stopped fails the task with
``States.TaskFailed``, its cause DescribeTransformJob's output as JSON; an error of the call fails it with
``SageMaker.<error code>`` (Step Functions names an optimized integration's errors after the service; the exact
names for SageMaker are not known here, loadmaster's state machine catches every error).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import json
import time

import botocore.session
from botocore.exceptions import ClientError
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent, FailureEventException
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import StateTaskServiceCallback
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

_ENDED_BADLY = {"Failed", "Stopped"}
POLL_S = 0.05  # between DescribeTransformJob calls of a .sync task; moto's jobs move on per describe, not with time


@cache
def _sagemaker_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")

_ENDED = {"Completed", *_ENDED_BADLY}


class StateTaskServiceSageMaker(StateTaskServiceCallback):
    """createTransformJob, request-response or .sync; any other SageMaker action is refused when the state machine is
    created."""

    def __init__(self) -> None:
        super().__init__(supported_integration_patterns={ResourceCondition.Sync})

    def _get_supported_parameters(self) -> set[str] | None:
        """CreateTransformJob's request members (botocore's service model); None for any other action, which the
        interpreter then refuses at CreateStateMachine, as Step Functions refuses an unknown resource."""
        if self.resource.api_action.lower() != "createtransformjob":
            return None
        return set(_sagemaker_model().operation_model("CreateTransformJob").input_shape.members)

    def _client(self, resource_runtime_part: Any, credentials: Any) -> Any:
        return boto_client_for(service="sagemaker", region=resource_runtime_part.region, state_credentials=credentials)

    def _from_error(self, env: Any, ex: Exception) -> FailureEvent:
        if isinstance(ex, ClientError):
            error = f"SageMaker.{ex.response['Error']['Code']}"
            details = TaskFailedEventDetails(error=error, cause=ex.response["Error"]["Message"], resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type())
            return FailureEvent(env=env, error_name=CustomErrorName(error), event_type=HistoryEventType.TaskFailed, event_details=EventDetails(taskFailedEventDetails=details))
        return super()._from_error(env=env, ex=ex)

    def _eval_service_task(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any) -> None:
        response = self._client(resource_runtime_part, state_credentials).create_transform_job(**normalised_parameters)
        response.pop("ResponseMetadata", None)
        env.stack.append({**response, "TransformJobName": normalised_parameters["TransformJobName"]})

    def _eval_integration_pattern(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any) -> None:
        """.sync: describe the job until it ends (moto's callback-based loop needs a task token, which SageMaker's
        integration has not: it does not support waitForTaskToken)."""
        resolver = self._build_sync_resolver(env, resource_runtime_part, normalised_parameters, state_credentials)
        while env.is_running():
            if (job := resolver()) is not None:
                env.stack.append(job)
                return
            time.sleep(POLL_S)

    def _build_sync_resolver(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any) -> Callable[[], Any]:
        name = env.stack.pop()["TransformJobName"]
        client = self._client(resource_runtime_part, state_credentials)

        def describe_until_ended() -> Any:
            job = _with_epoch_milliseconds(client.describe_transform_job(TransformJobName=name))
            job.pop("ResponseMetadata", None)
            status = job["TransformJobStatus"]
            if status not in _ENDED:
                return None
            if status not in _ENDED_BADLY:
                return job
            details = TaskFailedEventDetails(
                error=StatesErrorNameType.StatesTaskFailed.to_name(), cause=to_json_str(job), resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type()
            )
            raise FailureEventException(
                FailureEvent(env=env, error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed), event_type=HistoryEventType.TaskFailed, event_details=EventDetails(taskFailedEventDetails=details))
            )

        return describe_until_ended


def _with_epoch_milliseconds(response: dict) -> dict:
    """A response as JSON, its timestamps in milliseconds since the epoch, as the optimized integrations' outputs
    show them (unverified for SageMaker's)."""
    return json.loads(json.dumps(response, default=lambda moment: round(moment.timestamp() * 1000)))


_moto_state_task_service_for = state_task_factory.state_task_service_for


def _state_task_service_for(service_name: str) -> Any:
    return StateTaskServiceSageMaker() if service_name == "sagemaker" else _moto_state_task_service_for(service_name)


def install_sagemaker_tasks() -> None:
    """Let moto's interpreter run SageMaker tasks. Idempotent."""
    state_task_factory.state_task_service_for = _state_task_service_for
