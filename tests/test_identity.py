"""Changes that need new endpoints or components deploy beside the old ones under new names (loadmaster.identity),
and the rehearsal, creating before it deletes as CloudFormation does, proves that they would not collide."""

from __future__ import annotations

import json
import os
import stat

import pytest

from loadmaster.cli import main
from loadmaster.identity import Identity, IdentityLock, lock_path, read_lock
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


def test_a_model_whose_entry_moves_it_to_serverless_is_listed_as_replaced_by_its_serverless_endpoint(tmp_path):
    # Given the example deployed and locked
    deployed = plan_file(EXAMPLE)
    # When textevel leaves the A10G pool for a serverless endpoint
    serverless = changed("    hosting: inference-component\n" + TEXTEVEL_POOL + "    copies: {min: 1, max: 4}\n    scaling: {metric: invocations-per-copy, target: 120}\n",
                         "    hosting: serverless\n")
    plan = plan_file(portfolio(tmp_path, "serverless.yaml", serverless), previous=deployed.identities)
    # Then
    assert plan.replaced == ("model textevel: new serverless endpoint codegen-platform-textevel replaces inference component codegen-platform-textevel",)


# Locks built directly: what a deploy had, and what the next plan names.
POOL = {"pool:a10g-pool": Identity("team-a10g-pool", 1, instance_type="ml.g5.12xlarge")}
ON_THE_POOL = Identity("team-chat", 1, endpoint="pool:a10g-pool#1")


def locked(endpoints: dict | None = None, components: dict | None = None) -> IdentityLock:
    """A lock of portfolio `team` with its pool's endpoint, and `endpoints` and `components` besides."""
    return IdentityLock("team", {**POOL, **(endpoints or {})}, components or {})


def test_a_model_moved_from_its_inference_component_to_serverless_is_named_on_its_serverless_endpoint():
    # Given chat deployed as an inference component on the pool
    deployed = locked(components={"chat": ON_THE_POOL})
    # When the next plan hosts it on a serverless endpoint
    planned = locked(endpoints={"serverless:chat": Identity("team-chat", 1, instance_type="serverless")})
    # Then
    assert planned.changes_from(deployed) == ["model chat: new serverless endpoint team-chat replaces inference component team-chat"]


def test_a_model_moved_from_serverless_to_an_inference_component_is_named_on_its_component():
    # Given chat deployed on a serverless endpoint
    deployed = locked(endpoints={"serverless:chat": Identity("team-chat", 1, instance_type="serverless")})
    # When the next plan places it on the pool
    planned = locked(components={"chat": ON_THE_POOL})
    # Then
    assert planned.changes_from(deployed) == ["model chat: new inference component team-chat replaces serverless endpoint team-chat"]


def test_a_model_moved_from_a_dedicated_to_an_async_endpoint_is_named_on_its_async_endpoint():
    # Given chat deployed on a dedicated endpoint
    deployed = locked(endpoints={"dedicated:chat": Identity("team-chat", 1, instance_type="ml.g5.2xlarge")})
    # When the next plan hosts it on an async endpoint of the same instance type
    planned = locked(endpoints={"async:chat": Identity("team-chat", 1, instance_type="ml.g5.2xlarge")})
    # Then
    assert planned.changes_from(deployed) == ["model chat: new async endpoint team-chat replaces dedicated endpoint team-chat"]


def test_a_model_that_only_changes_instance_type_gets_a_new_endpoint_and_does_not_move():
    # Given chat deployed on a dedicated endpoint
    deployed = locked(endpoints={"dedicated:chat": Identity("team-chat", 1, instance_type="ml.g5.2xlarge")})
    # When the next plan keeps it dedicated on another instance type
    planned = locked(endpoints={"dedicated:chat": Identity("team-chat-v2", 2, instance_type="ml.g6.2xlarge")})
    # Then it is replaced by its next generation, and nothing says it moved
    assert planned.changes_from(deployed) == ["dedicated chat: new endpoint team-chat-v2 replaces team-chat (ml.g5.2xlarge -> ml.g6.2xlarge)"]


