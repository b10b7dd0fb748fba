"""The spec's limits, each at the limit and one past it, and every guard with the case it refuses and the nearest
case it lets through: what `loadmaster validate` tells a user about a portfolio file.

Each portfolio is the small one below with one field changed (`with_`), written as YAML and validated through the
command line, so the lines read exactly as the user sees them on stderr.
"""

from __future__ import annotations

import pytest

from hosting_names import hostings_with
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


class Check:
    """Validate the portfolio with `changes` (or a text of one): (exit code, the problems on stderr without the file's name)."""

    def __init__(self, tmp_path, capsys):
        self.tmp_path, self.capsys = tmp_path, capsys

    def __call__(self, **changes) -> tuple[int, list[str]]:
        return self.text(with_(**changes))

    def text(self, text: str) -> tuple[int, list[str]]:
        return validate(self.tmp_path, self.capsys, text)


@pytest.fixture
def check(tmp_path, capsys):
    return Check(tmp_path, capsys)


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


# hosting: auto: the fields of one hosting decide it; fields of both are refused.


def auto_model(**fields) -> str:
    written = "".join(f"    {key}: {value}\n" for key, value in fields.items())
    return f"  - name: auto\n    image: {IMAGE}\n    hosting: auto\n{written}"


def with_model(text: str) -> str:
    return with_().replace("  - name: solo\n", text + "  - name: solo\n")


def test_an_auto_model_with_fields_of_both_hostings_is_refused_naming_each_field_and_its_hosting(tmp_path, capsys):
    text = with_model(auto_model(size_gb=2, pool="gpu-pool", instance_type="ml.g5.xlarge"))
    assert validate(tmp_path, capsys, text) == (2, [
        "models[1] (auto).hosting: auto, but fields of both hostings are written: pool (inference-component), instance_type (dedicated)"])


def test_a_scaling_metric_of_the_other_hosting_counts_as_one_of_its_fields(tmp_path, capsys):
    text = with_model(auto_model(size_gb=2, copies="{min: 1, max: 2}", scaling="{metric: concurrent-requests-per-model, target: 4}"))
    assert validate(tmp_path, capsys, text) == (2, [
        "models[1] (auto).hosting: auto, but fields of both hostings are written: copies (inference-component), scaling.metric (dedicated)"])


def test_an_auto_model_needs_size_gb_unless_its_fields_decide_its_hosting(tmp_path, capsys):
    assert validate(tmp_path, capsys, with_model(auto_model())) == (
        2, ["models[1] (auto).size_gb: required for hosting: auto (the planner sizes the model from it)"])
    # A dedicated endpoint's instance_type decides the hosting: nothing is left to size
    assert validate(tmp_path, capsys, with_model(auto_model(instance_type="ml.g5.xlarge"))) == (0, [])


def test_an_auto_model_whose_fields_decide_inference_component_is_checked_as_one(tmp_path, capsys):
    # A pool decides it, and then the pool's fit applies: 5 GPUs do not fit ml.g5.12xlarge
    text = with_model(auto_model(pool="gpu-pool", per_copy="{accelerators: 5, memory_mb: 1024}"))
    assert validate(tmp_path, capsys, text) == (2, ["models[1] (auto).per_copy.accelerators: 5 accelerators do not fit ml.g5.12xlarge (4 GPUs)"])


def test_a_per_copy_scaling_metric_alone_decides_inference_component_and_its_checks(tmp_path, capsys):
    # scaling.metric invocations-per-copy pins the auto model to inference components, where blue-green does not apply
    text = with_model(auto_model(size_gb=2, scaling="{metric: invocations-per-copy, target: 100}", deployment="{strategy: blue-green}"))
    assert validate(tmp_path, capsys, text) == (2, [
        "models[1] (auto).deployment.strategy: inference components update by rolling copies; blue-green is for hosting: dedicated"])


# What a problem says it found: the value when short and plain, else its kind.


@pytest.mark.parametrize(("document", "found"), [
    ("[]", "a list"), ("", "nothing"), ("just text", "a string"), ("3", "a number"), ("2.5", "a number"), ("true", "true or false"),
])
def test_a_file_that_is_not_a_mapping_is_refused_saying_what_it_holds(tmp_path, capsys, document, found):
    assert validate(tmp_path, capsys, document + "\n") == (2, [f"expected a mapping of portfolio keys, found {found}"])


