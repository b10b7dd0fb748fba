"""`loadmaster rehearse` and its engine: the built-in example created, updated and deleted in loadmaster.testing."""

from __future__ import annotations

import copy

import boto3
import pytest
from botocore.exceptions import ClientError

from loadmaster.cli import main
from loadmaster.rehearsal import RehearsalFailed, Stack, rehearse
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE
from loadmaster.testing import mock_sagemaker
from loadmaster.testing.placement import NOT_ENOUGH_HARDWARE

pytestmark = pytest.mark.slow

UPDATE = EXAMPLE.with_name("codegen-platform-update.yaml")
COMPONENTS = ("textevel", "blockgen", "flowgpt", "apexguru", "codegen-xl")


@pytest.fixture(scope="module")
def update_stacks(tmp_path_factory):
    from loadmaster.plan import plan_file
    from loadmaster.synthesis import synthesize

    return synthesize(plan_file(UPDATE), tmp_path_factory.mktemp("update") / "cdk.out")


def with_accelerators(stacks, component: str, accelerators: int) -> list[Stack]:
    """The stacks, with one component's per-copy accelerators edited in the template (past validation)."""
    edited = []
    for stack in stacks:
        template = copy.deepcopy(stack.template)
        for resource in template["Resources"].values():
            if resource["Properties"].get("InferenceComponentName") == f"codegen-platform-{component}":
                resource["Properties"]["Specification"]["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] = accelerators
        edited.append(Stack(stack.name, template))
    return edited


def test_rehearsing_the_example_creates_updates_and_deletes_with_every_copy_placed(example_stacks, update_stacks):
    # When
    report = rehearse(example_stacks, update_stacks)
    # Then every component is placed before and after the update, the update added an A10G instance, nothing is left
    placement_blocks = "\n".join(report).split("placement:")[1:]
    assert len(placement_blocks) == 2
    for block in placement_blocks:
        assert all(f"codegen-platform-{name} x" in block for name in COMPONENTS)
    assert placement_blocks[0].count("codegen-platform-a10g-pool/AllTraffic i-") == 1
    assert placement_blocks[1].count("codegen-platform-a10g-pool/AllTraffic i-") == 2
    assert any(line.startswith("updated stack codegen-platform-hosting: modified") for line in report)
    assert report[-2] == "deleted: nothing left behind"
    assert report[-1].startswith("rehearsal passed")


def test_a_component_asking_more_accelerators_than_its_instance_has_fails_with_sagemakers_message(example_stacks):
    # Given codegen-xl edited to 16 GPUs per copy on an 8-GPU ml.p4d.24xlarge
    stacks = with_accelerators(example_stacks, "codegen-xl", 16)
    # When / Then
    with pytest.raises(RehearsalFailed) as failed:
        rehearse(stacks, None)
    assert failed.value.check == f"create stack codegen-platform-hosting: ValidationException: {NOT_ENOUGH_HARDWARE}"


def test_deleting_an_example_endpoint_with_its_components_attached_raises_the_real_error(example_stacks):
    (stack,) = example_stacks
    with mock_sagemaker():
        # Given the example deployed
        boto3.client("ssm", region_name="us-east-1").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
        boto3.client("cloudformation", region_name="us-east-1").create_stack(StackName=stack.name, TemplateBody=stack.template_file.read_text())
        # When / Then
        with pytest.raises(ClientError, match="Cannot delete endpoint with inference component associated"):
            boto3.client("sagemaker", region_name="us-east-1").delete_endpoint(EndpointName="codegen-platform-a10g-pool")


def test_the_rehearse_command_exits_0_and_reports_every_component_placed(capsys):
    # When
    code = main(["rehearse", str(EXAMPLE)])
    # Then
    output = capsys.readouterr().out
    assert code == 0
    assert all(f"codegen-platform-{name} x" in output for name in COMPONENTS)
    assert "rehearsal passed" in output


def test_the_rehearse_command_exits_1_with_the_failing_check(example_stacks, monkeypatch, capsys):
    # Given a synthesis whose template asks too many accelerators
    monkeypatch.setattr("loadmaster.rehearsal.synthesize", lambda plan, outdir: with_accelerators(example_stacks, "codegen-xl", 16))
    # When
    code = main(["rehearse", str(EXAMPLE)])
    # Then
    assert code == 1
    assert f"rehearsal failed: create stack codegen-platform-hosting: ValidationException: {NOT_ENOUGH_HARDWARE}" in capsys.readouterr().err


def test_the_rehearse_command_exits_2_on_a_bad_portfolio(tmp_path, capsys):
    # Given
    portfolio = tmp_path / "bad.yaml"
    portfolio.write_text("version: 1\nname: bad\nmodels: []\npools: 3\n")
    # When
    code = main(["rehearse", str(portfolio)])
    # Then
    error = capsys.readouterr().err
    assert code == 2
    assert str(portfolio) in error and "Traceback" not in error
