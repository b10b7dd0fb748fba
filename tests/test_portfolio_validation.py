"""Portfolio validation: every problem in a bad portfolio, all at once, each one line naming file, model and field.

Each bad portfolio is the small valid one below with one thing changed, written to `portfolio.yaml` in a temporary
working directory so that the rendered lines read exactly as the user sees them.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from hosting_names import hostings_listed, hostings_with
from loadmaster.catalog import load_catalog
from loadmaster.errors import PortfolioError
from loadmaster.spec.load import load_portfolio, validate_portfolio
from loadmaster.spec.schema import Portfolio
from loadmaster.synthesis import DEFAULT_PORTFOLIO

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"

# Three models so that `blockgen` is models[2], as in the example line.
VALID = {
    "version": 1,
    "name": "demo",
    "region": "us-east-1",
    "pools": [{"name": "gpu-pool", "instance_type": "ml.g5.12xlarge", "instances": {"min": 1, "max": 2}}],
    "models": [
        {
            "name": "inline",
            "image": IMAGE,
            "artifact": "s3://demo-models/inline/model.tar.gz",
            "hosting": "dedicated",
            "instance_type": "ml.g5.2xlarge",
            "instances": {"min": 1, "max": 2},
            "scaling": {"metric": "concurrent-requests-per-model", "target": 10},
        },
        {
            "name": "textevel",
            "image": {"framework": "djl-lmi", "version": "0.29.0"},
            "hosting": "inference-component",
            "pool": "gpu-pool",
            "per_copy": {"accelerators": 1, "memory_mb": 8192},
        },
        {
            "name": "blockgen",
            "image": IMAGE,
            "artifact": "s3://demo-models/blockgen/model.tar.gz",
            "environment": {"OPTION_MAX_MODEL_LEN": "4096"},
            "hosting": "inference-component",
            "pool": "gpu-pool",
            "per_copy": {"accelerators": 1, "memory_mb": 24576, "cpu_cores": 4},
            "copies": {"min": 0, "max": 4},
            "scaling": {"metric": "concurrent-requests-per-copy", "target": 4},
        },
    ],
}
INLINE, TEXTEVEL, BLOCKGEN = 0, 1, 2


@pytest.fixture
def portfolio(monkeypatch, tmp_path):
    """A fresh copy of the valid portfolio to change; `problems_in` writes it and returns the rendered lines."""
    monkeypatch.chdir(tmp_path)
    return copy.deepcopy(VALID)


def problems_in(document: dict | str) -> list[str]:
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    with open("portfolio.yaml", "w", encoding="utf-8") as file:
        file.write(text)
    with pytest.raises(PortfolioError) as raised:
        load_portfolio("portfolio.yaml")
    return raised.value.render().splitlines()


def model(document: dict, index: int) -> dict:
    return document["models"][index]


def test_the_small_valid_portfolio_every_other_test_changes_is_valid(portfolio):
    # Otherwise a test below could pass on a problem it did not make.
    assert validate_portfolio(portfolio, "portfolio.yaml", load_catalog()).name == "demo"


def test_the_built_in_example_is_valid():
    portfolio = load_portfolio(DEFAULT_PORTFOLIO)

    assert [m.name for m in portfolio.models] == ["inline", "textevel", "blockgen", "flowgpt", "apexguru", "codegen-xl"]


def test_a_portfolio_made_in_python_of_validated_models_keeps_each_models_hosting(portfolio):
    # Given the models of a validated portfolio, put into a new one by a program (not read from a file)
    validated = validate_portfolio(portfolio, "portfolio.yaml", load_catalog())

    remade = Portfolio.model_validate({"version": 1, "name": "remade", "models": list(validated.models)})

    assert [(model.name, model.hosting) for model in remade.models] == [
        ("inline", "dedicated"), ("textevel", "inference-component"), ("blockgen", "inference-component")]


# Structure: keys, types


def test_an_unknown_top_level_key_is_rejected(portfolio):
    portfolio["owner"] = "ai-platform"

    assert problems_in(portfolio) == ["portfolio.yaml: owner: unknown key (check its spelling)"]


def test_a_typo_in_a_model_key_is_rejected_naming_the_model_the_misspelt_key_and_the_key_it_resembles(portfolio):
    model(portfolio, BLOCKGEN)["per_cpy"] = model(portfolio, BLOCKGEN).pop("per_copy")

    # and only that: not also "per_copy: required"
    assert problems_in(portfolio) == ["portfolio.yaml: models[2] (blockgen).per_cpy: unknown key `per_cpy`: did you mean `per_copy`?"]


def test_a_model_with_a_misspelt_key_still_gets_the_whole_file_checks_on_the_rest(portfolio):
    model(portfolio, BLOCKGEN)["enviroment"] = model(portfolio, BLOCKGEN).pop("environment")
    model(portfolio, BLOCKGEN)["per_copy"]["accelerators"] = 5

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[2] (blockgen).enviroment: unknown key `enviroment`: did you mean `environment`?",
        "portfolio.yaml: models[2] (blockgen).per_copy.accelerators: 5 accelerators do not fit ml.g5.12xlarge (4 GPUs)",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m["per_copy"].update(memory_mb="lots"), "per_copy.memory_mb: expected an integer, found 'lots'"),
        (lambda m: m["per_copy"].update(accelerators=1.5), "per_copy.accelerators: expected an integer, found 1.5"),
        (lambda m: m["environment"].update(OPTION_MAX_MODEL_LEN=4096), "environment.OPTION_MAX_MODEL_LEN: expected a string, found 4096"),
        (lambda m: m["scaling"].update(target="high"), "scaling.target: expected a number, found 'high'"),
        (lambda m: m.update(copies=[0, 4]), "copies: expected a mapping, found a list"),
        (lambda m: m.update(hosting="shared"), f"hosting: expected {hostings_listed()}, found 'shared'"),
        (lambda m: m.update(image=42), "image: expected an ECR image URI or a mapping {framework, version}"),
    ],
    ids=["int-given-text", "int-given-fraction", "string-given-number", "number-given-text", "mapping-given-list", "choice-given-other", "image-given-number"],
)
def test_a_value_of_the_wrong_type_is_rejected_naming_the_expected_type(portfolio, change, expected):
    change(model(portfolio, BLOCKGEN))

    assert problems_in(portfolio) == [f"portfolio.yaml: models[2] (blockgen).{expected}"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m["per_copy"].update(memory_mb=64), "per_copy.memory_mb: expected at least 128, found 64"),
        (lambda m: m["per_copy"].update(memory_mb=5_000_000), "per_copy.memory_mb: expected at most 4194304, found 5000000"),
        (lambda m: m["scaling"].update(target=0), "scaling.target: expected more than 0, found 0"),
        (lambda m: m["scaling"].update(scale_in_cooldown_s=100_000), "scaling.scale_in_cooldown_s: expected at most 86400, found 100000"),
    ],
    ids=["below-minimum", "above-maximum", "not-above-exclusive-minimum", "above-maximum-seconds"],
)
def test_a_number_out_of_range_is_rejected_naming_the_bound(portfolio, change, expected):
    change(model(portfolio, BLOCKGEN))

    assert problems_in(portfolio) == [f"portfolio.yaml: models[2] (blockgen).{expected}"]


# Names


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (lambda m: m.update(network={"subnets": ["subnet-0aa11bb22cc33dd44", "net-1"], "security_groups": ["sg-0aa11bb22cc33dd44"]}),
         "network.subnets[1]", "expected a subnet ID such as subnet-0123456789abcdef0, found 'net-1'"),
        (lambda m: m.update(network={"subnets": ["subnet-0aa11bb22cc33dd44"], "security_groups": ["default"]}),
         "network.security_groups[0]", "expected a security group ID such as sg-0123456789abcdef0, found 'default'"),
        (lambda m: m.update(hosting="batch", batch={"input": "demo-data/daily", "instance_type": "ml.m5.xlarge", "runs_per_month": 30, "run_hours": 1},
                            instance_type=None, instances=None, scaling=None),
         "batch.input", "expected an S3 prefix such as s3://bucket/prefix/ (ending in /), found 'demo-data/daily'"),
    ],
    ids=["subnet", "security-group", "s3-prefix"],
)
def test_a_value_not_in_its_form_is_rejected_naming_the_form_it_takes(portfolio, change, field, expected):
    # Given a value that does not match its key's pattern
    inline = model(portfolio, INLINE)
    change(inline)
    for key in [key for key, value in inline.items() if value is None]:
        del inline[key]

    # Then the error says what the key takes, not the regular expression it is checked with
    assert problems_in(portfolio) == [f"portfolio.yaml: models[0] (inline).{field}: {expected}"]


def test_a_duplicate_model_name_is_rejected_naming_the_first_use(portfolio):
    model(portfolio, BLOCKGEN)["name"] = "textevel"

    assert problems_in(portfolio) == ["portfolio.yaml: models[2] (textevel).name: duplicate name, already used by models[1]"]


def test_a_duplicate_pool_name_is_rejected_naming_the_first_use(portfolio):
    portfolio["pools"].append({"name": "gpu-pool", "instance_type": "ml.g6.12xlarge"})

    assert problems_in(portfolio) == ["portfolio.yaml: pools[1] (gpu-pool).name: duplicate name, already used by pools[0]"]


def test_a_duplicate_pool_name_is_reported_even_when_that_pool_has_another_problem(portfolio):
    portfolio["pools"].append({"name": "gpu-pool", "instance_type": "ml.g6.12xlarge", "routing": "fastest"})

    assert problems_in(portfolio) == [
        "portfolio.yaml: pools[1] (gpu-pool).routing: expected 'least-outstanding-requests' or 'random', found 'fastest'",
        "portfolio.yaml: pools[1] (gpu-pool).name: duplicate name, already used by pools[0]",
    ]


def test_a_dedicated_model_named_like_a_pool_is_rejected_as_both_endpoints_would_share_a_name(portfolio):
    portfolio["pools"][0]["name"] = "inline"
    model(portfolio, TEXTEVEL)["pool"] = model(portfolio, BLOCKGEN)["pool"] = "inline"

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[0] (inline).name: its dedicated endpoint would be named demo-inline, like the endpoint of pools[0]; rename one"
    ]


def test_a_name_sagemaker_does_not_accept_is_rejected(portfolio):
    model(portfolio, BLOCKGEN)["name"] = "block_gen"

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[2] (block_gen).name: 'block_gen' is not a valid SageMaker name "
        "(letters, digits and hyphens, starting with a letter or digit, at most 63)"
    ]


def test_a_name_too_long_once_prefixed_with_the_portfolio_name_is_rejected(portfolio):
    # Given a model name SageMaker accepts by itself (59 characters)
    name = "b" * 59
    model(portfolio, BLOCKGEN)["name"] = name

    # Then "demo-" makes it 64
    assert problems_in(portfolio) == [
        f"portfolio.yaml: models[2] ({name}).name: the SageMaker name 'demo-{name}' would be 64 characters; the limit is 63"
    ]


def test_a_key_written_twice_is_rejected_with_its_line_instead_of_keeping_only_the_last(portfolio):
    # Given `region` (line 3) written again at the end, with another problem in the file
    portfolio["owner"] = "ai-platform"
    text = yaml.safe_dump(portfolio, sort_keys=False)
    last_line = text.count("\n") + 1

    assert problems_in(text + "region: us-east-1\n") == [
        f"portfolio.yaml: line {last_line}, column 1: duplicate key 'region' (first on line 3); YAML would keep only the last",
        "portfolio.yaml: owner: unknown key (check its spelling)",
    ]


# References and ranges


def test_a_reference_to_an_undefined_pool_is_rejected_listing_the_pools(portfolio):
    model(portfolio, BLOCKGEN)["pool"] = "a100-pool"

    assert problems_in(portfolio) == ["portfolio.yaml: models[2] (blockgen).pool: undefined pool 'a100-pool' (pools: gpu-pool)"]


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("models", BLOCKGEN, "copies"), "models[2] (blockgen).copies"),
        (("models", INLINE, "instances"), "models[0] (inline).instances"),
        (("pools", 0, "instances"), "pools[0] (gpu-pool).instances"),
    ],
    ids=["copies", "dedicated-instances", "pool-instances"],
)
def test_a_minimum_above_the_maximum_is_rejected_once(portfolio, path, where):
    # Once: a pool with this problem is still a pool its models can name (no "undefined pool" after it).
    key, index, field = path
    portfolio[key][index][field] = {"min": 3, "max": 2}

    assert problems_in(portfolio) == [f"portfolio.yaml: {where}: min (3) is greater than max (2)"]


def test_a_per_copy_scaling_metric_on_a_dedicated_endpoint_is_rejected(portfolio):
    model(portfolio, INLINE)["scaling"]["metric"] = "invocations-per-copy"

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[0] (inline).scaling.metric: invocations-per-copy does not apply to hosting: dedicated "
        "(use concurrent-requests-per-model or invocations-per-instance)"
    ]


def test_a_per_instance_scaling_metric_on_an_inference_component_is_rejected(portfolio):
    model(portfolio, BLOCKGEN)["scaling"]["metric"] = "invocations-per-instance"

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[2] (blockgen).scaling.metric: invocations-per-instance does not apply to hosting: inference-component "
        "(use concurrent-requests-per-copy or invocations-per-copy)"
    ]


# Fit on the pool's instance type (ml.g5.12xlarge: 4 GPUs, 48 vCPUs, 192 GiB)


def test_per_copy_accelerators_beyond_the_pool_instance_type_are_rejected_naming_the_field(portfolio):
    model(portfolio, BLOCKGEN)["per_copy"]["accelerators"] = 5

    # The issue's own example line
    assert problems_in(portfolio) == ["portfolio.yaml: models[2] (blockgen).per_copy.accelerators: 5 accelerators do not fit ml.g5.12xlarge (4 GPUs)"]


def test_per_copy_memory_beyond_the_pool_instance_type_is_rejected(portfolio):
    model(portfolio, BLOCKGEN)["per_copy"]["memory_mb"] = 200_000

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[2] (blockgen).per_copy.memory_mb: 200000 MB does not fit ml.g5.12xlarge: copies may reserve "
        "176947 of its 196608 MB of host memory (10 % kept, see `reserve:`)"
    ]


def test_per_copy_memory_equal_to_all_of_the_instances_memory_is_rejected(portfolio):
    # Given a copy that asks for every MiB of an ml.g5.12xlarge: SageMaker, the OS and the container runtime need some
    model(portfolio, BLOCKGEN)["per_copy"]["memory_mb"] = 192 * 1024

    (problem,) = problems_in(portfolio)
    assert problem.startswith("portfolio.yaml: models[2] (blockgen).per_copy.memory_mb: 196608 MB does not fit ml.g5.12xlarge")


def test_the_reserve_is_a_default_a_portfolio_can_change(portfolio):
    # Given a portfolio that keeps only 2 % of host memory and no CPU for the instance itself
    portfolio["reserve"] = {"host_memory_percent": 2, "cpu_percent": 0}
    model(portfolio, BLOCKGEN)["per_copy"].update(memory_mb=190_000, cpu_cores=48)

    # Then a copy of 190000 MB and all 48 vCPUs fits ml.g5.12xlarge (192675 MB and 48 vCPUs usable)
    path = "portfolio.yaml"
    with open(path, "w", encoding="utf-8") as file:
        file.write(yaml.safe_dump(portfolio, sort_keys=False))
    assert load_portfolio(path).reserve.host_memory_percent == 2


def test_a_reserve_of_all_of_an_instance_is_refused(portfolio):
    portfolio["reserve"] = {"host_memory_percent": 100}

    assert problems_in(portfolio) == ["portfolio.yaml: reserve.host_memory_percent: expected less than 100, found 100"]


def test_per_copy_cpu_cores_beyond_the_pool_instance_type_are_rejected(portfolio):
    model(portfolio, BLOCKGEN)["per_copy"]["cpu_cores"] = 48

    assert problems_in(portfolio) == ["portfolio.yaml: models[2] (blockgen).per_copy.cpu_cores: 48 CPU cores do not fit ml.g5.12xlarge: "
                                      "copies may reserve 45.6 of its 48 vCPUs (5 % kept, see `reserve:`)"]


def test_accelerators_on_a_cpu_instance_are_rejected(portfolio):
    # Given a CPU pool (ml.c5.large: 2 vCPUs, 4 GiB) and a copy that fits it but for its accelerator
    portfolio["pools"].append({"name": "cpu-pool", "instance_type": "ml.c5.large"})
    model(portfolio, BLOCKGEN).update(pool="cpu-pool", per_copy={"accelerators": 1, "memory_mb": 2048, "cpu_cores": 1})

    assert problems_in(portfolio) == ["portfolio.yaml: models[2] (blockgen).per_copy.accelerators: ml.c5.large has no accelerators"]


# What a hosting can and cannot do


@pytest.mark.parametrize(
    ("index", "key", "value", "expected"),
    [
        (INLINE, "pool", "gpu-pool", "models[0] (inline).pool: does not apply to hosting: dedicated; it is a key of hosting: inference-component"),
        (BLOCKGEN, "instance_type", "ml.g5.2xlarge",
         f"models[2] (blockgen).instance_type: does not apply to hosting: inference-component; it is a key of hosting: {hostings_with('instance_type')}"),
    ],
    ids=["pool-on-dedicated", "instance-type-on-inference-component"],
)
def test_a_key_of_another_hosting_is_named_as_that_hostings_and_nothing_else_is_reported(portfolio, index, key, value, expected):
    model(portfolio, index)[key] = value

    assert problems_in(portfolio) == [f"portfolio.yaml: {expected}"]


def test_a_model_that_is_not_a_mapping_is_rejected_as_such(portfolio):
    portfolio["models"].append("codegen-xl")

    assert problems_in(portfolio) == ["portfolio.yaml: models[3]: expected a mapping, found 'codegen-xl'"]


def test_a_dedicated_endpoint_with_zero_minimum_instances_is_rejected(portfolio):
    model(portfolio, INLINE)["instances"]["min"] = 0

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[0] (inline).instances.min: a dedicated endpoint keeps at least 1 instance; "
        "scale to zero needs hosting: inference-component"
    ]


def test_a_dedicated_endpoint_with_variants_asked_to_update_rolling_is_rejected_with_the_reason(portfolio):
    model(portfolio, INLINE)["variants"] = [{"name": "current", "weight": 9}, {"name": "candidate", "weight": 1}]
    model(portfolio, INLINE)["deployment"] = {"strategy": "rolling"}

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[0] (inline).deployment.strategy: an endpoint with variants or a shadow updates blue-green: SageMaker excludes "
        "multi-variant endpoints from rolling deployments"
    ]


def test_scaling_to_zero_without_scaling_is_rejected(portfolio):
    # blockgen scales to zero (copies.min 0): nothing would bring it back
    model(portfolio, BLOCKGEN)["scaling"] = "none"

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[2] (blockgen).copies.min: 0 copies (scale to zero) needs scaling to wake the model up; scaling is none"
    ]


# Images and artifacts


def test_a_framework_image_without_a_portfolio_region_is_rejected(portfolio):
    del portfolio["region"]

    assert problems_in(portfolio) == ["portfolio.yaml: models[1] (textevel).image: a framework image needs the portfolio's `region` to resolve its URI"]


def test_an_image_outside_amazon_ecr_is_rejected(portfolio):
    model(portfolio, BLOCKGEN)["image"] = "docker.io/library/vllm:latest"

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[2] (blockgen).image: 'docker.io/library/vllm:latest' is not an Amazon ECR image URI "
        "(ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG])"
    ]


def test_an_artifact_outside_s3_is_rejected(portfolio):
    model(portfolio, BLOCKGEN)["artifact"] = "https://huggingface.co/codegen/blockgen"

    assert problems_in(portfolio) == ["portfolio.yaml: models[2] (blockgen).artifact: 'https://huggingface.co/codegen/blockgen' is not an s3://bucket/key URI"]


# The key of the artifacts (SSE-KMS)

ARTIFACT_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("key", ["arn:aws:kms:us-east-1:111122223333:alias/demo-models", "1234abcd-12ab-34cd-56ef-1234567890ab"])
def test_an_artifact_key_named_other_than_by_its_key_arn_is_rejected(portfolio, key):
    model(portfolio, BLOCKGEN)["artifact_kms_key_arn"] = key

    assert problems_in(portfolio) == [
        f"portfolio.yaml: models[2] (blockgen).artifact_kms_key_arn: '{key}' is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID; an alias is not a key)"
    ]


def test_a_storage_key_named_by_its_alias_is_rejected_as_the_artifact_keys_are(portfolio):
    # Given the portfolio's kms_key_arn (the endpoints' storage) written as an alias ARN
    portfolio["kms_key_arn"] = "arn:aws:kms:us-east-1:111122223333:alias/endpoint-storage"

    assert problems_in(portfolio) == [
        "portfolio.yaml: kms_key_arn: 'arn:aws:kms:us-east-1:111122223333:alias/endpoint-storage' is not a KMS key ARN "
        "(arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID; an alias is not a key)"
    ]


def test_a_single_and_a_multi_region_key_arn_are_both_artifact_keys(portfolio):
    portfolio["artifact_kms_key_arn"] = ARTIFACT_KEY
    model(portfolio, BLOCKGEN)["artifact_kms_key_arn"] = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"

    assert validate_portfolio(portfolio, "portfolio.yaml", load_catalog()).models[BLOCKGEN].artifact_kms_key_arn.endswith("mrk-1234abcd12ab34cd56ef1234567890ab")


def test_an_artifact_key_in_another_region_than_the_portfolios_is_rejected_on_the_model_and_the_portfolio(portfolio):
    other_region = ARTIFACT_KEY.replace("us-east-1", "eu-west-1")
    portfolio["artifact_kms_key_arn"] = other_region
    model(portfolio, BLOCKGEN)["artifact_kms_key_arn"] = other_region

    assert problems_in(portfolio) == [
        "portfolio.yaml: artifact_kms_key_arn: the key is in eu-west-1, but the portfolio deploys to us-east-1, where S3 can only use keys of us-east-1",
        "portfolio.yaml: models[2] (blockgen).artifact_kms_key_arn: the key is in eu-west-1, but the portfolio deploys to us-east-1, where S3 can only use keys of us-east-1",
    ]


def test_an_artifact_key_on_a_model_without_an_artifact_is_rejected(portfolio):
    model(portfolio, TEXTEVEL)["artifact_kms_key_arn"] = ARTIFACT_KEY

    assert problems_in(portfolio) == ["portfolio.yaml: models[1] (textevel).artifact_kms_key_arn: names the key of the model's artifact, but the model has no artifact"]


# All at once


def test_every_problem_in_a_file_is_reported_at_once_structural_and_whole_file_together(portfolio):
    # Given structural problems (an unknown key, a wrong type, a malformed model with a duplicate name)
    portfolio["owner"] = "ai-platform"
    model(portfolio, TEXTEVEL)["per_copy"]["memory_mb"] = "8 GB"
    model(portfolio, BLOCKGEN)["name"] = "textevel"
    # and whole-file problems on the well-formed models (a fit on the pool, a hosting rule)
    model(portfolio, BLOCKGEN)["per_copy"]["accelerators"] = 5
    model(portfolio, INLINE)["instances"]["min"] = 0

    assert sorted(problems_in(portfolio)) == sorted(
        [
            "portfolio.yaml: owner: unknown key (check its spelling)",
            "portfolio.yaml: models[1] (textevel).per_copy.memory_mb: expected an integer, found '8 GB'",
            "portfolio.yaml: models[2] (textevel).name: duplicate name, already used by models[1]",
            "portfolio.yaml: models[2] (textevel).per_copy.accelerators: 5 accelerators do not fit ml.g5.12xlarge (4 GPUs)",
            "portfolio.yaml: models[0] (inline).instances.min: a dedicated endpoint keeps at least 1 instance; "
            "scale to zero needs hosting: inference-component",
        ]
    )


@pytest.mark.parametrize(("name", "quoted"), [("a" * 99 + "_", "'" + "a" * 99 + "_'"), ("a" * 100 + "_", "'" + "a" * 100 + "...'")],
                         ids=["100 characters: whole", "101: cut"])
def test_a_bad_name_is_quoted_whole_up_to_100_characters_and_cut_past_them(portfolio, name, quoted):
    # Given a model name that is not a SageMaker name (it ends in an underscore)
    model(portfolio, INLINE)["name"] = name

    (problem,) = [line for line in problems_in(portfolio) if "is not a valid SageMaker name" in line]

    # Then the problem quotes it whole at 100 characters, and cut with "..." past them, to stay one readable line
    assert f"{quoted} is not a valid SageMaker name" in problem