@pytest.mark.parametrize(("value", "found"), [
    ("x" * 60, repr("x" * 60)), ("x" * 61, "a string"), ("[1, 2]", "a list"), ("{a: 1}", "a mapping"), ("true", "true"), ("1.5", "1.5"),
])
def test_a_value_of_the_wrong_type_is_quoted_up_to_60_characters_and_otherwise_named_by_its_kind(tmp_path, capsys, value, found):
    text = with_().replace("cpu_cores: 2}", "cpu_cores: 2}\n    latency_slo_ms: " + value, 1)
    assert validate(tmp_path, capsys, text) == (2, [f"models[0] (shared).latency_slo_ms: expected an integer, found {found}"])


def test_a_sagemaker_name_longer_than_100_characters_is_quoted_up_to_the_hundredth(tmp_path, capsys):
    # Given a portfolio name of 63 characters and a model name of 50: 114 characters in all
    portfolio, name = "p" * 63, "m" * 50
    text = with_(shared_name=name).replace("name: demo", f"name: {portfolio}")
    code, problems = validate(tmp_path, capsys, text)
    full = f"{portfolio}-{name}"
    assert f"models[0] ({name}).name: the SageMaker name '{full[:100]}...' would be 114 characters; the limit is 63" in problems


# A file with a structural problem still gets every whole-file check, with the settings it does write.


def test_the_whole_file_checks_run_with_the_files_own_settings_beside_a_structural_problem(tmp_path, capsys):
    # Given an unknown key (a structural problem), and settings that each whole-file check reads
    text = with_(memory_mb=190_000).replace("region: us-east-1\n", "\n".join([
        "region: us-east-1",
        "owner: platform-team",
        "prices: {ml.g5.13xlarge: 1.0}",
        "quotas: {instancez: 3}",
        "storage_gb: {ml.g5.12xlarge: 100}",
        "artifact_kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "reserve: {host_memory_percent: 2}",
        ""]))
    code, problems = validate(tmp_path, capsys, text)
    # Then each is reported, and the copy of 190000 MB fits the 192675 MB that the written 2 % reserve leaves
    assert (code, problems) == (2, [
        "owner: unknown key (check its spelling)",
        "prices.ml.g5.13xlarge: unknown instance type (not in the instance catalog)",
        "quotas.instancez: neither an instance type of the catalog nor one of instances, endpoints; did you mean `instances`?",
        "storage_gb.ml.g5.12xlarge: ml.g5.12xlarge has local NVMe storage (3800 GB), where SageMaker attaches no EBS volume: remove it",
        "artifact_kms_key_arn: the key is in eu-west-1, but the portfolio deploys to us-east-1, where S3 can only use keys of us-east-1",
    ])


def test_a_structural_problem_leaves_the_name_checks_to_the_portfolios_own_name(tmp_path, capsys):
    text = with_(shared_name="m" * 58).replace("name: demo", "name: demo2").replace("region: us-east-1\n", "region: us-east-1\nowner: x\n")
    name = "m" * 58
    assert validate(tmp_path, capsys, text)[1] == [
        "owner: unknown key (check its spelling)",
        f"models[0] ({name}).name: the SageMaker name 'demo2-{name}' would be 64 characters; the limit is 63"]


def test_a_pool_named_in_a_file_without_pools_is_refused_beside_a_structural_problem_too(check):
    # Given a file with no `pools:` at all, and an unknown key that sends it through the checks of a malformed file
    text = with_().replace("pools:\n  - name: gpu-pool\n    instance_type: ml.g5.12xlarge\n    instances: {min: 1, max: 2}\n", "owner: x\n")
    assert check.text(text) == (2, ["owner: unknown key (check its spelling)", "models[0] (shared).pool: undefined pool 'gpu-pool' (pools: none defined)"])


# An unknown instance type: the sizes of the family named, else the closest spellings, else what one looks like.


