"""The hosting stacks of small portfolios: what each model's plan turns into (scaling or fixed capacity, waking from
zero, deployment strategy, storage keys, tags), what each pattern's builder passes to its endpoint or transform (one
model of each pattern, synthesized once), and where the lock file's stack names put each unit."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from loadmaster.errors import PortfolioError
from loadmaster.planner.make import plan_file
from stacks import add_stacks
from stacks.partition import hosting_stacks, stack_of_each_unit

FIXED_CAPACITY = Path(__file__).parent / "portfolios" / "fixed-capacity-no-scaling.yaml"
NEURON_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-neuronx-sdk2.19.1"
GPU_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
PORTFOLIO_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SCALED = f"""
version: 1
name: units
region: us-east-1
pools:
  - name: neuron
    instance_type: ml.inf2.24xlarge
    instances: {{min: 1, max: 2}}
models:
  - name: waker
    image: {NEURON_IMAGE}
    pool: neuron
    per_copy: {{accelerators: 1, memory_mb: 8192}}
    copies: {{min: 0, max: 2}}
    scaling: {{metric: concurrent-requests-per-copy, target: 2}}
  - name: steady
    image: {NEURON_IMAGE}
    pool: neuron
    per_copy: {{accelerators: 1, memory_mb: 8192}}
    copies: {{min: 1, max: 3}}
    scaling: {{metric: invocations-per-copy, target: 100, scale_in_cooldown_s: 600, scale_out_cooldown_s: 30}}
  - name: inline
    image: {GPU_IMAGE}
    hosting: dedicated
    instance_type: ml.g5.2xlarge
    instances: {{min: 1, max: 3}}
    scaling: {{metric: concurrent-requests-per-model, target: 10}}
    deployment: {{strategy: blue-green, wait_s: 300}}
