"""The changes a team makes every week rehearse cleanly, create -> update -> delete, in CloudFormation's real order:
each update is named and placed after what its base deployed, as the lock file that `make deploy` writes records."""

from __future__ import annotations

import pytest
import yaml

from loadmaster.rehearsal import rehearse_portfolio
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE

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
