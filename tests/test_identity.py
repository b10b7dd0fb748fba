"""Changes that need new endpoints or components deploy beside the old ones under new names (loadmaster.identity),
and the rehearsal, creating before it deletes as CloudFormation does, proves that they would not collide."""

from __future__ import annotations

import os
import stat

import pytest

from loadmaster.cli import main
from loadmaster.identity import lock_path, read_lock
from loadmaster.planner.make import plan_file
from loadmaster.rehearsal import RehearsalFailed, Stack, rehearse, rehearse_portfolio
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE
from loadmaster.synthesis import synthesize

EXAMPLE_TEXT = EXAMPLE.read_text()
A10G_POOL = "    instance_type: ml.g5.12xlarge        # 4 x A10G 24 GB, 48 vCPU, 192 GiB\n"
TEXTEVEL_POOL = "    pool: a10g-pool\n    per_copy: {accelerators: 1, memory_mb: 8192, cpu_cores: 2}\n"
INLINE_TYPE = "    instance_type: ml.g5.2xlarge\n"


def portfolio(tmp_path, name: str, text: str = EXAMPLE_TEXT):
    path = tmp_path / name
    path.write_text(text)
    return path


def changed(old: str, new: str) -> str:
    assert EXAMPLE_TEXT.count(old) == 1
    return EXAMPLE_TEXT.replace(old, new)


MOVED = changed(TEXTEVEL_POOL, TEXTEVEL_POOL.replace("a10g-pool", "a100-pool"))
RETYPED = changed(A10G_POOL, "    instance_type: ml.g6.12xlarge\n")


def test_without_a_lock_every_endpoint_and_component_keeps_its_first_name():
    plan = plan_file(EXAMPLE)
    assert [pool.endpoint_name for pool in plan.pools] == ["codegen-platform-a10g-pool", "codegen-platform-a100-pool"]
    assert plan.pools[0].components[0].component_name == "codegen-platform-textevel"
    assert plan.replaced == ()


def test_a_model_moved_to_another_pool_gets_a_new_component_name_and_nothing_else_does(tmp_path):
    # Given the example deployed and locked
    deployed = plan_file(EXAMPLE)
    # When textevel moves to the A100 pool
    plan = plan_file(portfolio(tmp_path, "moved.yaml", MOVED), previous=deployed.identities)
    # Then
    names = {component.model: component.component_name for pool in plan.pools for component in pool.components}
    assert names["textevel"] == "codegen-platform-textevel-v2"
    assert names["blockgen"] == "codegen-platform-blockgen"
    assert plan.replaced == ("model textevel: new inference component codegen-platform-textevel-v2 replaces codegen-platform-textevel",)


def test_a_pool_with_a_new_instance_type_gets_a_new_endpoint_and_its_components_new_names(tmp_path):
    deployed = plan_file(EXAMPLE)
    # When
    plan = plan_file(portfolio(tmp_path, "retyped.yaml", RETYPED), previous=deployed.identities)
    # Then
    a10g = next(pool for pool in plan.pools if pool.name == "a10g-pool")
    assert (a10g.endpoint_name, a10g.generation) == ("codegen-platform-a10g-pool-v2", 2)
    assert {component.component_name for component in a10g.components} == {f"codegen-platform-{m}-v2" for m in ("textevel", "blockgen", "flowgpt")}
    assert plan.pools[1].endpoint_name == "codegen-platform-a100-pool"


def test_the_next_plan_after_the_lock_is_written_keeps_the_new_names(tmp_path):
    # Given the moved portfolio planned against what the example deployed
    moved = portfolio(tmp_path, "moved.yaml", MOVED)
    first = plan_file(moved, previous=plan_file(EXAMPLE).identities)
    # When planned again against what the first deployed
    again = plan_file(moved, previous=first.identities)
    # Then nothing is replaced a second time
    assert again.replaced == ()
    assert again.identities == first.identities


@pytest.mark.slow
@pytest.mark.parametrize("change", [MOVED, RETYPED, changed(INLINE_TYPE, "    instance_type: ml.g6.2xlarge\n")], ids=["model-moves-pool", "pool-instance-type", "dedicated-instance-type"])
def test_a_change_that_needs_new_endpoints_or_components_rehearses_cleanly(tmp_path, change):
    # When
    report = rehearse_portfolio(EXAMPLE, portfolio(tmp_path, "changed.yaml", change))
    # Then
    assert report[-1].startswith("rehearsal passed")


@pytest.mark.slow
def test_a_model_move_that_keeps_its_component_name_fails_the_rehearsal_as_it_would_fail_in_cloudformation(tmp_path):
    # Given the move synthesized without the lock: the new component keeps the name the deployed one holds
    base = [Stack(s.name, s.template) for s in synthesize(plan_file(EXAMPLE), tmp_path / "base")]
    moved = [Stack(s.name, s.template) for s in synthesize(plan_file(portfolio(tmp_path, "moved.yaml", MOVED), previous=None), tmp_path / "moved")]
    # When / Then
    with pytest.raises(RehearsalFailed, match='Cannot create already existing inference component'):
        rehearse(base, moved)


def test_the_lock_command_writes_the_lock_beside_the_portfolio_readable_by_the_user_and_only_once(tmp_path, capsys):
    # Given
    path = portfolio(tmp_path, "team.yaml")
    # When
    first = main(["lock", str(path)])
    second = main(["lock", str(path)])
    # Then
    output = capsys.readouterr().out
    lock = read_lock(tmp_path / "team.lock.json")
    assert (first, second) == (0, 0)
    assert "team.lock.json written" in output and "team.lock.json already up to date" in output
    assert lock.components["blockgen"].name == "codegen-platform-blockgen"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "team.lock.json").stat().st_mode) == 0o666 & ~umask  # not a private temp file's 0600


def test_a_damaged_lock_is_bad_input_naming_the_file(tmp_path, capsys):
    # Given
    path = portfolio(tmp_path, "team.yaml")
    lock_path(path).write_text("{not json")
    # When
    code = main(["validate", str(path)])
    # Then
    error = capsys.readouterr().err
    assert code == 2
    assert "team.lock.json: not a loadmaster lock file" in error and "Traceback" not in error
