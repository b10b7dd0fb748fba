"""`hosting: auto`: the five fitness functions, written out per model; what the user wrote decides first."""

from __future__ import annotations

import pytest

from loadmaster.errors import PortfolioError
from planner_givens import IMAGE, UNTAGGED, auto_model, plan_of, portfolio_of

FITNESS_FUNCTIONS = ("cost", "inference latency", "throughput", "scaling complexity", "traffic pattern")


def hosting_of(plan, name):
    for pool in plan.pools:
        for component in pool.components:
            if component.model == name:
                return "inference-component", component.reasons
    endpoint = next(endpoint for endpoint in plan.dedicated if endpoint.model == name)
    return "dedicated", endpoint.reasons


def test_a_steady_model_that_sharing_would_not_make_cheaper_gets_a_dedicated_endpoint():
    # Given a small steady model: one copy takes a whole ml.g4dn.xlarge, the cheapest per GPU, so sharing saves nothing
    plan = plan_of([auto_model("inline", size_gb=2, pattern="steady", mean=30, peak=50, latency_slo_ms=150)])
    # Then the simpler hosting wins, and the plan says why with all five fitness functions
    hosting, reasons = hosting_of(plan, "inline")
    assert hosting == "dedicated"
    assert [reason.split(":")[0] for reason in reasons[:5]] == list(FITNESS_FUNCTIONS)
    assert reasons[-1].startswith("chosen: dedicated, steady traffic")
    assert plan.dedicated[0].instance_type.name == "ml.g4dn.xlarge"


def test_without_a_latency_objective_the_latency_reason_rules_out_no_hosting():
    # Given an auto model that states no latency objective
    _, reasons = hosting_of(plan_of([auto_model("m")]), "m")
    # Then its latency reason says so, without claiming every candidate is a real-time endpoint
    assert reasons[1] == "inference latency: no objective stated: latency rules out no hosting"


@pytest.mark.parametrize("pattern", ["variable", "intermittent", "batch"])
def test_a_model_whose_traffic_varies_becomes_an_inference_component(pattern):
    plan = plan_of([auto_model("m", pattern=pattern)])
    assert hosting_of(plan, "m")[0] == "inference-component"


def test_steady_models_that_sharing_makes_cheaper_become_inference_components_sharing_an_instance():
    # Given four 100 GB models: 112 GiB of GPU memory each, which ml.p4de.24xlarge (8 x 80 GiB) holds in 2 of 8 GPUs,
    # while alone each needs a whole ml.g6e.12xlarge (4 x 45 GiB, 13.116 USD/h)
    plan = plan_of([auto_model(f"big-{index}", size_gb=100, pattern="steady", mean=5, peak=5) for index in range(4)])
    hosting, reasons = hosting_of(plan, "big-0")
    # Then they share one ml.p4de.24xlarge, and the reasons say so with the plan's own figures
    assert hosting == "inference-component" and plan.pools[0].instance_type.name == "ml.p4de.24xlarge"
    assert reasons[0] == ("cost: alone, a copy takes a whole ml.g6e.12xlarge (13.116 USD/h); shared, its share of ml.p4de.24xlarge "
                          "(25% of its busiest resource) costs 11.777 USD/h (10% less); batch transform: cannot host it, a transform serves offline "
                          "scoring (traffic pattern batch), not steady traffic; write batch: {input, schedule, instance_type, run_hours} to run it as one; "
                          "serverless: cannot host it, it needs 1 accelerator(s): "
                          "serverless endpoints run on CPU only and it needs 153600 MB of memory: serverless endpoints have at most 6144 MB")
    assert reasons[-1] == "chosen: inference-component, sharing instances saves money"


def test_a_steady_cpu_model_whose_share_costs_more_than_a_small_instance_stays_dedicated_saying_how_much_more():
    # Given a 3.2 GB CPU model that a whole ml.c5.large (0.102 USD/h) holds, while a share of a type that takes inference
    # components is half an ml.c7i.xlarge (0.214 USD/h): 0.106 USD/h; a 100 ms objective rules serverless out
    plan = plan_of([auto_model("m", size_gb=3.2, pattern="steady", mean=1, peak=2, devices=["cpu"], image=UNTAGGED, latency_slo_ms=100)])
    # Then it stays on the cheaper dedicated endpoint, and the cost reason says by how much sharing would cost more
    hosting, reasons = hosting_of(plan, "m")
    assert hosting == "dedicated"
    assert reasons[0].startswith("cost: alone, a copy takes a whole ml.c5.large (0.102 USD/h); shared, its share of ml.c7i.xlarge "
                                 "(50% of its busiest resource) costs 0.106 USD/h (4% more); ")
    # and the scaling complexity lists the candidates from the simplest, which scales nothing, to inference components' two levels
    assert reasons[3].startswith("scaling complexity: a batch transform scales nothing (fixed instances a run), a dedicated endpoint scales one level (instances), ")
    assert reasons[3].endswith(", an inference component two (copies, then instances)")
    assert reasons[-1] == "chosen: dedicated, a copy alone on ml.c5.large costs less than its share of any type that takes inference components"


