"""The spec's limits, each at the limit and one past it, and every guard with the case it refuses and the nearest
case it lets through: what `loadmaster validate` tells a user about a portfolio file.

Each portfolio is the small one below with one field changed (`with_`), written as YAML and validated through the
command line, so the lines read exactly as the user sees them on stderr.
"""

from __future__ import annotations

import pytest

from loadmaster.cli import main

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"

# ml.g5.12xlarge: 4 GPUs, 196608 MB of host memory and 48 vCPUs, of which copies may reserve 176947 MB (10 % kept)
# and 45.6 vCPUs (5 % kept). "demo-" prefixes every SageMaker name, whose limit is 63 characters.
PORTFOLIO = """\
version: 1
name: demo
region: us-east-1
pools:
  - name: gpu-pool
    instance_type: ml.g5.12xlarge
    instances: {{min: 1, max: 2}}
models:
  - name: {shared_name}
    image: {image}
    pool: gpu-pool
    per_copy: {{accelerators: {accelerators}, memory_mb: {memory_mb}, cpu_cores: {cpu_cores}}}
    copies: {{min: {copies_min}, max: {copies_max}}}
    scaling: {scaling}
  - name: solo
    image: {image}
    hosting: dedicated
    instance_type: ml.g5.2xlarge
    instances: {{min: {instances_min}, max: {instances_max}}}
"""
DEFAULTS = {
    "shared_name": "shared", "accelerators": 1, "memory_mb": 8192, "cpu_cores": 2, "copies_min": 1, "copies_max": 2,
    "scaling": "{metric: concurrent-requests-per-copy, target: 4}", "instances_min": 1, "instances_max": 2, "image": IMAGE,
}


