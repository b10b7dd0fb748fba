"""pydantic's validation errors as `Problem`s: one line per field, naming the file's item (`models[2] (blockgen)`), the
field and what was expected, in the portfolio's words (no pydantic jargon, no union branches)."""

from __future__ import annotations

import difflib
import re
import typing
from typing import Any

from loadmaster.errors import Problem
from loadmaster.hostings.auto import HOSTING_METRICS, AutoModel
from loadmaster.naming import SAGEMAKER_NAME_MAX
from loadmaster.spec.base import Spec
from loadmaster.spec.schema import MODEL_CLASSES, Portfolio, PoolSpec, spec_classes

_SPEC_CLASSES = spec_classes()


def kind(value: Any) -> str:
    kinds = {type(None): "nothing", list: "a list", dict: "a mapping", str: "a string", bool: "true or false", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _found(value: Any) -> str:
    """The value itself when it is short and plain (`'lots'`, `1.5`, `true`), else what kind of value it is."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)) or (isinstance(value, str) and len(value) <= 60):
        return repr(value)
    return kind(value)


def shown(text: str) -> str:
    """A name as a problem quotes it: whole up to 100 characters, so that a problem stays one readable line."""
    return text if len(text) <= 100 else text[:100] + "..."


def _is_union_branch(part: Any) -> bool:
    """pydantic names the branch of a union it tried (`str`, `FrameworkImage`, `literal['none']`, `constrained-str` for
    a str with a pattern) in an error's loc."""
    return isinstance(part, str) and (
        part in _SPEC_CLASSES or part in {"str", "constrained-str", "int", "float", "bool"} or part.startswith(("literal[", "function-"))
    )


def hosting_in(loc: tuple[Any, ...]) -> str | None:
    """The hosting a model's error was found under: pydantic names the variant of the `hosting` union, its tag, right
    after the model's index (`('models', 2, 'dedicated', 'pool')`), or first when a model alone was validated."""
    for index, part in enumerate(loc):
        if part in MODEL_CLASSES and (index == 0 or (index >= 2 and loc[index - 2] == "models" and isinstance(loc[index - 1], int))):
            return part
    return None


def without_hosting(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """An error's loc without the tag of the model's variant: the path of the field in the file."""
    hosting = hosting_in(loc)
    if hosting is None:
        return loc
    index = next(index for index, part in enumerate(loc) if part == hosting)
    return loc[:index] + loc[index + 1:]


def _location(loc: tuple[Any, ...], document: Any) -> str:
    """`('models', 2, 'per_copy')` -> `models[2] (blockgen).per_copy`, naming list items by their `name`."""
    text, node = "", document
    for part in without_hosting(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                text += f" ({node['name']})"
        elif not _is_union_branch(part):
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


# pydantic's type errors, by the type they expected (https://docs.pydantic.dev/latest/errors/validation_errors/)
_EXPECTED_TYPES = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number", "string_type": "a string", "bool_type": "true or false",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
}
# What a string field with a pattern holds, by the field's name.
# A list's items are named by the list (`subnets[0]`).
_PATTERN_HINTS = {
    "region": "an AWS region such as us-east-1", "account": "a 12-digit AWS account ID",
    "input": "an S3 prefix such as s3://bucket/prefix/ (ending in /)", "output": "an S3 prefix such as s3://bucket/prefix/ (ending in /)",
    "bucket": "an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", "prefix": "a key prefix ending in /, such as results/",
    "success": "true, false or an SNS topic ARN", "error": "true, false or an SNS topic ARN",
    "subnets": "a subnet ID such as subnet-0123456789abcdef0", "security_groups": "a security group ID such as sg-0123456789abcdef0",
}


def _hostings() -> str:
    """'inference-component', 'dedicated' or 'auto'"""
    quoted = [repr(hosting) for hosting in MODEL_CLASSES]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]])


