"""The planner never crashes: generated `hosting: auto` and mixed portfolios through validate, plan and synth.

Each portfolio mixes what the planner may meet: CPU-only, GPU, Inferentia and unpriced instance types (ml.p5en in the
shipped catalog), pinned pools and instance types, tiny (0.01 GB) and huge (2000 GB) models, with and without traffic,
per_copy, devices and counts. Whatever it draws, a command ends in exit 0 or in exit 2 with one line per problem
naming the file: never a traceback. Hypothesis runs derandomized (a fixed seed) with explicit example budgets.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from loadmaster.cli import main

EXIT_BAD_INPUT = 2
FUZZ = settings(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

IMAGES = [
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124",  # CUDA
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310",  # CPU
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-neuronx-sdk2.19.1",  # Neuron
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/bert-classifier:latest",  # says nothing of its hardware
]
INSTANCE_TYPES = [
    "ml.c5.large", "ml.c5.xlarge", "ml.m5.large", "ml.m5.xlarge",  # CPU, reported not to take inference components
    "ml.inf2.xlarge", "ml.inf2.24xlarge",  # Inferentia
    "ml.p5en.48xlarge",  # no price in the shipped catalog
    "ml.g5.xlarge", "ml.g5.12xlarge", "ml.g6.xlarge", "ml.g6e.48xlarge", "ml.p4d.24xlarge",
]
SIZES_GB = [0.01, 0.44, 2, 7.5, 15, 30, 100, 600, 2000]
names = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True)


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


def count_ranges(low: int) -> st.SearchStrategy:
    return st.integers(low, 3).flatmap(lambda least: st.builds(lambda most: {"min": least, "max": most}, st.integers(max(least, 1), 6)))


traffic = st.builds(
    lambda pattern, mean, burst: {"pattern": pattern, "mean_concurrency": mean, "peak_concurrency": round(mean * burst, 2)},
    st.sampled_from(["steady", "variable", "intermittent", "batch"]),
    st.sampled_from([0, 0.3, 2, 10, 80]),
    st.sampled_from([1, 2, 6]),
)
per_copy = st.builds(lambda accelerators, memory_mb, cpu_cores: {"accelerators": accelerators, "memory_mb": memory_mb, **({"cpu_cores": cpu_cores} if cpu_cores else {})},
                     st.sampled_from([0, 0, 1, 2, 4, 8]), st.sampled_from([128, 1024, 16384, 65536]), st.sampled_from([None, 0.25, 2, 16]))
scaling = st.sampled_from([None, "none", {"metric": "concurrent-requests-per-copy", "target": 4}, {"metric": "concurrent-requests-per-model", "target": 0.5},
                           {"metric": "invocations-per-copy", "target": 100}])
devices = st.lists(st.sampled_from(["gpu", "neuron", "cpu"]), min_size=1, max_size=3, unique=True)


HOSTING_FIELDS = {"inference-component": ("pool", "per_copy", "copies"), "dedicated": ("instance_type", "instances")}


@st.composite
def models(draw, pool_names: list[str]) -> dict[str, Any]:
    hosting = draw(st.sampled_from(["auto", "auto", "auto", "inference-component", "dedicated"]))
    model: dict[str, Any] = {"image": draw(st.sampled_from(IMAGES)), "hosting": hosting}
    optional = {
        "size_gb": maybe(st.sampled_from(SIZES_GB)),
        "traffic": maybe(traffic),
        "latency_slo_ms": maybe(st.sampled_from([100, 2_000, 600_000])),
        "devices": maybe(devices),
        "scaling": scaling,
        "pool": maybe(st.sampled_from(pool_names)) if pool_names else st.none(),
        "per_copy": maybe(per_copy),
        "copies": maybe(count_ranges(0)),
        "instance_type": maybe(st.sampled_from(INSTANCE_TYPES)),
        "instances": maybe(count_ranges(1)),
    }
    # Mostly the fields of one hosting, so that most portfolios reach the planner; now and then a conflict.
    pinned = hosting if hosting != "auto" else draw(st.sampled_from([None, "inference-component", "dedicated"]))
    mixed = draw(st.integers(0, 9)) == 0
    for field, strategy in optional.items():
        belongs_to = next((owner for owner, fields in HOSTING_FIELDS.items() if field in fields), None)
        if belongs_to and belongs_to != pinned and not mixed:
            continue
        if field == "scaling" and draw(st.integers(0, 3)):
            continue
        value = draw(strategy)
        if value is not None:
            model[field] = value
    if "size_gb" not in model and "per_copy" not in model and "instance_type" not in model:
        model["size_gb"] = draw(st.sampled_from(SIZES_GB))
    return model


@st.composite
def portfolios(draw) -> dict[str, Any]:
    pool_names = draw(st.lists(names, max_size=2, unique=True))
    pools = []
    for name in pool_names:
        pool: dict[str, Any] = {"name": f"p{name}"}
        if draw(st.integers(0, 3)):
            pool["instance_type"] = draw(st.sampled_from(INSTANCE_TYPES))
        if draw(st.booleans()):
            pool["instances"] = draw(count_ranges(0))
        pools.append(pool)
    model_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    document: dict[str, Any] = {"version": 1, "name": "fuzz", "region": "us-east-1", "pools": pools,
                                "models": [{"name": f"m{name}", **draw(models([pool["name"] for pool in pools]))} for name in model_names]}
    if draw(st.booleans()):
        document["prices"] = {"ml.p5en.48xlarge": 84.8}
    return document


def run(*argv: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(argv))
    return code, stdout.getvalue(), stderr.getvalue()


def assert_plans_or_names_its_problems(path: Path, code: int, stderr: str) -> None:
    assert code in (0, EXIT_BAD_INPUT), stderr
    if code == EXIT_BAD_INPUT:
        lines = stderr.strip().splitlines()
        assert lines and all(line.startswith(f"{path}: ") for line in lines), stderr


# Issue 8's crashes: an auto model pinned to a CPU type, with a second auto model (the plan and the stacks).
ISSUE_8 = {"version": 1, "name": "issue", "region": "us-east-1", "models": [
    {"name": "bert", "image": IMAGES[3], "hosting": "auto", "size_gb": 0.44, "instance_type": "ml.c5.xlarge"},
    {"name": "other", "image": IMAGES[1], "hosting": "auto", "size_gb": 0.44, "traffic": {"pattern": "steady", "mean_concurrency": 2, "peak_concurrency": 4}},
]}


@settings(FUZZ, max_examples=150)
@given(portfolios())
@example(ISSUE_8)
def test_validate_and_plan_end_in_a_plan_or_named_problems(portfolio):
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "portfolio.yaml"
        path.write_text(yaml.safe_dump(portfolio, sort_keys=False))

        validated, _, validate_errors = run("validate", str(path))
        planned, shown, plan_errors = run("plan", str(path), "--format", "json")

    assert_plans_or_names_its_problems(path, validated, validate_errors)
    assert_plans_or_names_its_problems(path, planned, plan_errors)
    assert validated == planned
    event(f"plan exit {planned}")  # pytest --hypothesis-show-statistics shows how many planned
    if planned == 0:
        document = json.loads(shown)
        bound = document["lower_bound_hourly_cost"]
        assert bound is None or bound <= document["hourly_cost"] + 1e-6


@settings(FUZZ, max_examples=8, phases=[Phase.explicit, Phase.generate])
@given(portfolios())
@example(ISSUE_8)
def test_synth_ends_in_an_assembly_or_named_problems(portfolio):
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "portfolio.yaml"
        path.write_text(yaml.safe_dump(portfolio, sort_keys=False))

        code, _, stderr = run("synth", str(path), "--out", f"{workdir}/cdk.out")

        assert_plans_or_names_its_problems(path, code, stderr)
        assert (Path(workdir) / "cdk.out" / "manifest.json").exists() == (code == 0)
        event(f"synth exit {code}")