def validate(tmp_path, capsys, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "portfolio.yaml"
    path.write_text(text)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    return code, [line.removeprefix(f"{path}: ") for line in err.splitlines()]


def with_(**changes) -> str:
    return PORTFOLIO.format(**(DEFAULTS | changes))


@pytest.fixture
def check(tmp_path, capsys):
    """Validate the portfolio with `changes`: (exit code, the problems on stderr without the file's name)."""
    return lambda **changes: validate(tmp_path, capsys, with_(**changes))


def test_the_portfolio_every_test_here_changes_is_valid(check):
    assert check() == (0, [])


# Names: the portfolio's name, a hyphen and the model's or pool's name make the SageMaker name, at most 63.


def test_a_model_name_that_makes_a_sagemaker_name_of_exactly_63_characters_is_accepted(check):
    assert check(shared_name="m" * 58) == (0, [])


def test_a_model_name_one_character_longer_is_refused_with_the_full_name_and_its_length(check):
    name = "m" * 59
    assert check(shared_name=name) == (2, [f"models[0] ({name}).name: the SageMaker name 'demo-{name}' would be 64 characters; the limit is 63"])


def test_a_pool_name_is_held_to_the_same_limit(tmp_path, capsys):
    accepted, refused = "p" * 58, "p" * 59
    assert validate(tmp_path, capsys, with_().replace("gpu-pool", accepted)) == (0, [])
    assert validate(tmp_path, capsys, with_().replace("gpu-pool", refused)) == (
        2, [f"pools[0] ({refused}).name: the SageMaker name 'demo-{refused}' would be 64 characters; the limit is 63"])


# A copy's fit on its pool's instance type: exactly what the instance lets copies reserve fits, one unit more does not.


def test_a_copy_may_reserve_every_accelerator_of_its_pools_instance_type(check):
    assert check(accelerators=4) == (0, [])


def test_a_copy_may_reserve_exactly_the_host_memory_an_instance_lets_copies_reserve_and_not_one_mb_more(check):
    assert check(memory_mb=176947) == (0, [])
    assert check(memory_mb=176948) == (2, [
        "models[0] (shared).per_copy.memory_mb: 176948 MB does not fit ml.g5.12xlarge: copies may reserve "
        "176947 of its 196608 MB of host memory (10 % kept, see `reserve:`)"])


def test_a_copy_may_reserve_exactly_the_vcpus_an_instance_lets_copies_reserve_and_not_a_tenth_more(check):
    assert check(cpu_cores=45.6) == (0, [])
    assert check(cpu_cores=45.7) == (2, [
        "models[0] (shared).per_copy.cpu_cores: 45.7 CPU cores do not fit ml.g5.12xlarge: copies may reserve "
        "45.6 of its 48 vCPUs (5 % kept, see `reserve:`)"])


def test_a_copy_of_128_mb_the_least_sagemaker_accepts_is_accepted_and_127_is_refused(check):
    assert check(memory_mb=128) == (0, [])
    assert check(memory_mb=127) == (2, ["models[0] (shared).per_copy.memory_mb: expected at least 128, found 127"])


def test_a_copy_without_accelerators_fits_a_cpu_instance_and_one_with_an_accelerator_does_not(tmp_path, capsys):
    # ml.c5.xlarge: 4 vCPUs, 8 GiB, no accelerator
    on_cpu = with_(accelerators=0, memory_mb=2048, cpu_cores=1).replace("ml.g5.12xlarge", "ml.c5.xlarge")
    assert validate(tmp_path, capsys, on_cpu) == (0, [])
    with_accelerator = with_(accelerators=1, memory_mb=2048, cpu_cores=1).replace("ml.g5.12xlarge", "ml.c5.xlarge")
    assert validate(tmp_path, capsys, with_accelerator) == (2, ["models[0] (shared).per_copy.accelerators: ml.c5.xlarge has no accelerators"])


def test_every_copy_that_does_not_fit_is_named_not_only_the_first(tmp_path, capsys):
    # Given two models on the pool, each too large in another dimension
    second = "\n".join([
        "  - name: other", f"    image: {IMAGE}", "    pool: gpu-pool",
        "    per_copy: {accelerators: 1, memory_mb: 200000, cpu_cores: 2}", ""])
    text = with_(accelerators=5).replace("  - name: solo\n", second + "  - name: solo\n")
    code, problems = validate(tmp_path, capsys, text)
    assert (code, [problem.split(":")[0] for problem in problems]) == (2, ["models[0] (shared).per_copy.accelerators", "models[1] (other).per_copy.memory_mb"])


# Counts: min 0 to max 10,000, min never above max, min == max allowed.


def test_copies_with_min_equal_to_max_are_accepted(check):
    assert check(copies_min=2, copies_max=2) == (0, [])


def test_a_negative_minimum_is_refused(check):
    assert check(copies_min=-1) == (2, ["models[0] (shared).copies.min: expected at least 0, found -1"])


def test_a_maximum_of_zero_is_refused(check):
    assert check(copies_min=0, copies_max=0) == (2, ["models[0] (shared).copies.max: expected at least 1, found 0"])


def test_a_minimum_above_the_maximum_is_refused_and_one_below_it_accepted(check):
    assert check(copies_min=3, copies_max=2) == (2, ["models[0] (shared).copies: min (3) is greater than max (2)"])
    assert check(copies_min=1, copies_max=2) == (0, [])


def test_ten_thousand_instances_the_most_a_model_may_have_are_accepted_and_one_more_refused(check):
    code, problems = check(instances_max=10_000)
    assert code == 0, problems  # (the quota warnings it prints go to stderr too)
    assert check(instances_max=10_001)[1] == ["models[1] (solo).instances.max: expected at most 10000, found 10001"]


def test_a_dedicated_endpoint_keeps_one_instance_at_least(check):
    assert check(instances_min=1, instances_max=1) == (0, [])
    assert check(instances_min=0) == (2, [
        "models[1] (solo).instances.min: a dedicated endpoint keeps at least 1 instance; scale to zero needs hosting: inference-component"])


def test_a_model_without_scaling_may_keep_one_copy_but_not_zero(check):
    assert check(scaling="none", copies_min=1, copies_max=1) == (0, [])
    assert check(scaling="none", copies_min=0, copies_max=1) == (2, [
        "models[0] (shared).copies.min: 0 copies (scale to zero) needs scaling to wake the model up; scaling is none"])


def test_a_model_scaling_to_zero_with_scaling_is_accepted(check):
    assert check(copies_min=0) == (0, [])
