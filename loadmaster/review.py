"""Review a change to a portfolio: what a reviewer needs in one pull-request comment.

BASE is what is deployed, HEAD what the change deploys. HEAD is planned as a deploy would name it: after BASE's
identities (loadmaster.identity), so a pool whose instance type changes, or a model that moves to another endpoint,
shows as a new endpoint or inference component beside the old one, which clients must then call by its new name.
Both are synthesized and the CDK CLI's offline `cdk diff --template` says which resources a deploy replaces or deletes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loadmaster.catalog import HOURS_PER_MONTH
from loadmaster.errors import PortfolioError, Problem
from loadmaster.identity import Hosted, IdentityLock, lock_path
from loadmaster.plan import Plan
from loadmaster.planner.make import plan_file
from loadmaster.planner.render import plan_document
from loadmaster.synthesis import PROJECT_ROOT, ComplianceFailed, owner_of, synthesize


# What a change does to the resources of a deployment, worst first.
BREAKING = "client-breaking"  # clients must call another name, or the name is gone
RESTART = "instances restart"  # a new endpoint config: the endpoint moves its instances to new ones
REPLACED = "replaced or deleted"  # anything else a deploy creates anew or deletes
SEVERITIES = (BREAKING, RESTART, REPLACED)

# The fields of a model or pool that autoscaling acts on: shown apart from the others.
SCALING_FIELDS = ("scaling", "copies", "instances")
# What the Markdown says of an added model or pool.
SUMMARY_FIELDS = ("hosting", "pool", "instance_type")

CDK = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
# A resource line of `cdk diff`: `[~] AWS::SageMaker::EndpointConfig Pool-a/Endpoint/Config PoolaEndpointConfig0C66 replace`
_RESOURCE_LINE = re.compile(r"^\[(?P<change>[-+~])\] (?P<type>AWS::[\w:]+) (?P<rest>.*)$")
_KIND = re.compile(r"([a-z])([A-Z])")


@dataclass(frozen=True)
class FieldChange:
    field: str  # `scaling.target`
    before: Any  # None: not set
    after: Any


@dataclass(frozen=True)
class EntryChange:
    """A model or pool (or the portfolio's own settings) added, removed or changed."""

    kind: str  # model, pool, portfolio
    name: str
    change: str  # added, removed, changed
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Impact:
    """What a deploy of HEAD over BASE does to the resources of one pool or model."""

    severity: str  # one of SEVERITIES
    owner: str  # `pool a10g-pool`, `model blockgen`
    what: str


@dataclass(frozen=True)
class Review:
    base: str
    head: str
    base_plan: Plan
    head_plan: Plan
    changes: tuple[EntryChange, ...]
    impacts: tuple[Impact, ...]
    compliance: tuple[str, ...]  # findings HEAD's synthesis stopped on; empty when it synthesized
    new_acknowledgements: tuple[str, ...]  # findings HEAD accepts in code that BASE did not, with their reasons
    new_warnings: tuple[str, ...]  # planner warnings HEAD has and BASE had not

    @property
    def breaking(self) -> bool:
        return any(impact.severity == BREAKING for impact in self.impacts)


def review(base: str, head: str, replan: bool = False) -> Review:
    """Review HEAD against BASE, each a portfolio file or a git revision of one (`origin/main:portfolio.yaml`); with
    `replan`, HEAD packs the planner's models afresh instead of keeping BASE's placements (loadmaster.sticky).
    Raises `PortfolioError` (exit 2) when either cannot be read or planned."""
    with tempfile.TemporaryDirectory(prefix="loadmaster-review-") as workdir:
        work = Path(workdir)
        base_file, head_file = _portfolio_at(base, work / "base"), _portfolio_at(head, work / "head")
        base_plan = _planned(base, base_file)
        head_plan = _planned(head, head_file, previous=base_plan.identities, replan=replan)
        changes = _entry_changes(_document(base_file), _document(head_file))
        impacts = _identity_impacts(base_plan.identities, head_plan.identities)
        compliance: tuple[str, ...] = ()
        acknowledged: tuple[str, ...] = ()
        try:
            base_stacks = {stack.name: stack for stack in synthesize(base_plan, work / "base.out")}
            head_stacks = synthesize(head_plan, work / "head.out")
        except ComplianceFailed as failure:
            # Without the line about the (temporary) output folder synthesis leaves as it was.
            compliance = tuple(line for line in str(failure).splitlines() if line.strip() and workdir not in line)
        else:
            acknowledged = _new_acknowledgements(list(base_stacks.values()), head_stacks)
            impacts += _resource_impacts(base_stacks, head_stacks, work / "head.out", work, already=impacts, remaining=_owners(head_plan.identities))
    base_warnings = {warning.render("") for warning in base_plan.warnings}
    new_warnings = tuple(warning.render(head) for warning in head_plan.warnings if warning.render("") not in base_warnings)
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return Review(base, head, base_plan, head_plan, tuple(changes), tuple(sorted(impacts, key=lambda impact: order[impact.severity])),
                  compliance, acknowledged, new_warnings)


# Reading the two revisions


def _portfolio_at(spec: str, workdir: Path) -> Path:
    """The file `spec` names, or the file a git revision of it holds (`REV:PATH`, as `git show` takes it) written
    into `workdir` with the lock file beside it at that revision, if it had one."""
    if Path(spec).is_file():
        return Path(spec)
    revision, colon, inside = spec.partition(":")
    if not colon or not revision or not inside:
        raise PortfolioError(spec, [Problem("", "no such file, and not a git revision of one (REV:PATH, e.g. origin/main:portfolio.yaml)")])
    workdir.mkdir(parents=True)
    portfolio = workdir / Path(inside).name
    portfolio.write_bytes(_git_show(spec))
    try:
        lock_path(portfolio).write_bytes(_git_show(f"{revision}:{lock_path(inside).as_posix()}"))
    except PortfolioError:
        pass  # nothing was locked at that revision: everything there is a first generation
    return portfolio


def _git_show(spec: str) -> bytes:
    try:
        shown = subprocess.run(["git", "show", spec], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PortfolioError(spec, [Problem("", f"git show failed: {error}")]) from None
    if shown.returncode != 0:
        message = shown.stderr.decode(errors="replace").strip().splitlines() or ["git show failed"]
        raise PortfolioError(spec, [Problem("", message[0].removeprefix("fatal: "))])
    return shown.stdout


def _planned(spec: str, path: Path, **options: Any) -> Plan:
    """The plan of `path`; its problems and warnings name `spec`, what the user wrote, not a temporary file."""
    try:
        plan = plan_file(path, **options)
    except PortfolioError as error:
        raise PortfolioError(spec, error.problems) from None
    return plan


def _document(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())  # planned already, so a valid portfolio


def _new_acknowledgements(base: list[Any], head: list[Any]) -> tuple[str, ...]:
    """`rule on pool or model: reason` for each acknowledged finding of HEAD whose rule and reason BASE had not
    (CDK lists them in the assembly's validation-report.json; README, Compliance)."""
    def acknowledged(stacks: list[Any]) -> dict[tuple[str, str], set[str]]:
        found: dict[tuple[str, str], set[str]] = {}
        if not stacks:
            return found
        report = json.loads((stacks[0].template_file.parent / "validation-report.json").read_text())
        for plugin in report.get("pluginReports", []):
            for finding in plugin.get("suppressedViolations", []):
                owners = found.setdefault((finding["ruleName"], finding.get("reason", "")), set())
                owners.update(owner_of(construct["constructPath"]) for construct in finding.get("violatingConstructs", []))
        return found

    before, after = acknowledged(base), acknowledged(head)
    return tuple(f"`{rule}` on {', '.join(sorted(owners))}: {reason}" for (rule, reason), owners in after.items() if (rule, reason) not in before)


# Models and pools, field by field


def _entry_changes(before: dict[str, Any], after: dict[str, Any]) -> list[EntryChange]:
    changes = []
    for kind, key in (("pool", "pools"), ("model", "models")):
        old = {entry["name"]: entry for entry in before.get(key) or []}
        new = {entry["name"]: entry for entry in after.get(key) or []}
        changes += [EntryChange(kind, name, "added", _field_changes({}, new[name])) for name in new if name not in old]
        changes += [EntryChange(kind, name, "removed") for name in old if name not in new]
        changes += [EntryChange(kind, name, "changed", fields) for name in new if name in old
                    for fields in [_field_changes(old[name], new[name])] if fields]
    settings = _field_changes({k: v for k, v in before.items() if k not in ("pools", "models")},
                              {k: v for k, v in after.items() if k not in ("pools", "models")})
    if settings:
        changes.append(EntryChange("portfolio", str(after.get("name")), "changed", settings))
    return changes


def _field_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    old, new = _flattened(before), _flattened(after)
    return tuple(FieldChange(field, old.get(field), new.get(field)) for field in [*new, *(f for f in old if f not in new)]
                 if field != "name" and old.get(field) != new.get(field))


def _flattened(entry: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{scaling: {target: 4}}` -> `{"scaling.target": 4}`; lists stay whole."""
    flat: dict[str, Any] = {}
    for key, value in entry.items():
        if isinstance(value, dict) and value:
            flat.update(_flattened(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def is_scaling(field: FieldChange) -> bool:
    return field.field.split(".")[0] in SCALING_FIELDS


# What a deploy does to the resources


def _identity_impacts(base: IdentityLock | None, head: IdentityLock | None) -> list[Impact]:
    """Endpoints and components whose name changes or goes: clients calling the old name fail. One that goes because
    its model is hosted otherwise says where the model went."""
    if base is None or head is None:
        return []
    impacts = []
    for key, before in base.endpoints.items():
        owner, after = _endpoint_owner(key), head.endpoints.get(key)
        if after is None:
            model = key.partition(":")[2]
            own = base.hosting_of(model)
            moved = head.hosting_of(model) if own is not None and own.key == key else None  # a pool's endpoint is no model's own
            impacts.append(Impact(BREAKING, owner, f"endpoint `{before.name}` is deleted{_moves_to(moved)}"))
        elif after.name != before.name:
            impacts.append(Impact(BREAKING, owner, f"endpoint `{before.name}` is replaced by a new endpoint `{after.name}` "
                                  f"({before.instance_type} -> {after.instance_type}): clients must call the new name"))
        for member in before.members or ():
            left, now = base.hosting_of(member), head.hosting_of(member)
            if now is None or now.identity.name != left.identity.name:
                impacts.append(Impact(BREAKING, f"model {member}", f"leaves {left.noun} `{before.name}`, which served it with others{_moves_to(now)}"))
    for model, before in base.components.items():
        after = head.components.get(model)
        old_endpoint = _endpoint_name(base, before.endpoint)
        if after is None:
            impacts.append(Impact(BREAKING, f"model {model}", f"inference component `{before.name}` on `{old_endpoint}` is deleted{_moves_to(head.hosting_of(model))}"))
        elif after.name != before.name:
            new_endpoint = _endpoint_name(head, after.endpoint)
            impacts.append(Impact(BREAKING, f"model {model}", f"inference component `{before.name}` moves from endpoint `{old_endpoint}` "
                                  f"to `{new_endpoint}` as a new component `{after.name}`: clients must call the new names"))
    return impacts


def _moves_to(hosted: Hosted | None) -> str:
    """`, the model moves to serverless endpoint `team-chat``: where HEAD hosts a model whose unit goes (nothing: it is
    gone, or on an endpoint of a group, which the lock does not record by member)."""
    return f", the model moves to {hosted.noun} `{hosted.identity.name}`" if hosted else ""


def _endpoint_name(lock: IdentityLock, reference: str) -> str:
    """The name of the endpoint a component's identity refers to (`pool:a10g-pool#2`)."""
    key = reference.split("#")[0]
    return lock.endpoints[key].name if key in lock.endpoints else key


def _owners(lock: IdentityLock | None) -> set[str]:
    """`pool a10g-pool`, `model blockgen`, ...: every pool and model a plan deploys, named as `owner_of` names them."""
    if lock is None:
        return set()
    return {_endpoint_owner(key) for key in lock.endpoints} | {f"model {model}" for model in lock.components}


def _endpoint_owner(key: str) -> str:
    kind, _, name = key.partition(":")
    return f"pool {name}" if kind == "pool" else f"model {name}"


def _resource_impacts(base: dict[str, Any], head: list[Any], head_assembly: Path, workdir: Path, already: list[Impact], remaining: set[str]) -> list[Impact]:
    """The resources `cdk diff --template` says a deploy replaces or deletes, by pool and model. An endpoint or
    component already named by `already` is not repeated; one the CLI finds beside those is client-breaking too.
    `remaining`: the pools and models HEAD still has."""
    named = {impact.owner for impact in already}
    found: dict[tuple[str, str], list[str]] = {}
    for stack in head:
        if stack.name not in base:
            continue  # a new stack only creates
        paths = {**stack.construct_paths, **base[stack.name].construct_paths}
        output = cdk_diff(head_assembly, base[stack.name].template_file, stack.name, workdir)
        diffed = _diff_lines(output, set(paths))
        # Cross-check: what the provider schemas say CloudFormation replaces, should the CLI not have said it.
        flagged = {logical_id for _, _, logical_id, _ in diffed}
        diffed += [("~", kind, logical_id, "replace") for logical_id, kind in
                   create_only_replacements(base[stack.name].template, stack.template).items() if logical_id not in flagged]
        for change, kind, logical_id, outcome in diffed:
            owner = owner_of(paths[logical_id])
            severity = _severity(kind)
            if severity == BREAKING and owner in named:
                continue
            # What a pool or model still in HEAD deletes, its new generation creates anew.
            verb = "may replace" if outcome == "may be replaced" else "deletes" if change == "-" and owner not in remaining else "replaces"
            found.setdefault((severity, owner), []).append(f"{verb} its {_kind_name(kind)}")
    return [Impact(severity, owner, "; ".join(dict.fromkeys(whats))) for (severity, owner), whats in found.items()]


def create_only_replacements(before: dict[str, Any], after: dict[str, Any]) -> dict[str, str]:
    """Logical id -> type of each resource both templates have whose create-only properties differ: CloudFormation
    replaces it (its resource provider schema, as cfn-lint ships it; loadmaster.testing updates stacks by the same)."""
    from loadmaster.testing.cloudformation_update import _create_only_changes

    old, new = before["Resources"], after["Resources"]
    return {logical_id: resource["Type"] for logical_id, resource in new.items()
            if logical_id in old and old[logical_id]["Type"] == resource["Type"]
            and _create_only_changes(resource["Type"], old[logical_id].get("Properties", {}), resource.get("Properties", {}))}


def _severity(resource_type: str) -> str:
    if resource_type in ("AWS::SageMaker::Endpoint", "AWS::SageMaker::InferenceComponent"):
        return BREAKING
    return RESTART if resource_type == "AWS::SageMaker::EndpointConfig" else REPLACED


def _kind_name(resource_type: str) -> str:
    """`AWS::SageMaker::EndpointConfig` -> `endpoint config`."""
    service, kind = resource_type.split("::")[1:]
    name = _KIND.sub(r"\1 \2", kind).lower()
    return f"{service} {name}" if service in ("IAM", "KMS") else name


def _diff_lines(output: str, logical_ids: set[str]) -> list[tuple[str, str, str, str]]:
    """(change, type, logical id, outcome) of each resource `cdk diff` replaces (`~` with `replace` or
    `may be replaced`: the CLI cannot rule it out) or deletes (`-`, outcome `destroy`). A line names a resource by
    its construct path and logical id, or by its logical id alone once the new template has no such path."""
    lines = []
    for line in output.splitlines():
        match = _RESOURCE_LINE.match(line.strip())
        if not match:
            continue
        rest = match["rest"]
        outcome = next((outcome for outcome in ("may be replaced", "replace", "destroy") if rest.endswith(f" {outcome}")), "")
        logical_id = next((word for word in rest.split() if word in logical_ids), None)
        if logical_id and (match["change"] == "-" or outcome in ("replace", "may be replaced")):
            lines.append((match["change"], match["type"], logical_id, outcome))
    return lines


def cdk_diff(assembly: Path, template: Path, stack: str, workdir: Path) -> str:
    """`cdk diff` of the assembly's `stack` against `template`, offline: no credentials, no metadata service, no notices."""
    if not CDK.exists():
        raise PortfolioError(str(CDK), [Problem("", "the pinned CDK CLI is missing: run `make setup`")])
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # the venv's Node 24
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "offline",
        "AWS_SECRET_ACCESS_KEY": "offline",
        "AWS_REGION": "us-east-1",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    command = [str(CDK), "diff", "--app", str(assembly), "--template", str(template), "--no-version-reporting", "--no-notices", "--no-color", stack]
    result = subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    if result.returncode != 0 or f"Stack {stack}" not in output:
        raise RuntimeError(f"cdk diff of {stack} failed:\n{output}")
    return output


# Rendering


def monthly(hourly: float | None) -> float | None:
    return None if hourly is None else hourly * HOURS_PER_MONTH


def cost_rows(review: Review) -> list[dict[str, Any]]:
    """Each cost figure before and after, hourly and monthly; None where a price is unknown, never 0."""
    before, after = plan_document(review.base_plan), plan_document(review.head_plan)
    rows = []
    for label, key in (("plan at mean traffic", "hourly_at_mean"), ("plan at peak traffic", "hourly_at_peak"),
                       ("baseline (one endpoint per model) at mean", "baseline_hourly_at_mean"),
                       ("baseline (one endpoint per model) at peak", "baseline_hourly_at_peak")):
        old, new = before[key], after[key]
        change = None if old is None or new is None else round(new - old, 4)
        rows.append({"figure": label, "hourly_before": old, "hourly_after": new, "hourly_change": change,
                     "monthly_before": _round(monthly(old)), "monthly_after": _round(monthly(new)), "monthly_change": _round(monthly(change))})
    for label, key in (("savings ratio (baseline / plan) at mean", "savings_ratio_at_mean"), ("savings ratio (baseline / plan) at peak", "savings_ratio_at_peak")):
        rows.append({"figure": label, "ratio_before": before[key], "ratio_after": after[key]})
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def review_document(review: Review) -> dict[str, Any]:
    return {
        "base": review.base,
        "head": review.head,
        "breaking": review.breaking,
        "changes": [{"kind": change.kind, "name": change.name, "change": change.change,
                     "fields": [{"field": field.field, "before": field.before, "after": field.after, "scaling": is_scaling(field)} for field in change.fields]}
                    for change in review.changes],
        "cost": {"currency": "USD", "hours_per_month": HOURS_PER_MONTH, "figures": cost_rows(review)},
        "impacts": [{"severity": impact.severity, "owner": impact.owner, "what": impact.what} for impact in review.impacts],
        "compliance": list(review.compliance),
        "new_acknowledgements": list(review.new_acknowledgements),
        "new_warnings": list(review.new_warnings),
    }


def render_json(review: Review) -> str:
    return json.dumps(review_document(review), indent=2)


def render_markdown(review: Review, picture: str | None = None) -> str:
    lines = [f"## loadmaster review: `{review.base}` -> `{review.head}`", ""]
    lines += _impact_lines(review)
    lines += _change_lines(review)
    lines += _scaling_lines(review)
    lines += _cost_lines(review)
    lines += ["### Compliance", ""]
    if review.compliance:
        lines += ["HEAD does not synthesize: findings nobody acknowledged (README, Compliance):", ""] + [f"- {line}" for line in review.compliance]
    else:
        lines.append("HEAD synthesizes: every cdk-nag and loadmaster finding is fixed or acknowledged in code.")
        if review.new_acknowledgements:
            lines += ["", "Findings HEAD newly acknowledges:", ""] + [f"- {line}" for line in review.new_acknowledgements]
    lines += [""] + ([f"- {warning}" for warning in review.new_warnings] + [""] if review.new_warnings else [])
    if picture:
        lines += [f"Placement before and after: `{picture}`", ""]
    return "\n".join(lines).rstrip() + "\n"


def _impact_lines(review: Review) -> list[str]:
    lines = ["### What a deploy replaces or deletes", ""]
    if review.compliance:
        return lines + ["Not diffed: HEAD does not synthesize (see Compliance).", ""]
    if not review.impacts:
        return lines + ["Nothing: every resource is updated in place or added.", ""]
    lines += ["| | pool or model | what happens |", "| --- | --- | --- |"]
    marks = {BREAKING: "**client-breaking**", RESTART: "instances restart", REPLACED: "replaced or deleted"}
    return lines + [f"| {marks[impact.severity]} | {impact.owner} | {impact.what} |" for impact in review.impacts] + [""]


def _change_lines(review: Review) -> list[str]:
    rows = []
    for change in review.changes:
        fields = [field for field in change.fields if not is_scaling(field)]
        if change.change != "changed":
            # An added entry says where it goes; its other fields are the file's to read.
            placed = ", ".join(f"{field.field}: {field.after}" for field in change.fields if field.field in SUMMARY_FIELDS)
            rows.append(f"| {change.kind} {change.name} | **{change.change}** | | {placed} |")
        rows += [f"| {change.kind} {change.name} | `{field.field}` | {_value(field.before)} | {_value(field.after)} |"
                 for field in fields if change.change == "changed"]
    lines = ["### Models and pools", ""]
    if not rows:
        return lines + ["No model or pool added, removed or changed (scaling aside).", ""]
    return lines + ["| | field | before | after |", "| --- | --- | --- | --- |"] + rows + [""]


def _scaling_lines(review: Review) -> list[str]:
    rows = [f"| {change.kind} {change.name} | `{field.field}` | {_value(field.before)} | {_value(field.after)} |"
            for change in review.changes if change.change == "changed" for field in change.fields if is_scaling(field)]
    if not rows:
        return []
    return ["### Scaling", "", "| | field | before | after |", "| --- | --- | --- | --- |"] + rows + [""]


def _cost_lines(review: Review) -> list[str]:
    lines = ["### Cost", "", f"USD, at the catalog's prices; a month is {HOURS_PER_MONTH} hours.", "",
             "| | per hour before | after | change | per month before | after | change |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    ratios = []
    for row in cost_rows(review):
        if "ratio_before" in row:
            ratios.append(f"| {row['figure']} | {_times(row['ratio_before'])} | {_times(row['ratio_after'])} | | | | |")
            continue
        lines.append(f"| {row['figure']} | {_usd(row['hourly_before'])} | {_usd(row['hourly_after'])} | {_usd(row['hourly_change'], signed=True)} | "
                     f"{_usd(row['monthly_before'], digits=0)} | {_usd(row['monthly_after'], digits=0)} | {_usd(row['monthly_change'], signed=True, digits=0)} |")
    return lines + ratios + [""]


def _usd(value: float | None, signed: bool = False, digits: int = 2) -> str:
    if value is None:
        return "unknown"
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _value(value: Any) -> str:
    if value is None:
        return "not set"
    text = value if isinstance(value, str) else json.dumps(value)
    return f"`{text}`".replace("|", "\\|")
