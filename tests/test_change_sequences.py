"""The changes a team makes every week rehearse cleanly, create -> update -> delete, in CloudFormation's real order:
each update is named and placed after what its base deployed, as the lock file that `make deploy` writes records."""

from __future__ import annotations

import pytest
import yaml

from loadmaster.planner.make import plan_file
from loadmaster.rehearsal import rehearse_plans, rehearse_portfolio
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE
from loadmaster.synthesis import prepare_cdk_runtime
from portfolio_factory import large_portfolio

pytestmark = pytest.mark.slow

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/scorer:1"


def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def model_named(document: dict, name: str) -> dict:
    return next(model for model in document["models"] if model["name"] == name)


def reordered(document: dict) -> dict:
    document["models"].reverse()
    document["pools"].reverse()
    return document


def with_a_model_added_first(document: dict) -> dict:
    # On the A100 pool: the A10G pool's models fill its 4 x 4 GPUs at their maxima already
    added = {"name": "docstring", "image": IMAGE, "artifact": "s3://codegen-models/docstring/model.tar.gz", "pool": "a100-pool",
             "per_copy": {"accelerators": 1, "memory_mb": 8192, "cpu_cores": 2}, "copies": {"min": 1, "max": 2}}
    document["models"].insert(0, added)
    return document


def with_a_model_removed(document: dict) -> dict:
    document["models"].remove(model_named(document, "flowgpt"))
    return document


def with_a_model_made_dedicated(document: dict) -> dict:
    textevel = model_named(document, "textevel")
    for key in ("pool", "per_copy", "copies"):
        textevel.pop(key)
    textevel.update(hosting="dedicated", instance_type="ml.g5.xlarge", instances={"min": 1, "max": 2},
                    scaling={"metric": "invocations-per-instance", "target": 120})
    return document


def with_pool_limits_changed(document: dict) -> dict:
    document["pools"][0]["instances"] = {"min": 1, "max": 6}
    return document


@pytest.mark.parametrize("change", [reordered, with_a_model_added_first, with_a_model_removed, with_a_model_made_dedicated, with_pool_limits_changed])
def test_an_everyday_change_to_the_example_rehearses_cleanly(tmp_path, change):
    # Given the example and its change
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(change(example())))
    # When
    report = rehearse_portfolio(EXAMPLE, changed)
    # Then
    assert report[-1].startswith("rehearsal passed"), report[-3:]


def scoring(pools: int, models_per_pool: int) -> dict:
    """A portfolio of `pools` pools of scaled components: three pools of 30 need two stacks, one pool of 10 one."""
    names = [f"pool-{index}" for index in range(pools)]
    return {
        "version": 1, "name": "scoring", "region": "us-east-1",
        "pools": [{"name": name, "instance_type": "ml.g5.48xlarge", "instances": {"min": 1, "max": 8}} for name in names],
        "models": [{"name": f"{pool}-m{index:02d}", "image": IMAGE, "pool": pool, "per_copy": {"accelerators": 1, "memory_mb": 4096},
                    "copies": {"min": 1, "max": 2}} for pool in names for index in range(models_per_pool)],
    }


@pytest.mark.parametrize(("before", "after"), [((1, 10), (3, 30)), ((3, 30), (1, 10))], ids=["grows-into-two-stacks", "shrinks-into-one"])
def test_a_portfolio_crossing_the_split_threshold_rehearses_cleanly(tmp_path, before, after):
    # Given
    base, changed = tmp_path / "scoring.yaml", tmp_path / "changed.yaml"
    base.write_text(yaml.safe_dump(scoring(*before)))
    changed.write_text(yaml.safe_dump(scoring(*after)))
    # When
    report = rehearse_portfolio(base, changed)
    # Then
    created = [line for line in report if line.startswith("created stack")]
    assert report[-1].startswith("rehearsal passed"), report[-3:]
    assert len(created) == (1 if before == (1, 10) else 2) + (1 if after == (3, 30) else 0)


AUTO_EXAMPLE = EXAMPLE.with_name("auto-platform.yaml")


@pytest.fixture(scope="module")
def auto_deployed():
    """Given the auto example planned, as deployed and locked."""
    prepare_cdk_runtime()
    from stacks import identities_as_deployed

    plan = plan_file(AUTO_EXAMPLE)
    return plan, identities_as_deployed(plan)


def sagemaker_names(plan) -> dict[str, str]:
    """What clients call: `pool NAME` or `model NAME (inference component|dedicated endpoint)` -> SageMaker name."""
    names = {f"pool {pool.name}": pool.endpoint_name for pool in plan.pools}
    names.update({f"model {component.model} (inference component)": component.component_name for pool in plan.pools for component in pool.components})
    names.update({f"model {model.model} (dedicated endpoint)": model.endpoint_name for model in plan.dedicated})
    return names


@pytest.mark.parametrize("replan", [False, True], ids=["kept", "replanned"])
def test_a_traffic_only_change_under_auto_keeps_every_name_unless_replanned_and_rehearses_cleanly(auto_deployed, tmp_path, replan):
    # Given flowgpt's traffic: mean 6 -> 14, and steady (planned afresh, it gets an endpoint of its own)
    base, lock = auto_deployed
    document = yaml.safe_load(AUTO_EXAMPLE.read_text())
    model_named(document, "flowgpt")["traffic"] = {"pattern": "steady", "mean_concurrency": 14, "peak_concurrency": 20}
    changed = tmp_path / "auto-platform.yaml"
    changed.write_text(yaml.safe_dump(document))
    # When
    update = plan_file(changed, previous=lock, replan=replan)
    report = rehearse_plans([base, update])
    # Then
    assert report[-1].startswith("rehearsal passed"), report[-3:]
    moved = {owner: name for owner, name in sagemaker_names(update).items() if sagemaker_names(base).get(owner) != name}
    gone = set(sagemaker_names(base)) - set(sagemaker_names(update))
    if replan:
        assert moved == {"model flowgpt (dedicated endpoint)": "auto-platform-flowgpt"} and gone == {"model flowgpt (inference component)"}
    else:
        assert moved == {} and gone == set()


def test_shrinking_150_models_to_the_first_40_keeps_each_pool_in_its_stack_and_rehearses_cleanly(tmp_path):
    # Given 150 models in three pools of 30 and 60 dedicated endpoints, split over stacks, deployed and locked
    prepare_cdk_runtime()
    from stacks import identities_as_deployed

    document = large_portfolio(150, pool_sizes=(30, 30, 30), seed=3)
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(document))
    base = plan_file(tmp_path / "fleet.yaml")
    lock = identities_as_deployed(base)
    # When the file keeps its first 40 models (the first pool and a third of the second) and the pools they use
    document["models"] = document["models"][:40]
    document["pools"] = [pool for pool in document["pools"] if any(model.get("pool") == pool["name"] for model in document["models"])]
    (tmp_path / "shrunk.yaml").write_text(yaml.safe_dump(document))
    shrunk = plan_file(tmp_path / "shrunk.yaml", previous=lock)
    report = rehearse_plans([base, shrunk])
    # Then
    assert len({identity.stack for identity in lock.endpoints.values()}) >= 2
    assert {pool.name: pool.stack for pool in shrunk.pools} == {"pool-00": lock.endpoints["pool:pool-00"].stack, "pool-01": lock.endpoints["pool:pool-01"].stack}
    assert report[-1].startswith("rehearsal passed"), report[-3:]