@pytest.mark.parametrize(("written", "message"), [
    ("ml.g5.13xlarge", "unknown instance type 'ml.g5.13xlarge'; the catalog's ml.g5 sizes are xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, "
                       "16xlarge, 24xlarge, 48xlarge"),
    ("ml.g55.xlarge", "unknown instance type 'ml.g55.xlarge'; did you mean ml.g5.xlarge or ml.g5.8xlarge or ml.g5.4xlarge?"),
    ("gpu", "unknown instance type 'gpu': not a SageMaker hosting instance type (they look like ml.g5.xlarge)"),
])
def test_an_unknown_instance_type_is_refused_with_what_the_user_probably_meant(tmp_path, capsys, written, message):
    assert validate(tmp_path, capsys, with_().replace("instance_type: ml.g5.2xlarge", f"instance_type: {written}")) == (
        2, [f"models[1] (solo).instance_type: {message}"])


# Fields of the other hosting, and what each hosting needs written.


def test_every_field_of_a_dedicated_endpoint_on_an_inference_component_is_refused_by_name(check):
    text = with_().replace("    pool: gpu-pool\n", "    pool: gpu-pool\n    instance_type: ml.g5.xlarge\n    ssm_access: true\n", 1)
    code, problems = check.text(text)
    assert (code, problems) == (2, [
        f"models[0] (shared).instance_type: does not apply to hosting: inference-component; it is a key of hosting: {hostings_with('instance_type')}",
        f"models[0] (shared).ssm_access: does not apply to hosting: inference-component; it is a key of hosting: {hostings_with('ssm_access')}"])


def test_every_field_of_an_inference_component_on_a_dedicated_endpoint_is_refused_by_name(check):
    text = with_().replace("    hosting: dedicated\n", "    hosting: dedicated\n    pool: gpu-pool\n    copies: {min: 1, max: 2}\n")
    assert check.text(text) == (2, [
        "models[1] (solo).pool: does not apply to hosting: dedicated; it is a key of hosting: inference-component",
        "models[1] (solo).copies: does not apply to hosting: dedicated; it is a key of hosting: inference-component"])


def test_an_inference_component_needs_per_copy_or_size_gb(check):
    text = with_().replace("    per_copy: {accelerators: 1, memory_mb: 8192, cpu_cores: 2}\n", "")
    assert check.text(text) == (2, ["models[0] (shared).per_copy: required unless size_gb is given for the planner to derive it"])


def test_a_dedicated_endpoint_needs_an_instance_type_or_size_gb(check):
    text = with_().replace("    instance_type: ml.g5.2xlarge\n", "")
    assert check.text(text) == (2, ["models[1] (solo).instance_type: required unless size_gb is given for the planner to choose it"])


def test_a_pool_named_where_no_pool_is_defined_says_none_are(check):
    text = with_().replace("pools:\n  - name: gpu-pool\n    instance_type: ml.g5.12xlarge\n    instances: {min: 1, max: 2}\n", "")
    assert check.text(text) == (2, ["models[0] (shared).pool: undefined pool 'gpu-pool' (pools: none defined)"])


def test_a_name_used_three_times_names_its_first_use_on_each_repeat(check):
    repeat = "\n".join(["  - name: shared", f"    image: {IMAGE}", "    pool: gpu-pool", "    per_copy: {memory_mb: 1024}", ""])
    text = with_().replace("  - name: solo\n", repeat + repeat + "  - name: solo\n")
    assert check.text(text) == (2, [
        "models[1] (shared).name: duplicate name, already used by models[0]",
        "models[2] (shared).name: duplicate name, already used by models[0]"])


# Settings of the whole file, checked on a file that is otherwise valid too.


def test_storage_for_an_unknown_type_or_one_with_local_nvme_is_refused_and_for_an_ebs_type_accepted(check):
    # ml.c5.xlarge has no local NVMe: SageMaker attaches an EBS volume, whose size storage_gb states
    storage = "storage_gb: {{{}}}\n"
    assert check.text(with_().replace("region: us-east-1\n", "region: us-east-1\n" + storage.format("ml.c5.xlarge: 30"))) == (0, [])
    assert check.text(with_().replace("region: us-east-1\n", "region: us-east-1\n" + storage.format("ml.g5.12xlarge: 100, ml.c5.huge: 30"))) == (2, [
        "storage_gb.ml.g5.12xlarge: ml.g5.12xlarge has local NVMe storage (3800 GB), where SageMaker attaches no EBS volume: remove it",
        "storage_gb.ml.c5.huge: unknown instance type (not in the instance catalog)"])