def test_a_model_weighed_on_a_share_it_does_not_get_is_told_what_its_plan_gives_it():
    # Given one such model alone: its hosting is weighed on a quarter of an ml.p4de.24xlarge, but alone in the
    # portfolio it gets a whole ml.g6e.12xlarge, the cheapest that holds it
    plan = plan_of([auto_model("big", size_gb=100, pattern="steady", mean=5, peak=5)])
    _, reasons = hosting_of(plan, "big")
    # Then its reasons quote the type of its pool, not the one it was weighed on
    assert plan.pools[0].instance_type.name == "ml.g6e.12xlarge"
    assert "; shared, its share of ml.g6e.12xlarge (100% of its busiest resource) costs 13.116 USD/h (0% less); batch transform: cannot host it" in reasons[0]
    assert reasons[-1].endswith("on its pool's type it saves 0%")


@pytest.mark.parametrize(("field", "value", "hosting"), [
    ("pool", "shared", "inference-component"),
    ("copies", {"min": 1, "max": 3}, "inference-component"),
    ("instance_type", "ml.g5.2xlarge", "dedicated"),
    ("instances", {"min": 1, "max": 3}, "dedicated"),
])
def test_a_field_only_one_hosting_has_decides_an_auto_models_hosting(field, value, hosting):
    pools = [{"name": "shared", "instance_type": "ml.g5.12xlarge", "instances": {"min": 1, "max": 4}}]
    plan = plan_of([auto_model("m", pattern="steady", **{field: value})], pools)
    chosen, reasons = hosting_of(plan, "m")
    assert chosen == hosting
    assert reasons == (f"auto, decided by `{field}`, which only {hosting} hosting has",)


