"""Bucket and topic policies of a stack are applied in loadmaster.testing's CloudFormation, as CloudFormation applies
them: what an SSL-only bucket or topic (CDK's `enforce_ssl`) relies on."""

from __future__ import annotations

import json

import boto3
import pytest

SSL_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def template(policy: dict) -> str:
    return json.dumps(
        {
            "Resources": {
                "Results": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "results"}},
                "ResultsPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Results"}, "PolicyDocument": policy}},
                "Done": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "done"}},
                "DonePolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [{"Ref": "Done"}], "PolicyDocument": policy}},
            }
        }
    )


@pytest.fixture
def clients(mocked_sagemaker, aws_region):
    return tuple(boto3.client(service, region_name=aws_region) for service in ("cloudformation", "s3", "sns"))


def test_a_stacks_bucket_and_topic_policies_are_applied(clients):
    cloudformation, s3, sns = clients

    cloudformation.create_stack(StackName="results", TemplateBody=template(SSL_ONLY))

    (topic,) = sns.list_topics()["Topics"]
    assert json.loads(s3.get_bucket_policy(Bucket="results")["Policy"]) == SSL_ONLY
    assert json.loads(sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]["Policy"]) == SSL_ONLY


def test_an_updated_policy_replaces_the_old_one(clients):
    cloudformation, s3, sns = clients
    cloudformation.create_stack(StackName="results", TemplateBody=template(SSL_ONLY))
    tighter = {**SSL_ONLY, "Statement": [*SSL_ONLY["Statement"], {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:DeleteObject", "Resource": "*"}]}

    cloudformation.update_stack(StackName="results", TemplateBody=template(tighter))

    (topic,) = sns.list_topics()["Topics"]
    assert json.loads(s3.get_bucket_policy(Bucket="results")["Policy"]) == tighter
    assert json.loads(sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]["Policy"]) == tighter


def test_a_policy_removed_from_the_stack_is_removed_from_its_bucket_and_topic(clients):
    cloudformation, s3, sns = clients
    cloudformation.create_stack(StackName="results", TemplateBody=template(SSL_ONLY))
    without_policies = json.loads(template(SSL_ONLY))
    del without_policies["Resources"]["ResultsPolicy"], without_policies["Resources"]["DonePolicy"]

    cloudformation.update_stack(StackName="results", TemplateBody=json.dumps(without_policies))

    (topic,) = sns.list_topics()["Topics"]
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket="results")
    assert json.loads(sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]["Policy"])["Id"] == "__default_policy_ID"
