"""`loadmaster rehearse` and its engine: the built-in example created, updated and deleted in loadmaster.testing."""

from __future__ import annotations

import copy
import dataclasses

import boto3
import pytest
from botocore.exceptions import ClientError

from loadmaster.cli import main
from loadmaster.rehearsal import RehearsalFailed, Stack, rehearse, rehearse_plans
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE
from loadmaster.testing import mock_sagemaker
from loadmaster.testing.placement import NOT_ENOUGH_HARDWARE

pytestmark = pytest.mark.slow

UPDATE = EXAMPLE.with_name("codegen-platform-update.yaml")
COMPONENTS = ("textevel", "blockgen", "flowgpt", "apexguru", "codegen-xl")


@pytest.fixture(scope="module")
def update_stacks(tmp_path_factory):
    from loadmaster.planner.make import plan_file
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


def placement_blocks(report: list[str]) -> list[str]:
    """The instances listed under each `placement:` line, up to the next line that is not an instance."""
    blocks, block = [], None
    for line in report:
        if line == "placement:":
            block = []
            blocks.append(block)
        elif block is not None and line.startswith("  "):
            block.append(line)
        else:
            block = None
    return ["\n".join(block) for block in blocks]


def test_rehearsing_the_example_creates_updates_and_deletes_with_every_copy_placed(example_stacks, update_stacks):
    # When
    report = rehearse(example_stacks, update_stacks)
    # Then every component is placed before and after the update, the update needs a second A10G instance, nothing is left
    blocks = placement_blocks(report)
    assert len(blocks) == 2
    for block in blocks:
        assert all(f"codegen-platform-{name} x" in block for name in COMPONENTS)
    assert blocks[0].count("codegen-platform-a10g-pool/AllTraffic i-") == 1
    assert blocks[1].count("codegen-platform-a10g-pool/AllTraffic i-") >= 2
    assert any(line.startswith("updated stack codegen-platform-hosting: modified") for line in report)
    assert report[-2] == "deleted: nothing left behind"
    assert report[-1].startswith("rehearsal passed")


def test_the_rehearsal_drives_every_target_of_the_example_to_its_maximum_and_back_to_its_minimum(example_stacks):
    # When
    report = rehearse(example_stacks, None)
    # Then at peak every copy of the A10G pool is placed on its 4 instances, and at minimum the A100 pool is at zero
    assert "at peak: codegen-platform-a10g-pool: 4 of 1..4 ml.g5.12xlarge instances; codegen-platform-blockgen x6, codegen-platform-flowgpt x6, codegen-platform-textevel x4" in report
    assert "at peak: codegen-platform-inline: 8 of 2..8 ml.g5.2xlarge instances" in report
    assert "at minimum: codegen-platform-a100-pool: 0 of 0..2 ml.p4d.24xlarge instances; codegen-platform-apexguru x0, codegen-platform-codegen-xl x0" in report
    assert "at minimum: codegen-platform-inline: 2 of 2..8 ml.g5.2xlarge instances" in report
    assert report.index("placement:") < report.index("at peak: codegen-platform-a10g-pool: 4 of 1..4 ml.g5.12xlarge instances; codegen-platform-blockgen x6, codegen-platform-flowgpt x6, codegen-platform-textevel x4") < report.index("deleted: nothing left behind")


ONE_POOL = """\
version: 1
name: oversub
region: us-east-1
pools:
  - name: gpu
    instance_type: ml.g5.12xlarge        # 4 GPUs
    instances: {min: 1, max: 2}
models:
  - name: worker
    image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124
    pool: gpu
    per_copy: {accelerators: 1, memory_mb: 16384, cpu_cores: 4}
    copies: {min: 1, max: 8}
"""
TWENTY_COPIES_FAIL = (
    "at peak, model worker (oversub-worker) cannot have its 20 copies on pool gpu (oversub-gpu): 8 fit on 2 ml.g5.12xlarge "
    "instances (its MaxInstanceCount); each copy asks 1 accelerator, 16384 MB and 4 CPU cores"
)


@pytest.fixture
def twenty_copies_on_two_instances(tmp_path):
    """The plan of 20 one-GPU copies on a pool of at most 2 x 4 GPUs, made past validation: planned with 8 copies
    at most, then given 20."""
    from loadmaster.plan import Bounds
    from loadmaster.planner.make import plan_file

    portfolio = tmp_path / "oversub.yaml"
    portfolio.write_text(ONE_POOL)
    plan = plan_file(portfolio)
    (pool,) = plan.pools
    (component,) = pool.components
    component = component.with_copies(Bounds(min=1, max=20))
    return plan.with_units_of("inference-component", (dataclasses.replace(pool, components=(component,)),))


def test_copies_that_do_not_fit_their_pool_at_peak_fail_the_rehearsal_naming_the_model_the_pool_and_the_numbers(twenty_copies_on_two_instances):
    # When / Then
    with pytest.raises(RehearsalFailed) as failed:
        rehearse_plans([twenty_copies_on_two_instances])
    assert failed.value.check == TWENTY_COPIES_FAIL
    assert failed.value.report[-1] == "  oversub-gpu/AllTraffic i-0001 (ml.g5.12xlarge): oversub-worker x1; 3 accelerators free"


def test_the_rehearse_command_exits_1_when_copies_do_not_fit_at_peak(twenty_copies_on_two_instances, monkeypatch, capsys, tmp_path):
    # Given a portfolio whose plan has 20 copies on at most 2 x 4 GPUs
    monkeypatch.setattr("loadmaster.rehearsal.plan_file", lambda path: twenty_copies_on_two_instances)
    # When
    code = main(["rehearse", str(tmp_path / "oversub.yaml")])
    # Then
    assert code == 1
    assert f"rehearsal failed: {TWENTY_COPIES_FAIL}" in capsys.readouterr().err


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