# A dedicated endpoint's variants (SageMaker API reference, CreateEndpointConfig): up to 10 production variants, a
# shadow variant beside exactly one, every name unique on the endpoint. `solo` is the last model: its keys end the file.


def with_solo(*lines: str) -> str:
    return with_() + "".join(f"    {line}\n" for line in lines)


def variants(*names: str, **keys) -> str:
    written = "".join(f", {key}: {value}" for key, value in keys.items())
    return "variants: [" + ", ".join(f"{{name: {name}, weight: 1{written}}}" for name in names) + "]"


def test_a_dedicated_endpoint_takes_ten_production_variants_and_refuses_an_eleventh(check):
    ten = [f"v{index}" for index in range(10)]
    code, problems = check.text(with_solo(variants(*ten)))
    assert code == 0, problems  # (20 instances of ml.g5.2xlarge at most: the quota warnings go to stderr too)
    assert check.text(with_solo(variants(*ten, "v10"))) == (2, ["models[1] (solo).variants: at most 10 production variants on an endpoint, got 11"])


def test_a_shadow_variant_runs_beside_the_models_own_variant_or_one_production_variant_and_not_two(check):
    assert check.text(with_solo("shadow: {name: next}")) == (0, [])
    assert check.text(with_solo(variants("current"), "shadow: {name: next}")) == (0, [])
    assert check.text(with_solo(variants("current", "candidate"), "shadow: {name: next}")) == (2, [
        "models[1] (solo).shadow: an endpoint with a shadow variant has exactly one production variant, got 2 variants"])


def test_a_variants_name_is_unique_on_the_endpoint_the_shadows_too(check):
    assert check.text(with_solo(variants("a", "b", "a"))) == (2, ["models[1] (solo).variants[2] (a).name: duplicate name, already used by variants[0]"])
    assert check.text(with_solo(variants("a"), "shadow: {name: a}")) == (2, [
        "models[1] (solo).shadow.name: 'a' is also the name of variants[0]; a variant's name is unique on the endpoint"])


def test_a_shadow_is_named_otherwise_than_the_models_own_variant_unless_production_variants_replace_it(check):
    assert check.text(with_solo("shadow: {name: AllTraffic}")) == (2, [
        "models[1] (solo).shadow.name: AllTraffic is the name of the model's own variant; name the shadow otherwise"])
    assert check.text(with_solo(variants("current"), "shadow: {name: AllTraffic}")) == (0, [])


def test_a_production_variant_keeps_one_instance_at_least(check):
    assert check.text(with_solo(variants("a", instances="{min: 1, max: 1}"))) == (0, [])
    assert check.text(with_solo(variants("a", instances="{min: 0, max: 1}"))) == (2, [
        "models[1] (solo).variants[0] (a).instances.min: a variant keeps at least 1 instance"])


# A scheduled window moves the model between its min and max: within the range the plan gives the model.


def planned(tmp_path, capsys, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "portfolio.yaml"
    path.write_text(text)
    code = main(["plan", str(path)])
    return code, [line.removeprefix(f"{path}: ") for line in capsys.readouterr().err.splitlines()]


def test_a_window_may_move_a_dedicated_endpoint_to_either_end_of_its_instances_and_not_past_them(tmp_path, capsys):
    def window(low: int, high: int) -> str:
        return f"scaling: {{metric: concurrent-requests-per-model, target: 4, schedule: [{{name: nights, rate: 1 day, min: {low}, max: {high}}}]}}"

    assert planned(tmp_path, capsys, with_solo(window(1, 2)))[0] == 0
    assert planned(tmp_path, capsys, with_solo(window(0, 3))) == (2, [
        "models[1] (solo).scaling.schedule: window 'nights': min 0 is outside the model's range 1..2",
        "models[1] (solo).scaling.schedule: window 'nights': max 3 is outside the model's range 1..2"])