def test_a_model_that_keeps_its_hosting_and_a_model_that_is_removed_are_no_change():
    # Given chat on the pool and report on a batch transform
    deployed = locked(endpoints={"batch:report": Identity("team-report", 1, instance_type="batch")}, components={"chat": ON_THE_POOL})
    # When the next plan keeps chat where it is and report is gone
    planned = locked(components={"chat": ON_THE_POOL})
    # Then
    assert planned.changes_from(deployed) == []


@pytest.mark.parametrize("endpoints, components, says", [
    ({}, {"chat": ON_THE_POOL}, "inference component team-chat"),
    ({"dedicated:chat": Identity("team-chat", 1, instance_type="ml.g5.2xlarge")}, {}, "dedicated endpoint team-chat"),
    ({"serverless:chat": Identity("team-chat", 1, instance_type="serverless")}, {}, "serverless endpoint team-chat"),
    ({"batch:chat": Identity("team-chat", 1, instance_type="batch")}, {}, "batch transform team-chat"),
    ({"multi-model:chat": Identity("team-chat", 1, instance_type="ml.c5.large")}, {}, "multi-model endpoint team-chat"),
], ids=["component", "dedicated", "serverless", "batch", "multi-model"])
def test_a_model_hosted_on_its_own_is_named_by_what_its_pattern_deploys(endpoints, components, says):
    # Given a lock with chat on a unit of its own
    lock = locked(endpoints, components)
    # When asked how chat is hosted
    hosted = lock.hosting_of("chat")
    # Then it is named as the plan's summary counts its pattern's units
    assert str(hosted) == says


def test_a_pools_endpoint_is_no_models_own_even_named_like_one():
    # Given a pool named like a model
    lock = locked(endpoints={"pool:chat": Identity("team-chat", 1, instance_type="ml.g5.12xlarge")})
    # Then the model is not hosted there: a pool's endpoint hosts components
    assert lock.hosting_of("chat") is None


GROUP = Identity("team-models-1a2b3c4d", 1, instance_type="ml.c5.large", members=("shop-1", "shop-2"))


def test_a_groups_endpoint_hosts_the_members_the_lock_records():
    # Given a multi-model endpoint the grouping step formed for two auto models (keyed by its group's name)
    lock = locked(endpoints={"multi-model:models-1a2b3c4d": GROUP})
    # Then each member is hosted there, and the group itself is no model
    assert str(lock.hosting_of("shop-1")) == "multi-model endpoint team-models-1a2b3c4d"
    assert lock.hosted_models() == ["shop-1", "shop-2"]


def test_a_member_that_leaves_its_group_for_serverless_is_named_on_its_serverless_endpoint():
    # Given shop-1 and shop-2 deployed on their group's multi-model endpoint
    deployed = locked(endpoints={"multi-model:models-1a2b3c4d": GROUP})
    # When the next plan hosts shop-1 alone on a serverless endpoint, and shop-2 on the pool
    planned = locked(endpoints={"serverless:shop-1": Identity("team-shop-1", 1, instance_type="serverless")}, components={"shop-2": ON_THE_POOL})
    # Then
    assert planned.changes_from(deployed) == [
        "model shop-1: new serverless endpoint team-shop-1 replaces multi-model endpoint team-models-1a2b3c4d",
        "model shop-2: new inference component team-chat replaces multi-model endpoint team-models-1a2b3c4d",
    ]


def test_a_lock_keeps_a_groups_members_through_the_file(tmp_path):
    from loadmaster.identity import write_lock

    # Given a lock with a group's endpoint, written and read back
    lock = locked(endpoints={"multi-model:models-1a2b3c4d": GROUP})
    write_lock(tmp_path / "team.lock.json", lock)
    # Then it is the same lock, and only the group's endpoint has members in the file
    assert read_lock(tmp_path / "team.lock.json") == lock
    written = json.loads((tmp_path / "team.lock.json").read_text())["endpoints"]
    assert {key: endpoint.get("members") for key, endpoint in written.items()} == {"pool:a10g-pool": None, "multi-model:models-1a2b3c4d": ["shop-1", "shop-2"]}


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