def _message(error: Any) -> str:
    kind, message, field = error["type"], error["msg"], error["loc"][-1] if error["loc"] else None
    if kind == "extra_forbidden":
        return _unknown_key(tuple(error["loc"]))
    if kind in ("union_tag_invalid", "union_tag_not_found"):  # the model's `hosting`, or a model that is not a mapping
        if not isinstance(error["input"], dict):
            return f"expected a mapping, found {_found(error['input'])}"
        written = error["input"].get("hosting")
        if feature := _unsupported_feature(written):
            return f"{feature}; hosting is {_hostings()}"
        return f"expected {_hostings()}, found {_found(written)}"
    if kind == "literal_error" and field == "metric" and (hosting := hosting_in(tuple(error["loc"]))) in HOSTING_METRICS:
        allowed = HOSTING_METRICS[hosting]
        if isinstance(error["input"], str) and error["input"] in {metric for metrics in HOSTING_METRICS.values() for metric in metrics}:
            return f"{error['input']} does not apply to hosting: {hosting} (use {' or '.join(allowed)})"
    if kind == "missing":
        return "required key is missing"
    if kind == "string_pattern_mismatch" and field == "name":
        return f"{shown(error['input'])!r} is not a valid SageMaker name (letters, digits and hyphens, starting with a letter or digit, at most {SAGEMAKER_NAME_MAX})"
    if kind == "string_pattern_mismatch" and field in ("kms_key_arn", "artifact_kms_key_arn"):
        return f"{shown(error['input'])!r} is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID; an alias is not a key)"
    named = error["loc"][-2] if isinstance(field, int) and len(error["loc"]) > 1 else field
    if kind == "string_pattern_mismatch" and named in _PATTERN_HINTS:
        return f"expected {_PATTERN_HINTS[named]}, found {_found(error['input'])}"
    if kind in _EXPECTED_TYPES:
        return f"expected {_EXPECTED_TYPES[kind]}, found {_found(error['input'])}"
    if kind == "literal_error":
        return f"expected {error['ctx']['expected']}, found {_found(error['input'])}"
    if kind == "too_short" and "min_length" in error.get("ctx", {}):
        count = error["ctx"]["min_length"]
        return f"needs at least {count} item{'' if count == 1 else 's'}"
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        limit = error["ctx"][bound]  # a float on a float field: 0.0
        return f"expected {words} {int(limit) if float(limit).is_integer() else limit}, found {_found(error['input'])}"
    return message.removeprefix("Value error, ")


# pydantic's range errors: the bound in the error's ctx and how to say it
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than"),
}


def problems_from_pydantic(errors: list[Any], document: Any) -> list[Problem]:
    """One problem per field; of a union's branches, keep only the one the user evidently meant; no "required" for a
    key written misspelt (`versoin` is reported, `version` is not)."""
    misspelt = {error["loc"][:-1] + (_closest_key(error["loc"]),) for error in errors if error["type"] == "extra_forbidden"}
    errors = [error for error in errors if not (error["type"] == "missing" and tuple(error["loc"]) in misspelt)]
    located = [(_location(_where(error), document), _message(error), any(map(_is_union_branch, error["loc"]))) for error in errors]
    deeper = {location for location, _, _ in located}
    problems: dict[str, list[str]] = {}
    for location, message, in_union in located:
        went_another_way = in_union and any(other.startswith(location + ".") for other in deeper)
        if not went_another_way and message not in problems.setdefault(location, []):
            problems[location].append(message)
    return [
        Problem(location, _UNION_HINTS.get(location.rsplit(".", 1)[-1], " or ".join(messages)) if len(messages) > 1 else messages[0])
        for location, messages in problems.items()
        if messages
    ]


def _where(error: Any) -> tuple[Any, ...]:
    """The loc a problem names: a model's `hosting` for what its tag says (the discriminator reports the model)."""
    loc = tuple(error["loc"])
    if error["type"] in ("union_tag_invalid", "union_tag_not_found") and isinstance(error["input"], dict):
        return loc + ("hosting",)
    return loc