"""


CPU_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ERROR_TOPIC = "arn:aws:sns:us-east-1:123456789012:transcribe-errors"
NETWORK = "{subnets: [subnet-0a1b2c3d4e5f60718, subnet-0f9e8d7c6b5a49382], security_groups: [sg-0123abcd4567ef890], isolation: true}"
# One model of each pattern beyond components and plain dedicated endpoints, each with the options its builder passes on.
PATTERNS = f"""
version: 1
name: patterns
region: us-east-1
models:
  - name: transcribe
    image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker
    artifact: s3://models/transcribe/model.tar.gz
    hosting: async
    instance_type: ml.g5.2xlarge
    instances: {{min: 0, max: 3}}
    output: {{bucket: team-results, prefix: transcripts/}}
    notifications: {{success: true, error: "{ERROR_TOPIC}"}}
    max_concurrent_invocations_per_instance: 2
  - name: tagger
    image: {CPU_IMAGE}
    artifact: s3://models/tagger/model.tar.gz
    hosting: serverless
    serverless: {{memory_mb: 2048, max_concurrency: 20, provisioned_concurrency: {{min: 1, max: 5}}}}
  - name: shops
    image: {CPU_IMAGE}
    artifact: s3://models/shops/
    hosting: multi-model
    instance_type: ml.c5.large
    instances: {{min: 1, max: 2}}
    model_cache: false
    network: {NETWORK}
    ssm_access: true
    holds:
      - {{name: shop-1, size_gb: 0.2}}
      - {{name: shop-2, size_gb: 0.2}}
  - name: catalog
    image: {CPU_IMAGE}
    artifact: s3://models/catalog/
    hosting: multi-model
    instance_type: ml.c5.large
    instances: {{min: 1, max: 1}}
    scaling: none
    holds: [{{name: books, size_gb: 0.1}}]
  - name: churn
    image: {XGBOOST_IMAGE}
    artifact: s3://models/churn/model.tar.gz
    hosting: batch
    batch:
      input: s3://team-data/customers/daily/
      schedule: cron(0 2 ? * MON-FRI *)
      time_zone: Europe/Paris
      instance_type: ml.m5.xlarge
      instance_count: 2
      max_concurrent_transforms: 4
      max_payload_mb: 6
      batch_strategy: MultiRecord
      split_type: Line
      content_type: text/csv
      accept: text/csv
      assemble_with: Line
      timeout_hours: 1.5
      records: 2000000
      record_processing_s: 0.01
  - name: fraud
    image: {XGBOOST_IMAGE}
    hosting: batch
    batch: {{input: s3://team-data/claims/, output: s3://team-results/fraud/, on_new_objects: true, runs_per_month: 300,
            instance_type: ml.c5.xlarge, records: 36000, record_processing_s: 0.5}}
  - name: audit
    image: {XGBOOST_IMAGE}
    hosting: batch
    batch: {{input: s3://team-data/audit/, output: s3://team-results/audit/, runs_per_month: 4, run_hours: 1, instance_type: ml.m5.large}}
  - name: tabular
    hosting: multi-container
    instance_type: ml.c5.large
    instances: {{min: 2, max: 2}}
    scaling: none
    network: {NETWORK}
    containers:
      - {{name: churn, image: {XGBOOST_IMAGE}, artifact: s3://models/churn/model.tar.gz}}
      - {{name: fraud, image: {CPU_IMAGE}, artifact: s3://models/fraud/model.tar.gz}}
  - name: scoring
    hosting: pipeline
    instance_type: ml.c5.xlarge
    instances: {{min: 1, max: 3}}
    network: {NETWORK}
    containers:
      - {{name: features, image: {CPU_IMAGE}, artifact: s3://models/scoring/features.tar.gz}}
      - {{name: score, image: {XGBOOST_IMAGE}, artifact: s3://models/scoring/model.tar.gz}}
    traffic: {{pattern: steady, mean_concurrency: 2, peak_concurrency: 6}}
  - name: ranker
    image: {CPU_IMAGE}
    artifact: s3://models/ranker/model.tar.gz
    hosting: dedicated
    instance_type: ml.c5.xlarge
    instances: {{min: 1, max: 4}}
    traffic: {{pattern: steady, mean_concurrency: 8, peak_concurrency: 16}}
    variants:
      - {{name: current, weight: 9}}
      - {{name: candidate, artifact: s3://models/ranker-v2/model.tar.gz, instance_type: ml.c5.large, instances: {{min: 1, max: 2}}, weight: 1}}
  - name: summarizer
    image: {GPU_IMAGE}
    artifact: s3://models/summarizer/model.tar.gz
    hosting: dedicated
    instance_type: ml.g5.xlarge
    instances: {{min: 1, max: 2}}
    shadow: {{name: next, instance_count: 1, artifact: s3://models/summarizer-v2/model.tar.gz, sampling_percent: 50}}
"""


def plan_of(text: str, directory: Path):
    path = directory / "portfolio.yaml"
    path.write_text(text)
    return plan_file(path)


@pytest.fixture(scope="module")
def scaled_plan(tmp_path_factory):
    return plan_of(SCALED, tmp_path_factory.mktemp("scaled"))


@pytest.fixture(scope="module")
def scaled(scaled_plan) -> Template:
    (stack,) = add_stacks(cdk.App(), scaled_plan)
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def fixed_stack() -> cdk.Stack:
    (stack,) = add_stacks(cdk.App(), plan_file(FIXED_CAPACITY))
    return stack


@pytest.fixture(scope="module")
def fixed(fixed_stack) -> Template:
    return Template.from_stack(fixed_stack)


@pytest.fixture(scope="module")
def patterns_plan(tmp_path_factory):
    return plan_of(PATTERNS, tmp_path_factory.mktemp("patterns"))


@pytest.fixture(scope="module")
def patterns_stack(patterns_plan) -> cdk.Stack:
    (stack,) = add_stacks(cdk.App(), patterns_plan)
    return stack


@pytest.fixture(scope="module")
def patterns(patterns_stack) -> Template:
    return Template.from_stack(patterns_stack)


def target_of(template, resource_id):
    (target,) = template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget", {"Properties": {"ResourceId": resource_id}}).values()
    return target["Properties"]


def policies_of(template, policy_type):
    return [policy["Properties"] for policy in template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy", {"Properties": {"PolicyType": policy_type}}).values()]


# Scaling


def test_each_scaled_component_tracks_its_metric_between_its_copy_bounds(scaled):
    assert (target_of(scaled, "inference-component/units-waker")["MinCapacity"], target_of(scaled, "inference-component/units-waker")["MaxCapacity"]) == (0, 2)
    assert (target_of(scaled, "inference-component/units-steady")["MinCapacity"], target_of(scaled, "inference-component/units-steady")["MaxCapacity"]) == (1, 3)
    tracking = {policy["PolicyName"]: policy["TargetTrackingScalingPolicyConfiguration"] for policy in policies_of(scaled, "TargetTrackingScaling")}
    assert tracking["inference-component-units-steady-target-tracking"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"},
        "TargetValue": 100, "ScaleInCooldown": 600, "ScaleOutCooldown": 30,
    }


def test_only_the_component_that_may_reach_zero_copies_wakes_on_an_alarm(scaled):
    (wake,) = policies_of(scaled, "StepScaling")

    assert wake["PolicyName"] == "inference-component-units-waker-scale-from-zero"
    scaled.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "NoCapacityInvocationFailures", "Dimensions": [{"Name": "InferenceComponentName", "Value": "units-waker"}]})
    assert len(scaled.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "NoCapacityInvocationFailures"}})) == 1


def test_a_scaled_dedicated_endpoint_tracks_concurrency_per_model_between_its_instance_bounds(scaled):
    target = target_of(scaled, "endpoint/units-inline/variant/AllTraffic")

    assert (target["ScalableDimension"], target["MinCapacity"], target["MaxCapacity"]) == ("sagemaker:variant:DesiredInstanceCount", 1, 3)
    scaled.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {"PolicyName": "endpoint-units-inline-variant-AllTraffic-target-tracking"})


def test_fixed_capacity_models_have_no_scalable_target_and_keep_their_counts(fixed):
    fixed.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
    fixed.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 0)
    copies = {c["Properties"]["InferenceComponentName"]: c["Properties"]["RuntimeConfig"]["CopyCount"] for c in fixed.find_resources("AWS::SageMaker::InferenceComponent").values()}
    assert copies == {"fixed-capacity-sanctions-screener": 1, "fixed-capacity-adverse-media": 2}
    fixed.has_resource_properties("AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like({"ModelName": Match.any_value(), "InitialInstanceCount": 2})]})


def test_fixed_capacity_is_acknowledged_with_the_copy_and_instance_counts_it_keeps(fixed_stack):
    # The acknowledgements let the synthesis through loadmaster's scaling rules; their reasons say what stays fixed.
    app = fixed_stack.node.root
    app.synth()
    reasons = [entry.data for node in fixed_stack.node.find_all() for entry in node.node.metadata if "scaling: none" in str(entry.data)]
    assert any("sanctions-screener: its copy count stays at 1" in str(reason) for reason in reasons)
    assert any("pep-matcher: its instance count stays at 2" in str(reason) for reason in reasons)


# Deployment, storage and tags


def test_a_blue_green_dedicated_endpoint_shifts_all_traffic_after_its_wait(scaled):
    scaled.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": "units-inline", "DeploymentConfig": {
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}, "TerminationWaitInSeconds": 300},
        "AutoRollbackConfiguration": Match.any_value(),
    }})


def test_components_roll_through_their_copies_by_default(scaled):
    scaled.all_resources_properties("AWS::SageMaker::InferenceComponent", {"DeploymentConfig": {"RollingUpdatePolicy": Match.object_like({
        "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25}, "WaitIntervalInSeconds": 60,
    }), "AutoRollbackConfiguration": Match.any_value()}})


def test_one_rotated_stack_key_encrypts_every_endpoint_without_local_nvme_and_none_other(scaled):
    (key_id,) = scaled.find_resources("AWS::KMS::Key", {"Properties": {"EnableKeyRotation": True}})
    configs = {config["Properties"]["ProductionVariants"][0]["InstanceType"]: config["Properties"].get("KmsKeyId") for config in scaled.find_resources("AWS::SageMaker::EndpointConfig").values()}

    assert configs == {"ml.inf2.24xlarge": {"Fn::GetAtt": [key_id, "Arn"]}, "ml.g5.2xlarge": None}


def test_the_stack_key_and_the_tracking_policies_keep_the_logical_ids_deployed_stacks_have(scaled):
    # Another logical id would make CloudFormation replace the key (and the storage it encrypts) or the policy.
    (key_id, key), = scaled.find_resources("AWS::KMS::Key").items()
    tracking_ids = scaled.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy", {"Properties": {"PolicyType": "TargetTrackingScaling"}})

    assert re.fullmatch(r"StorageKey[0-9A-F]{8}", key_id) and key["Properties"]["Description"] == "loadmaster: SageMaker endpoint storage"
    assert len(tracking_ids) == 3 and all(re.fullmatch(r".+TargetTracking[0-9A-F]{8}", logical_id) for logical_id in tracking_ids)


def test_the_portfolios_own_key_replaces_the_stacks(scaled_plan):
    (stack,) = add_stacks(cdk.App(), dataclasses.replace(scaled_plan, kms_key_arn=PORTFOLIO_KEY))
    template = Template.from_stack(stack)

    template.resource_count_is("AWS::KMS::Key", 0)
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"KmsKeyId": PORTFOLIO_KEY})


def test_every_taggable_resource_carries_the_portfolios_tags(fixed):
    tags = Match.array_with([{"Key": "change-board", "Value": "cab-2291"}, {"Key": "team", "Value": "regulated-ml"}])
    for resource_type in ("AWS::SageMaker::InferenceComponent", "AWS::SageMaker::Endpoint", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Model", "AWS::IAM::Role"):
        fixed.all_resources_properties(resource_type, {"Tags": tags})


def test_the_stacks_deploy_to_the_portfolios_account_and_region(fixed_stack):
    assert (fixed_stack.account, fixed_stack.region, fixed_stack.stack_name) == ("778899001122", "us-east-1", "fixed-capacity-hosting")
    assert fixed_stack.template_options.description == "loadmaster: SageMaker hosting for the fixed-capacity portfolio"


def test_a_portfolio_without_account_or_region_deploys_wherever_it_is_deployed(scaled_plan):
    (stack,) = add_stacks(cdk.App(), dataclasses.replace(scaled_plan, region=None, account=None))

    assert cdk.Token.is_unresolved(stack.region) and cdk.Token.is_unresolved(stack.account)


# Where the lock file puts each unit (stacks.partition)


def test_a_pool_the_lock_places_in_the_second_stack_stays_there_and_the_first_keeps_the_rest(scaled_plan):
    # Given the lock's record that the pool and its components were deployed in units-hosting-2
    pool = scaled_plan.pools[0]
    locked = dataclasses.replace(pool, stack="units-hosting-2", components=tuple(dataclasses.replace(c, stack="units-hosting-2") for c in pool.components))
    # When
    stacks = hosting_stacks(cdk.App(), scaled_plan.with_units_of("inference-component", (locked,)))
    # Then
    assert stack_of_each_unit(stacks) == {
        "pool:neuron": "units-hosting-2", "component:waker": "units-hosting-2", "component:steady": "units-hosting-2", "dedicated:inline": "units-hosting-2",
    }
    assert [stack.stack_name for stack in stacks] == ["units-hosting-2"]


def test_a_stack_the_lock_names_that_holds_nothing_any_more_keeps_a_resource_that_does_nothing(scaled_plan):
    # Given the lock's two stacks, both emptied: what is new fills the last one
    stacks = hosting_stacks(cdk.App(), dataclasses.replace(scaled_plan, emptied_stacks=("units-hosting", "units-hosting-2")))

    first, second = stacks
    assert (first.stack_name, first.placed, second.stack_name) == ("units-hosting", [], "units-hosting-2")
    # under the logical id the deployed stack has: another would be a change in every review of it
    assert list(Template.from_stack(first).find_resources("AWS::CloudFormation::WaitConditionHandle")) == ["NothingLeft"]
    Template.from_stack(second).resource_count_is("AWS::CloudFormation::WaitConditionHandle", 0)


@pytest.mark.parametrize("name", ["other-hosting", "units-hosting-0", "units-hosting-02", "units-hostingx"])
def test_a_lock_naming_a_stack_of_another_portfolio_is_refused(scaled_plan, name):
    with pytest.raises(ValueError, match=f"^'{name}' is not a stack name of portfolio units$"):
        hosting_stacks(cdk.App(), dataclasses.replace(scaled_plan, emptied_stacks=(name,)))


def test_a_new_component_joins_its_pools_stack_beside_the_locked_ones(scaled_plan):
    pool = scaled_plan.pools[0]
    waker, steady = pool.components
    locked = dataclasses.replace(pool, stack="units-hosting-2", components=(dataclasses.replace(waker, stack="units-hosting-2"), steady))

    stacks = hosting_stacks(cdk.App(), scaled_plan.with_units_of("inference-component", (locked,)))

    assert stack_of_each_unit(stacks)["component:steady"] == "units-hosting-2"


def test_a_stack_at_cloudformations_resource_quota_passes_and_one_over_it_is_refused_naming_it(scaled_plan, monkeypatch):
    import stacks as stacks_module

    # Given the number of resources the stack holds, as CloudFormation receives it
    (stack,) = hosting_stacks(cdk.App(), scaled_plan)
    resources = [resource for resource in Template.from_stack(stack).to_json()["Resources"].values() if resource["Type"] != "AWS::CDK::Metadata"]
    # When the quota is that number, the stack passes; when it is one less, it is refused with the stack's count
    monkeypatch.setattr(stacks_module, "MAX_RESOURCES_PER_STACK", len(resources))
    add_stacks(cdk.App(), scaled_plan)
    monkeypatch.setattr(stacks_module, "MAX_RESOURCES_PER_STACK", len(resources) - 1)
    with pytest.raises(PortfolioError) as refused:
        add_stacks(cdk.App(), scaled_plan)
    assert str(refused.value).startswith(
        f"{scaled_plan.source}: stack units-hosting would have {len(resources)} resources; CloudFormation allows {len(resources) - 1} per stack"
    )


# The app: compliance checks, cdk.json's flags, the lock


def test_both_packs_check_every_stack_of_the_app(tmp_path):
    # Given a stack breaking one rule of each pack: a role with a wildcard resource, a scalable target with a role
    from aws_cdk import aws_applicationautoscaling as appscaling
    from aws_cdk import aws_iam as iam

    from stacks import add_compliance_checks

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Checked", env=cdk.Environment(account="123456789012", region="us-east-1"))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    appscaling.CfnScalableTarget(stack, "Target", service_namespace="sagemaker", resource_id="inference-component/x", scalable_dimension="sagemaker:inference-component:DesiredCopyCount",
                                 min_capacity=1, max_capacity=2, role_arn="arn:aws:iam::123456789012:role/scaler")
    # When
    add_compliance_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    # Then
    report = json.loads((tmp_path / "validation-report.json").read_text())
    found = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]}
    assert {"AwsSolutions-IAM5[Resource::*]", "Loadmaster-ScalableTargetHasNoRole"} <= found


def test_an_app_is_built_with_cdk_jsons_flags_into_the_folder_asked_for(scaled_plan, tmp_path):
    from stacks import CDK_JSON, build_app

    app = build_app(scaled_plan, outdir=str(tmp_path))

    flags = json.loads(CDK_JSON.read_text())["context"]
    assert flags and all(app.node.try_get_context(flag) == value for flag, value in flags.items())
    assert Path(app.outdir) == tmp_path


def test_the_identities_as_deployed_name_the_stack_of_every_endpoint_and_component(scaled_plan):
    from stacks import identities_as_deployed

    lock = identities_as_deployed(scaled_plan)

    assert {key: identity.stack for key, identity in lock.endpoints.items()} == {"pool:neuron": "units-hosting", "dedicated:inline": "units-hosting"}
    assert {model: identity.stack for model, identity in lock.components.items()} == {"waker": "units-hosting", "steady": "units-hosting"}


def test_a_portfolio_with_an_account_and_a_region_deploys_there_only(scaled_plan):
    (stack,) = add_stacks(cdk.App(), dataclasses.replace(scaled_plan, account="111122223333"))

    assert (stack.account, stack.region) == ("111122223333", "us-east-1")


def test_a_portfolio_with_a_region_only_deploys_there_in_whichever_account_deploys_it(scaled_plan):
    (stack,) = add_stacks(cdk.App(), dataclasses.replace(scaled_plan, region="eu-west-1", account=None))

    assert stack.region == "eu-west-1" and cdk.Token.is_unresolved(stack.account)


def test_a_dedicated_endpoint_the_lock_places_in_the_second_stack_stays_there(scaled_plan):
    locked = tuple(dataclasses.replace(model, stack="units-hosting-2") for model in scaled_plan.dedicated)

    stacks = hosting_stacks(cdk.App(), scaled_plan.with_units_of("dedicated", locked))

    assert stack_of_each_unit(stacks) == {
        "pool:neuron": "units-hosting-2", "component:waker": "units-hosting-2", "component:steady": "units-hosting-2", "dedicated:inline": "units-hosting-2",
    }


# The other patterns' builders (stacks.builders): what each passes from its plan to its endpoint or transform


def config_of(template, endpoint_name):
    """The endpoint config of the endpoint named `endpoint_name`."""
    (endpoint,) = template.find_resources("AWS::SageMaker::Endpoint", {"Properties": {"EndpointName": endpoint_name}}).values()
    config_id = endpoint["Properties"]["EndpointConfigName"]["Fn::GetAtt"][0]
    return template.to_json()["Resources"][config_id]["Properties"]


def transform_of(template, transform_name):
    """The state machine's definition of batch transform `transform_name`, the tokens it joins left out."""
    for machine in template.find_resources("AWS::StepFunctions::StateMachine").values():
        definition = "".join(part for part in machine["Properties"]["DefinitionString"]["Fn::Join"][1] if isinstance(part, str))
        if f"'{transform_name}-{{}}'" in definition:
            return definition
    raise AssertionError(f"no state machine runs {transform_name}")


def test_each_pattern_keeps_the_logical_ids_its_deployed_endpoints_have(patterns):
    # Another construct id would make CloudFormation replace the endpoint, and the model behind it.
    endpoints = {resource["Properties"]["EndpointName"]: logical_id for logical_id, resource in patterns.find_resources("AWS::SageMaker::Endpoint").items()}
    machines = set(patterns.find_resources("AWS::StepFunctions::StateMachine"))

    assert {name: re.sub(r"[0-9A-F]{8}$", "", logical_id) for name, logical_id in endpoints.items()} == {
        "patterns-transcribe": "AsynctranscribeEndpoint", "patterns-tagger": "ServerlesstaggerEndpoint",
        "patterns-shops": "MultiModelshopsEndpoint", "patterns-catalog": "MultiModelcatalogEndpoint",
        "patterns-tabular": "MultiContainertabularEndpoint", "patterns-scoring": "PipelinescoringEndpoint",
        "patterns-ranker": "DedicatedrankerEndpoint", "patterns-summarizer": "DedicatedsummarizerEndpoint",
    }
    assert {re.sub(r"[0-9A-F]{8}$", "", logical_id) for logical_id in machines} == {"BatchchurnStateMachine", "BatchfraudStateMachine", "BatchauditStateMachine"}


def test_a_later_generation_is_built_beside_the_old_one_under_other_logical_ids(scaled_plan):
    # Given the pool and the dedicated endpoint replaced by their second generation (loadmaster.identity)
    pool, dedicated = scaled_plan.pools[0], scaled_plan.dedicated[0]
    plan = scaled_plan.with_units_of("inference-component", (dataclasses.replace(pool, generation=2),)).with_units_of("dedicated", (dataclasses.replace(dedicated, generation=2),))
    # When
    (stack,) = hosting_stacks(cdk.App(), plan)
    # Then the first generation's ids are free: CloudFormation creates the new endpoints before it deletes the old
    endpoints = {re.sub(r"[0-9A-F]{8}$", "", logical_id) for logical_id in Template.from_stack(stack).find_resources("AWS::SageMaker::Endpoint")}
    assert endpoints == {"Poolneuronv2Endpoint", "Dedicatedinlinev2Endpoint"}


def test_an_async_endpoint_writes_under_its_prefix_in_the_bucket_asked_for_and_tells_both_topics(patterns):
    output = config_of(patterns, "patterns-transcribe")["AsyncInferenceConfig"]
    (success_topic,) = patterns.find_resources("AWS::SNS::Topic")

    assert output["OutputConfig"]["S3OutputPath"] == "s3://team-results/transcripts/results/"
    assert output["OutputConfig"]["S3FailurePath"] == "s3://team-results/transcripts/failures/"
    assert output["OutputConfig"]["NotificationConfig"] == {"SuccessTopic": {"Ref": success_topic}, "ErrorTopic": ERROR_TOPIC}
    assert output["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 2}
    patterns.resource_count_is("AWS::S3::Bucket", 2)  # the churn transform's results and their access logs, no async bucket


def test_an_async_endpoint_that_scales_to_zero_starts_with_one_instance_and_wakes_on_its_backlog(patterns):
    (variant,) = config_of(patterns, "patterns-transcribe")["ProductionVariants"]
    target = target_of(patterns, "endpoint/patterns-transcribe/variant/AllTraffic")

    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.g5.2xlarge", 1)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 3)
    patterns.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "HasBacklogWithoutCapacity", "Dimensions": [{"Name": "EndpointName", "Value": "patterns-transcribe"}]})


def test_a_serverless_endpoint_has_its_memory_concurrency_and_warm_capacity_scaled_between_its_bounds_on_the_stack_key(patterns):
    config = config_of(patterns, "patterns-tagger")
    (key_id,) = patterns.find_resources("AWS::KMS::Key", {"Properties": {"Description": "loadmaster: SageMaker endpoint storage"}})
    target = target_of(patterns, "endpoint/patterns-tagger/variant/AllTraffic")

    assert config["ProductionVariants"][0]["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 20, "ProvisionedConcurrency": 1}
    assert config["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert (target["ScalableDimension"], target["MinCapacity"], target["MaxCapacity"]) == ("sagemaker:variant:DesiredProvisionedConcurrency", 1, 5)


def test_a_multi_model_endpoint_serves_its_prefix_uncached_in_its_vpc_with_ssm_between_its_instance_bounds(patterns):
    (model,) = patterns.find_resources("AWS::SageMaker::Model", {"Properties": {"PrimaryContainer": {"Mode": "MultiModel", "ModelDataUrl": "s3://models/shops/"}}}).values()
    (variant,) = config_of(patterns, "patterns-shops")["ProductionVariants"]
    target = target_of(patterns, "endpoint/patterns-shops/variant/AllTraffic")

    assert model["Properties"]["PrimaryContainer"]["MultiModelConfig"] == {"ModelCacheSetting": "Disabled"}
    assert model["Properties"]["VpcConfig"] == {"Subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0f9e8d7c6b5a49382"], "SecurityGroupIds": ["sg-0123abcd4567ef890"]}
    assert model["Properties"]["EnableNetworkIsolation"] is True
    assert (variant["InitialInstanceCount"], variant["EnableSSMAccess"]) == (1, True)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 2)


def test_a_multi_model_endpoint_at_a_fixed_count_has_no_scaling_and_says_why(patterns_stack, patterns):
    reasons = [str(entry.data) for node in patterns_stack.node.find_all() for entry in node.node.metadata if "scaling: none" in str(entry.data)]

    assert not patterns.find_resources("AWS::ApplicationAutoScaling::ScalableTarget", {"Properties": {"ResourceId": "endpoint/patterns-catalog/variant/AllTraffic"}})
    assert any("catalog: its instance count stays at 1" in reason for reason in reasons)


def test_endpoints_of_several_containers_each_run_in_the_vpc_asked_for(patterns):
    # Two of them in one stack: each imports the subnets and groups under its own construct ids.
    for mode in ("Direct", "Serial"):
        (model,) = patterns.find_resources("AWS::SageMaker::Model", {"Properties": {"InferenceExecutionConfig": {"Mode": mode}}}).values()
        assert model["Properties"]["VpcConfig"] == {"Subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0f9e8d7c6b5a49382"], "SecurityGroupIds": ["sg-0123abcd4567ef890"]}
        assert model["Properties"]["EnableNetworkIsolation"] is True


def test_a_scheduled_transform_runs_in_its_time_zone_with_every_option_of_its_job(patterns):
    (schedule,) = patterns.find_resources("AWS::Scheduler::Schedule").values()
    churn = transform_of(patterns, "patterns-churn")

    assert (schedule["Properties"]["ScheduleExpression"], schedule["Properties"]["ScheduleExpressionTimezone"]) == ("cron(0 2 ? * MON-FRI *)", "Europe/Paris")
    assert '"TransformResources":{"InstanceType":"ml.m5.xlarge","InstanceCount":2},"MaxConcurrentTransforms":4,"MaxPayloadInMB":6,"BatchStrategy":"MultiRecord"' in churn
    assert '"SplitType":"Line","ContentType":"text/csv"' in churn and '"Accept":"text/csv","AssembleWith":"Line"' in churn
    assert '"S3DataType":"S3Prefix"' in churn and "s3://team-data/customers/daily/*" in churn
    assert churn.endswith('"TimeoutSeconds":5400}')  # 1.5 hours


def test_a_transform_on_new_objects_writes_under_the_prefix_asked_for_with_the_stack_key(patterns):
    (rule,) = patterns.find_resources("AWS::Events::Rule").values()
    (key_id,) = patterns.find_resources("AWS::KMS::Key", {"Properties": {"Description": "loadmaster: SageMaker endpoint storage"}})
    fraud = transform_of(patterns, "patterns-fraud")

    assert rule["Properties"]["EventPattern"]["detail"] == {"bucket": {"name": ["team-data"]}, "object": {"key": [{"prefix": "claims/"}]}}
    assert "States.Format('s3://team-results/fraud/{}/', $.job_name)" in fraud
    assert '"TransformResources":{"InstanceType":"ml.c5.xlarge","InstanceCount":1}' in fraud
    for machine in patterns.find_resources("AWS::StepFunctions::StateMachine").values():
        assert {"Fn::GetAtt": [key_id, "Arn"]} in machine["Properties"]["DefinitionString"]["Fn::Join"][1]


def test_only_the_scheduled_transform_has_a_schedule_and_only_the_one_on_new_objects_a_rule(patterns):
    # audit, with neither, runs when started by hand
    machines = {re.sub(r"[0-9A-F]{8}$", "", logical_id): logical_id for logical_id in patterns.find_resources("AWS::StepFunctions::StateMachine")}
    (schedule,) = patterns.find_resources("AWS::Scheduler::Schedule").values()
    (rule,) = patterns.find_resources("AWS::Events::Rule").values()

    assert schedule["Properties"]["Target"]["Arn"] == {"Ref": machines["BatchchurnStateMachine"]}
    assert [target["Arn"] for target in rule["Properties"]["Targets"]] == [{"Ref": machines["BatchfraudStateMachine"]}]


def test_a_multi_container_endpoint_invokes_its_containers_directly_at_the_fixed_count_it_keeps(patterns_stack, patterns):
    (model,) = patterns.find_resources("AWS::SageMaker::Model", {"Properties": {"InferenceExecutionConfig": {"Mode": "Direct"}}}).values()
    reasons = [str(entry.data) for node in patterns_stack.node.find_all() for entry in node.node.metadata if "scaling: none" in str(entry.data)]

    assert [container["ContainerHostname"] for container in model["Properties"]["Containers"]] == ["churn", "fraud"]
    assert config_of(patterns, "patterns-tabular")["ProductionVariants"][0]["InitialInstanceCount"] == 2
    assert not patterns.find_resources("AWS::ApplicationAutoScaling::ScalableTarget", {"Properties": {"ResourceId": "endpoint/patterns-tabular/variant/AllTraffic"}})
    assert any("tabular: its instance count stays at 2" in reason for reason in reasons)


@pytest.mark.parametrize("endpoint", ["patterns-tabular", "patterns-scoring"])
def test_endpoints_of_several_containers_update_rolling_and_roll_back_on_their_own_alarms(patterns, endpoint):
    (resource,) = patterns.find_resources("AWS::SageMaker::Endpoint", {"Properties": {"EndpointName": endpoint}}).values()
    deployment = resource["Properties"]["DeploymentConfig"]

    assert deployment["RollingUpdatePolicy"]["MaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 25}
    errors, latency = (alarm["AlarmName"]["Ref"] for alarm in deployment["AutoRollbackConfiguration"]["Alarms"])
    assert "RollbackAlarmsErrors" in errors and "RollbackAlarmsLatency" in latency


def test_a_pools_endpoint_lets_sagemaker_scale_its_instances_between_the_pools_bounds(scaled):
    (variant,) = config_of(scaled, "units-neuron")["ProductionVariants"]

    assert variant["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2}


def test_a_pipeline_runs_its_containers_in_order_and_scales_its_instances_between_its_bounds(patterns):
    (model,) = patterns.find_resources("AWS::SageMaker::Model", {"Properties": {"InferenceExecutionConfig": {"Mode": "Serial"}}}).values()
    target = target_of(patterns, "endpoint/patterns-scoring/variant/AllTraffic")

    assert [container["ContainerHostname"] for container in model["Properties"]["Containers"]] == ["features", "score"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    patterns.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {"PolicyName": "endpoint-patterns-scoring-variant-AllTraffic-target-tracking"})


def test_each_production_variant_gets_its_weight_and_its_own_instance_scaling(patterns):
    variants = {variant["VariantName"]: variant for variant in config_of(patterns, "patterns-ranker")["ProductionVariants"]}

    assert {name: (variant["InstanceType"], variant["InitialVariantWeight"]) for name, variant in variants.items()} == {"current": ("ml.c5.xlarge", 9), "candidate": ("ml.c5.large", 1)}
    assert (target_of(patterns, "endpoint/patterns-ranker/variant/current")["MinCapacity"], target_of(patterns, "endpoint/patterns-ranker/variant/current")["MaxCapacity"]) == (1, 4)
    assert (target_of(patterns, "endpoint/patterns-ranker/variant/candidate")["MinCapacity"], target_of(patterns, "endpoint/patterns-ranker/variant/candidate")["MaxCapacity"]) == (1, 2)


def test_a_shadow_variant_receives_its_share_of_the_requests_on_its_fixed_instances(patterns):
    config = config_of(patterns, "patterns-summarizer")
    (shadow,) = config["ShadowProductionVariants"]

    assert (shadow["VariantName"], shadow["InstanceType"], shadow["InitialInstanceCount"], shadow["InitialVariantWeight"]) == ("next", "ml.g5.xlarge", 1, 0.5)
    assert not patterns.find_resources("AWS::ApplicationAutoScaling::ScalableTarget", {"Properties": {"ResourceId": "endpoint/patterns-summarizer/variant/next"}})


def test_a_component_the_lock_placed_follows_its_pool_when_the_pool_itself_is_new(scaled_plan):
    # Given a lock that records a component in units-hosting-2 but not its pool (a pool of a later generation, say)
    pool = scaled_plan.pools[0]
    waker, steady = pool.components
    unplaced = dataclasses.replace(pool, stack=None, components=(dataclasses.replace(waker, stack="units-hosting-2"), steady))
    # When
    stacks = hosting_stacks(cdk.App(), scaled_plan.with_units_of("inference-component", (unplaced,)))
    # Then the component is built with its pool, in the one stack: never in a stack its endpoint is not yet in
    assert stack_of_each_unit(stacks) == {
        "pool:neuron": "units-hosting", "component:waker": "units-hosting", "component:steady": "units-hosting", "dedicated:inline": "units-hosting",
    }


def test_an_endpoint_of_several_containers_is_one_part_estimated_as_its_own_pattern_before_any_is_measured(patterns_plan):
    from stacks.builders.multi_container import RESOURCES_FIRST_GUESS, containers_builder

    for pattern in ("multi-container", "pipeline"):
        (unit,) = [unit for unit in patterns_plan.units if unit.pattern == pattern]
        builder = containers_builder(pattern)
        head = builder.head(unit)
        assert (builder.pattern, builder.first_guess, builder.members(unit)) == (pattern, {pattern: RESOURCES_FIRST_GUESS}, [])
        assert (head.key, head.kind, head.stack) == (unit.key, pattern, None)
