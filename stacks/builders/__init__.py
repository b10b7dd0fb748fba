"""One builder per hosting pattern: it turns a plan unit into constructs in a stack. The stacks' side of
`loadmaster.hostings.registry` (the stacks import loadmaster, never the reverse).

A unit is built in parts that `stacks.partition` places: its `head` (the endpoint and what it owns) and its
`members` (an inference-component pool's components), which may go in a later stack than the head when the head's
is full. Each part has a `kind` by which the partition estimates its resources before it is built.
"""

from __future__ import annotations

from stacks.builders import asynchronous, batch, dedicated, inference_component, multi_container, multi_model, pipeline, serverless
from stacks.builders.part import Builder

BUILDERS: dict[str, Builder] = {
    builder.pattern: builder for builder in (inference_component.BUILDER, dedicated.BUILDER, serverless.BUILDER, asynchronous.BUILDER, multi_model.BUILDER, batch.BUILDER,
                                   multi_container.BUILDER, pipeline.BUILDER)
}