# Keys (of the portfolio, a pool or a model) and hosting values that name a SageMaker feature loadmaster does not
# support yet, however they are cased or separated (`data_capture`, `DataCaptureConfig`, `batch-transform`).
_UNSUPPORTED_FEATURES = {
    "SageMaker data capture": ("data_capture", "data_capture_config"),
    "SageMaker Clarify online explainability": ("explainer", "explainer_config"),
    "inference-component adapters": ("adapter", "adapters", "base_inference_component", "base_inference_component_name"),
    "SageMaker Model Registry packages": ("model_package", "model_package_name"),
}
_FEATURE_BY_SPELLING = {re.sub(r"[^a-z0-9]", "", spelling): feature for feature, spellings in _UNSUPPORTED_FEATURES.items() for spelling in spellings}
# Where a whole SageMaker feature would be written; deeper down (`deployment.batch`) a key is only misspelt.
_FEATURE_LEVELS = (Portfolio, PoolSpec, *MODEL_CLASSES.values())


def _unsupported_feature(written: Any) -> str | None:
    """"`data_capture` (SageMaker data capture) is not supported by loadmaster yet", or None."""
    feature = _FEATURE_BY_SPELLING.get(re.sub(r"[^a-z0-9]", "", written.lower())) if isinstance(written, str) else None
    return f"`{shown(written)}` ({feature}) is not supported by loadmaster yet" if feature else None


def _unknown_key(loc: tuple[Any, ...]) -> str:
    key, spec = loc[-1], _spec_at(loc[:-1])
    feature = _unsupported_feature(key) if spec in _FEATURE_LEVELS else None
    if feature:
        return feature
    owners = [hosting for hosting, cls in MODEL_CLASSES.items() if isinstance(key, str) and key in cls.model_fields and cls is not AutoModel]
    if spec in MODEL_CLASSES.values() and owners:  # a key of another hosting, written on this one
        written = hosting_in(loc)
        return f"does not apply to hosting: {written}; it is a key of hosting: {', '.join(owners[:-1]) + ' and ' if owners[1:] else ''}{owners[-1]}"
    closest = _closest_key(loc)
    if closest is not None:
        return f"unknown key `{shown(str(key))}`: did you mean `{closest}`?"
    return "unknown key (check its spelling)"


def _closest_key(loc: tuple[Any, ...]) -> str | None:
    """The key of that object a misspelt key most resembles (`per_cpy` -> `per_copy`), if any is close."""
    spec = _spec_at(loc[:-1])
    if spec is None or not isinstance(loc[-1], str):
        return None
    matches = difflib.get_close_matches(loc[-1].lower(), list(spec.model_fields), n=1)
    return matches[0] if matches else None


def _spec_at(loc: tuple[Any, ...]) -> type[Spec] | None:
    """The spec class of the object at `loc` (`('models', 2, 'per_copy')` -> PerCopy), following pydantic's loc."""
    spec: type[Spec] | None = Portfolio
    hosting = hosting_in(loc)
    for part in loc:
        if isinstance(part, int):  # an item of a list
            continue
        if part == hosting:  # the variant of a model
            spec = MODEL_CLASSES[part]
            continue
        if part in _SPEC_CLASSES:  # the branch of a union pydantic tried
            spec = _SPEC_CLASSES[part]
            continue
        field = spec.model_fields.get(part) if spec is not None else None
        if field is None:
            return None
        inner = _specs_in(field.annotation)
        spec = inner[0] if len(inner) == 1 else None
    return spec


def _specs_in(annotation: Any) -> list[type[Spec]]:
    """The spec classes an annotation holds: `list[PoolSpec]` -> [PoolSpec], `str | FrameworkImage` -> [FrameworkImage]."""
    if isinstance(annotation, type) and issubclass(annotation, Spec):
        return [annotation]
    return [spec for argument in typing.get_args(annotation) for spec in _specs_in(argument)]


_UNION_HINTS = {
    "image": "expected an ECR image URI or a mapping {framework, version}",
    "scaling": "expected a mapping {metric, target, scale_in_cooldown_s, scale_out_cooldown_s} or none",
    "success": "expected true (a topic the stack creates), false or an SNS topic ARN",
    "error": "expected true (a topic the stack creates), false or an SNS topic ARN",
}
