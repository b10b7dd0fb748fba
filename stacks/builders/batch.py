"""A batch transform: the model, its state machine, its schedule or new-object rule and its failed-runs alarm, in one part."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs.batch_transform import BatchTransform, NewObjects, TransformSchedule
from loadmaster.hostings.batch import NAME, BatchPlan
from stacks.builders.part import one_part
from stacks.hosting_stack import generation_suffix

if TYPE_CHECKING:
    from stacks.hosting_stack import HostingStack

# Model, execution role and policy, state machine with its role, policy and log group, failed-runs alarm, results and
# access-log buckets with their policies, a schedule with its role and policy.
FIRST_GUESS = {"batch": 16}


def add_batch(stack: HostingStack, plan: BatchPlan) -> BatchTransform:
    config = plan.config
    id = f"Batch-{plan.model}" + generation_suffix(plan.generation)
    input_bucket, _, input_prefix = config.input.removeprefix("s3://").partition("/")
    output_bucket, output_prefix = (None, None)
    if config.output:
        bucket, _, output_prefix = config.output.removeprefix("s3://").partition("/")
        output_bucket = s3.Bucket.from_bucket_name(stack, f"{id}-Output", bucket)
    if config.schedule:
        trigger = TransformSchedule(config.schedule, config.time_zone)
    else:
        trigger = NewObjects() if config.on_new_objects else None
    return BatchTransform(
        stack,
        id,
        transform_name=plan.transform_name,
        container=plan.container,
        pipeline=plan.pipeline,
        instance_type=config.instance_type,
        instance_count=config.instance_count,
        input_bucket=s3.Bucket.from_bucket_name(stack, f"{id}-Input", input_bucket),
        input_prefix=input_prefix,
        output_bucket=output_bucket,
        output_prefix=output_prefix,
        output_key=stack.storage_key(),
        trigger=trigger,
        max_concurrent_transforms=config.max_concurrent_transforms,
        max_payload_mb=config.max_payload_mb,
        batch_strategy=config.batch_strategy,
        split_type=config.split_type,
        content_type=config.content_type,
        accept=config.accept,
        assemble_with=config.assemble_with,
        timeout=cdk.Duration.minutes(round(config.timeout_hours * 60)),
    )


BUILDER = one_part(NAME, "batch", add_batch, FIRST_GUESS)
