"""The hosting stacks of small portfolios: what each model's plan turns into (scaling or fixed capacity, waking from
zero, deployment strategy, storage keys, tags), and where the lock file's stack names put each unit."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from loadmaster.errors import PortfolioError
from loadmaster.plan import plan_file
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
    stacks = hosting_stacks(cdk.App(), dataclasses.replace(scaled_plan, pools=(locked,)))
    # Then
    assert stack_of_each_unit(stacks) == {
        "pool:neuron": "units-hosting-2", "component:waker": "units-hosting-2", "component:steady": "units-hosting-2", "dedicated:inline": "units-hosting-2",
    }
    assert [stack.stack_name for stack in stacks] == ["units-hosting-2"]


def test_a_stack_the_lock_names_that_holds_nothing_any_more_keeps_a_resource_that_does_nothing(scaled_plan):
    # Given the lock's two stacks, both emptied: what is new fills the last one
    stacks = hosting_stacks(cdk.App(), dataclasses.replace(scaled_plan, emptied_stacks=("units-hosting", "units-hosting-2")))

    first, second = stacks
    assert (first.stack_name, first.units, second.stack_name) == ("units-hosting", [], "units-hosting-2")
    Template.from_stack(first).resource_count_is("AWS::CloudFormation::WaitConditionHandle", 1)
    Template.from_stack(second).resource_count_is("AWS::CloudFormation::WaitConditionHandle", 0)


@pytest.mark.parametrize("name", ["other-hosting", "units-hosting-0", "units-hosting-02", "units-hostingx"])
def test_a_lock_naming_a_stack_of_another_portfolio_is_refused(scaled_plan, name):
    with pytest.raises(ValueError, match=f"^'{name}' is not a stack name of portfolio units$"):
        hosting_stacks(cdk.App(), dataclasses.replace(scaled_plan, emptied_stacks=(name,)))


def test_a_new_component_joins_its_pools_stack_beside_the_locked_ones(scaled_plan):
    pool = scaled_plan.pools[0]
    waker, steady = pool.components
    locked = dataclasses.replace(pool, stack="units-hosting-2", components=(dataclasses.replace(waker, stack="units-hosting-2"), steady))

    stacks = hosting_stacks(cdk.App(), dataclasses.replace(scaled_plan, pools=(locked,)))

    assert stack_of_each_unit(stacks)["component:steady"] == "units-hosting-2"


def test_a_stack_at_cloudformations_resource_quota_passes_and_one_over_it_is_refused_naming_it(scaled_plan, monkeypatch):
    import re

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
    assert re.search(rf"stack units-hosting would have {len(resources)} resources; CloudFormation allows {len(resources) - 1} per stack", str(refused.value))


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


def test_a_dedicated_endpoint_the_lock_places_in_the_second_stack_stays_there(scaled_plan):
    locked = tuple(dataclasses.replace(model, stack="units-hosting-2") for model in scaled_plan.dedicated)

    stacks = hosting_stacks(cdk.App(), dataclasses.replace(scaled_plan, dedicated=locked))

    assert stack_of_each_unit(stacks) == {
        "pool:neuron": "units-hosting-2", "component:waker": "units-hosting-2", "component:steady": "units-hosting-2", "dedicated:inline": "units-hosting-2",
    }