def test_an_explicit_hosting_is_never_overridden():
    # Given a variable-traffic model the user put on a dedicated endpoint
    model = {"name": "m", "image": IMAGE, "hosting": "dedicated", "instance_type": "ml.g5.2xlarge", "size_gb": 2,
             "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 30}}
    plan = plan_of([model])
    assert hosting_of(plan, "m") == ("dedicated", ("written in the portfolio",))
    assert plan.dedicated[0].instance_type.name == "ml.g5.2xlarge"


def test_an_auto_model_needs_its_size_for_the_planner_to_size_it():
    with pytest.raises(PortfolioError) as error:
        portfolio_of([{"name": "m", "image": IMAGE, "hosting": "auto"}])
    assert [(p.location, p.message) for p in error.value.problems] == [
        ("models[0] (m).size_gb", "required for hosting: auto (the planner sizes the model from it)")]


def test_an_auto_model_with_fields_of_both_hostings_is_refused():
    with pytest.raises(PortfolioError) as error:
        portfolio_of([auto_model("m", instance_type="ml.g5.2xlarge", copies={"min": 1, "max": 2})])
    (problem,) = error.value.problems
    assert problem.location == "models[0] (m).hosting"
    assert "copies (inference-component)" in problem.message and "instance_type (dedicated)" in problem.message


def test_in_a_region_without_inference_components_auto_models_go_dedicated_and_written_ones_are_refused():
    # Given eu-west-3, whose CloudFormation has no AWS::SageMaker::InferenceComponent (cfn-lint's provider schemas)
    paris = {"image": IMAGE.replace("us-east-1", "eu-west-3")}
    plan = plan_of([auto_model("assist", size_gb=8, **paris)], region="eu-west-3")
    # Then the planner hosts the auto model on a dedicated endpoint and says why
    (endpoint,) = plan.dedicated
    assert endpoint.reasons[-1] == "chosen: dedicated, CloudFormation in eu-west-3 has no AWS::SageMaker::InferenceComponent"
    # And a written inference component is refused, naming the model and the way out
    with pytest.raises(PortfolioError) as refused:
        plan_of([auto_model("assist", size_gb=8, copies={"min": 1, "max": 2}, **paris)], region="eu-west-3")
    assert [(p.location, p.message) for p in refused.value.problems] == [(
        "models[0] (assist).hosting", "an inference component on pool auto-g4dn-xlarge, but CloudFormation in eu-west-3 has no "
        "AWS::SageMaker::InferenceComponent (its resource provider schemas): use hosting: dedicated, or another region")]


def test_a_model_written_serverless_is_planned_without_a_size_since_it_takes_no_instances_to_size():
    # Given a serverless model that states its memory and concurrency, but neither size_gb nor per_copy
    cpu_image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    model = {"name": "ranker", "image": cpu_image, "hosting": "serverless", "serverless": {"memory_mb": 4096, "max_concurrency": 20},
             "traffic": {"pattern": "variable", "mean_concurrency": 3, "peak_concurrency": 12}}
    # When it is planned
    plan = plan_of([model])
    # Then it has its serverless endpoint, and no instances are planned for it
    (endpoint,) = plan.units
    assert (endpoint.pattern, endpoint.model, endpoint.reasons) == ("serverless", "ranker", ("written in the portfolio",))
    assert plan.cost.baseline == ()


def test_an_auto_model_whose_request_no_hosting_serves_is_refused_with_each_hostings_reason():
    # Given requests of 2000 MB that take 4000 s: past a real-time request's 6.29 MB and 60 s, and an async one's 1 GB and an hour
    with pytest.raises(PortfolioError) as refused:
        plan_of([auto_model("m", size_gb=2, request={"payload_mb": 2000, "processing_s": 4000, "callers_wait_for_s3": True})])
    (problem,) = refused.value.problems
    assert problem.location == "models[0] (m).request"
    assert problem.message.startswith("no hosting serves it: inference-component: its 2000 MB payload is above the 6.29 MB a real-time request takes")
    assert "async: its 2000 MB payload is above the 1000 MB (1 GB) an async request takes; its 4000 s processing is above the 3600 s" in problem.message


def test_an_artifacts_container_carries_the_key_it_is_encrypted_with_its_own_else_the_portfolios():
    own, portfolios = (f"arn:aws:kms:us-east-1:123456789012:key/{digit * 8}-2222-3333-4444-555555555555" for digit in "19")
    models = [{"name": name, "image": IMAGE, "hosting": "dedicated", "instance_type": "ml.g5.xlarge", **fields}
              for name, fields in (("own-key", {"artifact": "s3://team-models/a.tar.gz", "artifact_kms_key_arn": own}),
                                   ("portfolio-key", {"artifact": "s3://team-models/b.tar.gz"}), ("no-artifact", {}))]
    plan = plan_of(models, artifact_kms_key_arn=portfolios)
    keys = {endpoint.model: endpoint.container.artifact_kms_key_arn for endpoint in plan.dedicated}
    assert keys == {"own-key": own, "portfolio-key": portfolios, "no-artifact": None}


def test_a_pool_without_instance_type_and_without_models_is_refused_naming_its_field():
    # Given a pool for the planner to size, on which no model is placed
    with pytest.raises(PortfolioError) as raised:
        plan_of([auto_model("blockgen")], pools=[{"name": "spare", "instances": {"min": 1, "max": 2}}])
    # Then the user learns what to write
    assert [(problem.location, problem.message) for problem in raised.value.problems] == [
        ("pools[0] (spare).instance_type", "no model is placed on this pool for the planner to size it from: set instance_type or remove the pool")]


def test_the_scaling_complexity_reason_weighs_every_pattern_even_those_that_cannot_serve_the_model():
    # Given a variable real-time model: neither a batch transform nor an async endpoint can serve it
    plan = plan_of([auto_model("chat", size_gb=2, latency_slo_ms=300)])
    (component,) = plan.pools[0].components
    (complexity,) = [reason for reason in component.reasons if reason.startswith("scaling complexity: ")]
    # Then each is still weighed by the levels it would scale on
    assert "a batch transform scales nothing (fixed instances a run)" in complexity
    assert "an async endpoint scales one level (instances, on its queue, down to zero)" in complexity
    assert complexity.endswith("an inference component two (copies, then instances)")


def test_a_cpu_model_whose_objective_is_shorter_than_a_cold_start_is_not_serverless_and_says_so_in_seconds():
    # Given a small CPU model that must answer within 300 ms
    cpu = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    plan = plan_of([auto_model("tagger", size_gb=0.2, latency_slo_ms=300, image=cpu, mean=1, peak=4)])
    (unit,) = plan.units
    reasons = unit.components[0].reasons if hasattr(unit, "components") else unit.reasons
    # Then its cost reason says why serverless cannot host it, the cold start in whole seconds
    assert "serverless: cannot host it, its 300 ms objective is shorter than a cold start (about 60 s, our estimate)" in reasons[0]
