"""Which stack holds a pool, a component or a dedicated endpoint does not change when other models are added, removed
or reordered, once the portfolio is locked (loadmaster.identity, stacks.partition)."""

from __future__ import annotations

import pytest
import yaml

from loadmaster.identity import lock_path, read_lock
from loadmaster.cli import main
from loadmaster.planner.make import plan_file

pytestmark = pytest.mark.slow

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/scorer:1"
POOLS = ["pool-a", "pool-b", "pool-c", "pool-d", "pool-e", "pool-f"]


def document(pools: list[str], models_per_pool: int, dedicated: int, extra_first: int = 0) -> dict:
    """Pools of `models_per_pool` scaled components each, and `dedicated` dedicated endpoints: several stacks' worth."""
    models = [
        {"name": f"{pool}-new-{index}", "image": IMAGE, "pool": pool, "per_copy": {"accelerators": 1, "memory_mb": 4096}, "copies": {"min": 1, "max": 2}}
        for pool in pools[:1] for index in range(extra_first)
    ]
    models += [
        {"name": f"{pool}-m{index:02d}", "image": IMAGE, "pool": pool, "per_copy": {"accelerators": 1, "memory_mb": 4096}, "copies": {"min": 1, "max": 2}}
        for pool in pools for index in range(models_per_pool)
    ]
    models += [{"name": f"solo-{index}", "image": IMAGE, "hosting": "dedicated", "instance_type": "ml.g5.xlarge"} for index in range(dedicated)]
    return {
        "version": 1, "name": "scoring", "region": "us-east-1",
        "pools": [{"name": pool, "instance_type": "ml.g5.48xlarge", "instances": {"min": 1, "max": 8}} for pool in pools],
        "models": models,
    }


def stacks_of(path) -> dict[str, str]:
    from loadmaster.synthesis import prepare_cdk_runtime

    prepare_cdk_runtime()
    from stacks import build_app
    from stacks.hosting_stack import HostingStack
    from stacks.partition import stack_of_each_unit

    app = build_app(plan_file(path))
    return stack_of_each_unit([stack for stack in app.node.children if isinstance(stack, HostingStack)])


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    """Given six pools of 20 components and 6 dedicated endpoints, planned into several stacks and locked."""
    path = tmp_path_factory.mktemp("locked") / "scoring.yaml"
    path.write_text(yaml.safe_dump(document(POOLS, 20, 6)))
    assert main(["lock", str(path)]) == 0
    return path, stacks_of(path)


def rewrite(locked, changed: dict):
    path, before = locked
    path.write_text(yaml.safe_dump(changed))
    return before, stacks_of(path)


def test_the_portfolio_needs_several_stacks(locked):
    _, stacks = locked
    assert len(set(stacks.values())) >= 2


def test_reordering_pools_and_models_moves_nothing_between_stacks(locked):
    changed = document(POOLS[::-1], 20, 6)
    changed["models"].reverse()
    # When
    before, after = rewrite(locked, changed)
    # Then
    assert after == before


def test_adding_models_at_the_front_keeps_every_deployed_unit_in_its_stack(locked):
    # When ten new components join the first pool, ahead of everything else in the file
    before, after = rewrite(locked, document(POOLS, 20, 6, extra_first=10))
    # Then
    assert {unit: after[unit] for unit in before} == before
    new = {unit: stack for unit, stack in after.items() if unit not in before}
    assert len(new) == 10


def test_removing_the_first_pools_keeps_the_rest_in_their_stacks_and_empties_the_stacks_left(locked):
    path, before = locked
    # When
    _, after = rewrite(locked, document(POOLS[3:], 20, 6))
    plan = plan_file(path)
    # Then
    assert after == {unit: stack for unit, stack in before.items() if unit in after}
    emptied = set(before.values()) - set(after.values())
    assert emptied and set(plan.emptied_stacks) == emptied


def test_the_lock_records_the_stack_of_every_unit(locked):
    path, stacks = locked
    lock = read_lock(lock_path(path))
    assert {key: identity.stack for key, identity in lock.endpoints.items()} == {unit: stack for unit, stack in stacks.items() if not unit.startswith("component:")}
    assert {f"component:{model}": identity.stack for model, identity in lock.components.items()} == {unit: stack for unit, stack in stacks.items() if unit.startswith("component:")}
