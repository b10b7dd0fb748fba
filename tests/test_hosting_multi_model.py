"""hosting: multi-model: what the portfolio accepts and refuses (naming file, line, model and field), what the plan
charges (the seed's pricing example, out of the planner), how its instances are counted and scaled, and `auto`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from loadmaster.catalog import load_catalog
from loadmaster.errors import PortfolioError
from loadmaster.spec.load import load_portfolio

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
TRITON = "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3"
SHOPS = [{"name": f"shop-{index}"} for index in range(1, 11)]
CHURN = {"name": "churn", "image": SKLEARN, "hosting": "multi-model", "artifact": "s3://models/churn/", "instance_type": "ml.c5.large",
         "instances": {"min": 1, "max": 1}, "holds": SHOPS}


def portfolio_file(tmp_path: Path, *models: dict, name: str = "shops") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "name": "retail", "region": "us-east-1", "models": list(models)}, sort_keys=False))
    return path


def problems_of(tmp_path: Path, model: dict) -> dict[str, str]:
    with pytest.raises(PortfolioError) as raised:
        load_portfolio(portfolio_file(tmp_path, model), load_catalog())
    return {problem.location: problem.message for problem in raised.value.problems}


def plan_of(tmp_path: Path, *models: dict):
    from loadmaster.planner.make import plan_file

    return plan_file(portfolio_file(tmp_path, *models))


def test_the_seeds_pricing_example_comes_out_of_the_planner_ten_models_for_the_price_of_one_endpoint(tmp_path):
    # Given 10 models behind one multi-model endpoint of one ml.c5.large (0.102 USD/h in the catalog)
    plan = plan_of(tmp_path, CHURN)

    # Then the plan costs one instance, and says what ten endpoints of their own would cost
    (endpoint,) = plan.units_of("multi-model")
    assert plan.cost.hourly_at_mean == pytest.approx(0.102) and plan.cost.hourly_at_peak == pytest.approx(0.102)
    assert ("cost: 10 models on 1 shared ml.c5.large instance: 0.102 USD/h at the floor; each alone on an ml.c5.large endpoint of its own: "
            "10 x 0.102 = 1.02 USD/h") in endpoint.reasons
    assert [held.target_model for held in endpoint.held] == [f"shop-{index}.tar.gz" for index in range(1, 11)]
    # and its baseline, one endpoint per model, is the ten endpoints: the plan saves 10x
    assert plan.cost.baseline_hourly_at_mean == pytest.approx(1.02) and plan.cost.baseline_hourly_at_peak == pytest.approx(1.02)
    assert [endpoint.model for endpoint in plan.cost.baseline] == [f"churn/shop-{index}" for index in range(1, 11)]


def test_ten_dedicated_ml_c5_large_endpoints_plan_at_ten_times_the_price(tmp_path):
    dedicated = [{"name": f"shop-{index}", "image": SKLEARN, "artifact": f"s3://models/churn/shop-{index}.tar.gz", "hosting": "dedicated",
                  "instance_type": "ml.c5.large", "instances": {"min": 1, "max": 1}} for index in range(1, 11)]

    assert plan_of(tmp_path, *dedicated).cost.hourly_at_mean == pytest.approx(1.02)


def test_the_summary_and_the_json_plan_show_the_endpoint_and_what_it_holds(tmp_path):
    from loadmaster.summary import render_summary

    plan = plan_of(tmp_path, {**CHURN, "holds": [{"name": "shop-1"}, {"name": "shop-2", "artifact": "team-a/shop-2/model.tar.gz", "size_gb": 0.3}]})
    (endpoint,) = plan.units_of("multi-model")

    assert ("  multi-model churn -> endpoint retail-churn: 2 models under s3://models/churn/, ml.c5.large x 1..1 instances, "
            "scales on invocations-per-instance (target 70)") in render_summary(plan).splitlines()
    (document,) = endpoint.model_documents()
    assert document["holds"] == [{"name": "shop-1", "target_model": "shop-1.tar.gz", "size_gb": None},
                                 {"name": "shop-2", "target_model": "team-a/shop-2/model.tar.gz", "size_gb": 0.3}]


def test_instances_are_counted_from_the_invocations_of_all_held_models_together(tmp_path):
    # Given two held models of 1 and 3 requests per second at mean, twice that at peak, at 70 invocations per instance
    held = [{"name": "a", "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 2, "requests_per_s": 1}},
            {"name": "b", "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 2, "requests_per_s": 3}}]
    plan = plan_of(tmp_path, {**CHURN, "instances": {"min": 1, "max": 8}, "holds": held})

    # Then 240 a minute need 4 instances, 480 at peak 7
    (endpoint,) = plan.units_of("multi-model")
    assert (endpoint.instance_counts.min, endpoint.instance_counts.expected, endpoint.instance_counts.peak) == (1, 4, 7)
    assert plan.cost.hourly_at_mean == pytest.approx(4 * 0.102)


def test_the_endpoint_runs_in_the_subnets_and_security_groups_its_network_names(tmp_path):
    from loadmaster.plan import NetworkPlan

    network = {"subnets": ["subnet-0aa11bb22cc33dd44"], "security_groups": ["sg-0aa11bb22cc33dd44"], "isolation": True}

    (endpoint,) = plan_of(tmp_path, {**CHURN, "network": network}).units_of("multi-model")

    assert endpoint.network == NetworkPlan(("subnet-0aa11bb22cc33dd44",), ("sg-0aa11bb22cc33dd44",), True)


def test_a_held_model_without_a_rate_is_named_and_the_counts_are_a_floor(tmp_path):
    held = [{"name": "a", "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 2, "requests_per_s": 1}}, {"name": "quiet"}]

    (endpoint,) = plan_of(tmp_path, {**CHURN, "instances": {"min": 1, "max": 4}, "holds": held}).units_of("multi-model")

    assert "no invocation rate for quiet (traffic with requests_per_s, or latency_slo_ms): their requests are not counted, so the instance counts are a floor" \
        in endpoint.notes, endpoint.notes


def test_the_plan_says_the_mean_is_stated_only_when_every_held_model_has_a_rate(tmp_path):
    rated = {"name": "a", "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 2, "requests_per_s": 1}}

    assert plan_of(tmp_path, {**CHURN, "holds": [rated]}).cost.mean_not_stated == ()
    assert plan_of(tmp_path, {**CHURN, "holds": [rated, {"name": "quiet"}]}).cost.mean_not_stated == ("churn",)


def test_on_a_gpu_the_triton_endpoint_scales_on_invocations_and_gpu_utilization(tmp_path):
    from loadmaster.scaling import ScalingMetric

    (endpoint,) = plan_of(tmp_path, {**CHURN, "image": TRITON, "instance_type": "ml.g5.xlarge", "instances": {"min": 1, "max": 3}}).units_of("multi-model")

    assert [policy.metric for policy in endpoint.scaling.target_tracking] == [ScalingMetric.INVOCATIONS_PER_INSTANCE, ScalingMetric.GPU_UTILIZATION]


def test_a_written_scaling_metric_is_the_only_policy(tmp_path):
    from loadmaster.scaling import ScalingMetric

    model = {**CHURN, "image": TRITON, "instance_type": "ml.g5.xlarge", "instances": {"min": 1, "max": 3}, "scaling": {"metric": "gpu-utilization", "target": 50}}
    (endpoint,) = plan_of(tmp_path, model).units_of("multi-model")

    assert [(policy.metric, policy.target) for policy in endpoint.scaling.target_tracking] == [(ScalingMetric.GPU_UTILIZATION, 50)]


def test_on_a_gpu_a_held_model_must_fit_the_gpus_memory_not_the_hosts(tmp_path):
    # Given an ml.g5.xlarge: 24 GiB of GPU memory (23,028 MiB usable), 16 GiB of host memory
    gpu = {**CHURN, "image": TRITON, "instance_type": "ml.g5.xlarge"}

    # Then an 18 GB model, more than the host's memory, loads on its GPU
    (endpoint,) = plan_of(tmp_path, {**gpu, "holds": [{"name": "big", "size_gb": 18}]}).units_of("multi-model")
    assert [(held.name, held.size_gb) for held in endpoint.held] == [("big", 18)]
    # and a 30 GB one is refused against the GPU's memory
    assert problems_of(tmp_path, {**gpu, "holds": [{"name": "huge", "size_gb": 30}]}) == {
        "models[0] (churn).holds[0] (huge).size_gb": "30 GB does not fit the 23,028 MiB GPU memory of one ml.g5.xlarge: SageMaker could never load it"}


def test_without_autoscaling_the_endpoint_keeps_its_floor_at_every_traffic(tmp_path):
    # Given a held model of 10 requests a second, which would need 9 instances, and `scaling: none` on 2 to 4
    held = [{"name": "a", "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 2, "requests_per_s": 10}}]

    (endpoint,) = plan_of(tmp_path, {**CHURN, "scaling": "none", "instances": {"min": 2, "max": 4}, "holds": held}).units_of("multi-model")

    # Then it runs its 2 instances at the floor, at mean and at peak, and nothing scales them
    assert (endpoint.instance_counts.min, endpoint.instance_counts.expected, endpoint.instance_counts.peak) == (2, 2, 2)
    assert (endpoint.instances.min, endpoint.instances.max, endpoint.scaling) == (2, 4, None)


def test_dissimilar_sizes_and_one_busy_model_are_noted_as_a_poor_fit(tmp_path):
    held = [{"name": "small", "size_gb": 0.1, "traffic": {"pattern": "steady", "mean_concurrency": 9, "peak_concurrency": 9}},
            {"name": "large", "size_gb": 1.0, "traffic": {"pattern": "steady", "mean_concurrency": 1, "peak_concurrency": 1}}]

    (endpoint,) = plan_of(tmp_path, {**CHURN, "holds": held}).units_of("multi-model")

    assert "sizes differ more than 4x (large 1 GB, small 0.1 GB): multi-model endpoints share memory best among models of similar size" in endpoint.notes
    assert "small has 90% of the traffic: a model much busier than the others is better on an endpoint of its own" in endpoint.notes


def test_an_auto_model_that_lists_held_models_is_a_multi_model_endpoint_on_the_cheapest_type_and_says_why(tmp_path):
    # Given an auto model that lists the models it holds and the largest one's size, no instance type
    model = {key: value for key, value in CHURN.items() if key not in ("instance_type", "instances")} | {"hosting": "auto", "size_gb": 0.2}

    (endpoint,) = plan_of(tmp_path, model).units_of("multi-model")

    # Then `holds` decides its hosting, the planner its (CPU) type, and the cost reason compares with ten endpoints
    assert endpoint.reasons[0] == "auto, decided by `holds`, which only multi-model hosting has"
    assert endpoint.instance_type.accelerator_kind is None
    assert endpoint.reasons[1].startswith(f"cost: 10 models on 1 shared {endpoint.instance_type.name} instance")


def test_an_auto_model_that_lists_held_models_writes_no_instance_type_of_dedicated(tmp_path):
    problems = problems_of(tmp_path, {**CHURN, "hosting": "auto"})

    assert problems["models[0] (churn).hosting"] == "auto, but fields of both hostings are written: instance_type (dedicated), instances (dedicated), holds (multi-model)"


@pytest.mark.parametrize(
    "change, location, reason",
    [
        ({"artifact": "s3://models/churn/model.tar.gz"}, "models[0] (churn).artifact", "the S3 prefix every held model lies under, s3://bucket/prefix/ (ending in /)"),
        ({"artifact": None}, "models[0] (churn).artifact", "the S3 prefix every held model lies under"),
        ({"instance_type": None}, "models[0] (churn).instance_type", "required unless size_gb (the largest held model's) is given for the planner to choose it"),
        ({"instance_type": "ml.c5.huge"}, "models[0] (churn).instance_type", "unknown instance type 'ml.c5.huge'"),
        ({"instance_type": "ml.g5.12xlarge"}, "models[0] (churn).instance_type",
         "ml.g5.12xlarge is not an instance type multi-model endpoints run on: every CPU type, and of the accelerated ones only single-GPU types"),
        ({"instances": {"min": 0, "max": 2}}, "models[0] (churn).instances.min", "a multi-model endpoint keeps at least 1 instance"),
        ({"holds": None}, "models[0] (churn).holds", "required: the models the endpoint serves"),
        ({"holds": [{"name": "a"}, {"name": "a"}]}, "models[0] (churn).holds[1] (a).name", "duplicate name, also holds[0]"),
        ({"holds": [{"name": "a", "artifact": "x.tar.gz"}, {"name": "b", "artifact": "x.tar.gz"}]}, "models[0] (churn).holds[1] (b).artifact",
         "x.tar.gz is also the artifact of holds[0]: callers could not tell them apart"),
        ({"holds": [{"name": "a", "artifact": "/a.tar.gz"}]}, "models[0] (churn).holds[0] (a).artifact", "must name an artifact relative to the prefix"),
        ({"holds": [{"name": "a", "size_gb": 5}]}, "models[0] (churn).holds[0] (a).size_gb",
         "5 GB does not fit the 3,686 MiB usable memory of one ml.c5.large: SageMaker could never load it"),
        ({"scaling": {"metric": "gpu-utilization", "target": 60}}, "models[0] (churn).scaling.metric",
         "gpu-utilization, but ml.c5.large has no GPU: scale on invocations-per-instance"),
        ({"pool": "shared"}, "models[0] (churn).pool", "does not apply to hosting: multi-model"),
    ],
)
def test_a_multi_model_endpoint_that_cannot_be_is_refused_with_the_reason(tmp_path, change, location, reason):
    model = {key: value for key, value in {**CHURN, **change}.items() if value is not None}

    problems = problems_of(tmp_path, model)

    assert location in problems and reason in problems[location], problems


def test_the_holds_key_on_another_hosting_is_refused(tmp_path):
    problems = problems_of(tmp_path, {**CHURN, "hosting": "dedicated"})

    assert problems["models[0] (churn).holds"] == "does not apply to hosting: dedicated; it is a key of hosting: multi-model"


def test_validate_names_the_file_and_line_of_a_bad_held_model(tmp_path):
    import subprocess
    import sys

    path = portfolio_file(tmp_path, {**CHURN, "holds": [{"name": "a"}, {"name": "a"}]})

    result = subprocess.run([sys.executable, "-m", "loadmaster", "validate", str(path)], capture_output=True, text=True, timeout=120)

    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}:" in result.stderr and "models[0] (churn).holds[1] (a).name: duplicate name, also holds[0]" in result.stderr, result.stderr
