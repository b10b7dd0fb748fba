"""`loadmaster observe PORTFOLIO [--since 14d] [--region R] [--write]`: each deployed model's traffic as CloudWatch
saw it, beside what the portfolio says; `--write` puts it in the file, keeping its comments, order and formatting."""

from __future__ import annotations

import argparse
import io
import os
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.util import load_yaml_guess_indent

from loadmaster.commands import add_catalog_argument, add_portfolio_argument, catalog_of
from loadmaster.errors import PortfolioError, Problem
from loadmaster.observe import LATENCY_PERCENTILE, PEAK_PERCENTILE, Proposal, period_for, propose, read_series, targets_of
from loadmaster.planner.make import plan_file
from loadmaster.regions import aws_regions
from loadmaster.spec.base import ModelSpec
from loadmaster.spec.load import load_portfolio, validate_portfolio

# Adaptive retries back off when CloudWatch throttles (botocore "Retries" guide); a throttle that outlasts them is
# reported in one line.
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10})
SINCE = re.compile(r"^(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "observe",
        help="propose each deployed model's traffic (pattern, mean, peak) and a latency SLO from CloudWatch",
        description="Read each deployed model's Invocations, ModelLatency and ConcurrentRequestsPerCopy / PerModel from "
        "CloudWatch over a period and propose its `traffic` (pattern, mean concurrency, a high percentile as peak) and, "
        "where the portfolio states none, a `latency_slo_ms` hint, beside what the portfolio says now. --write puts the "
        "proposal in the file, keeping its comments, order and formatting, and lists every key it changed.",
    )
    add_portfolio_argument(parser)
    parser.add_argument("--since", default="14d", metavar="DURATION", help="how far back to read: 30m, 6h, 14d (default 14d)")
    parser.add_argument("--region", default=None, help="the region the portfolio is deployed in (default: its `region`)")
    parser.add_argument("--write", action="store_true", help="update the portfolio file with the proposal")
    add_catalog_argument(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    source = str(arguments.portfolio)
    catalog = catalog_of(arguments)
    plan = plan_file(arguments.portfolio, catalog)
    portfolio = load_portfolio(arguments.portfolio, catalog)
    region = arguments.region or plan.region
    if region is None:
        raise _failure(source, "no region to read CloudWatch in: pass --region or set `region:` in the portfolio")
    if region not in aws_regions():
        raise _failure(source, f"unknown region {region!r} (not one botocore knows)")
    since = _duration(source, arguments.since)
    period = period_for(since)
    end = _floor(datetime.now(timezone.utc), period)
    start = _floor(end - since, period)
    targets = targets_of(plan)
    # A session of its own: boto3's default one may hold credentials cached before the environment changed.
    client = boto3.session.Session().client("cloudwatch", region_name=region, config=CLIENT_CONFIG)
    try:
        series = read_series(client, targets, start, end, period)
    except NoCredentialsError:
        raise _failure(source, "no AWS credentials found (environment, shared config or instance role): configure them to read CloudWatch") from None
    except EndpointConnectionError as error:
        raise _failure(source, f"cannot reach CloudWatch in {region}: {error}") from None
    except ClientError as error:
        raise _failure(source, _client_error(error, region)) from None
    proposals = {target.model: propose(target.model, series[target.model], start, end, period) for target in targets}
    print(_report(portfolio.models, proposals, targets, arguments.since, period))
    found = {model: proposal for model, proposal in proposals.items() if proposal is not None}
    if not found:
        raise _failure(source, f"CloudWatch has no data for any model of the portfolio in {region} over the last {arguments.since}: is it deployed there?")
    if arguments.write:
        changes = write_proposals(Path(arguments.portfolio), found, catalog)
        print("\n".join([f"{source}: updated"] + [f"- {change}" for change in changes]) if changes else f"{source}: already says what was observed")
    return 0


def _failure(source: str, message: str) -> PortfolioError:
    return PortfolioError(source, [Problem("", message)])


def _client_error(error: ClientError, region: str) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    if code in ACCESS_DENIED:
        return f"not allowed to read CloudWatch metrics in {region} ({code}): the credentials need cloudwatch:GetMetricData"
    if code in THROTTLED:
        return f"CloudWatch throttled GetMetricData in {region} even after adaptive retries ({code}): try again later, or a shorter --since"
    return f"CloudWatch refused GetMetricData in {region}: {code}: {error.response.get('Error', {}).get('Message', '')}"


def _duration(source: str, text: str) -> timedelta:
    match = SINCE.match(text)
    if not match or int(match[1]) == 0:
        raise _failure(source, f"--since {text!r} is not a duration such as 30m, 6h or 14d")
    since = timedelta(**{UNITS[match[2]]: int(match[1])})
    try:
        period_for(since)
    except ValueError as error:
        raise _failure(source, f"--since {text}: {error}") from None
    return since


def _floor(moment: datetime, period: int) -> datetime:
    return datetime.fromtimestamp(int(moment.timestamp()) // period * period, tz=timezone.utc)


def _report(models: list[ModelSpec], proposals: dict[str, Proposal | None], targets, since: str, period: int) -> str:
    by_name = {model.name: model for model in models}
    named = {target.model: ", ".join(f"{name} {value}" for name, value in target.dimensions) for target in targets}
    lines = [f"Observed over the last {since} ({period} s periods): concurrency by Little's law (invocations/s x ModelLatency), "
             f"peak = its p{PEAK_PERCENTILE}, latency hint = p{LATENCY_PERCENTILE} ModelLatency.", "",
             "| model | portfolio: pattern, mean, peak, latency_slo_ms | observed: pattern, mean, peak, latency p95 ms | busy periods |",
             "| --- | --- | --- | ---: |"]
    missing = []
    for model, proposal in proposals.items():
        if proposal is None:
            missing.append(f"- {model}: no CloudWatch data for {named[model]} over the last {since}: no proposal")
            continue
        spec = by_name[model]
        now = spec.traffic
        said = f"{now.pattern}, {_number(now.mean_concurrency)}, {_number(now.peak_concurrency)}" if now else "no traffic"
        lines.append(f"| {model} | {said}, {spec.latency_slo_ms or 'none'} | {proposal.pattern}, {_number(proposal.mean_concurrency)}, "
                     f"{_number(proposal.peak_concurrency)}, {proposal.latency_ms if proposal.latency_ms is not None else 'no data'} | "
                     f"{proposal.busy_share:.0%} |")
    return "\n".join(lines + ([""] + missing if missing else []))


def _number(value: float) -> int | float:
    """As the file will hold it: two decimals, a whole number without them."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def write_proposals(path: Path, proposals: dict[str, Proposal], catalog) -> list[str]:
    """Put each proposal in the file's `traffic` (and a `latency_slo_ms` where none is written), touching nothing else;
    the changes, one line each. The result is validated before it replaces the file, at once."""
    text = path.read_text()
    _, sequence_indent, dash_offset = load_yaml_guess_indent(text)
    round_trip = YAML()
    round_trip.preserve_quotes = True
    round_trip.width = 4096  # never re-wrap a long line
    round_trip.indent(mapping=(sequence_indent - dash_offset) or 2, sequence=sequence_indent, offset=dash_offset)
    document = round_trip.load(text)
    changes = []
    for index, model in enumerate(document["models"]):
        proposal = proposals.get(model.get("name"))
        if proposal is not None:
            changes += _apply(f"models[{index}] ({proposal.model})", model, proposal)
    if not changes:
        return []
    buffer = io.StringIO()
    round_trip.dump(document, buffer)
    updated = buffer.getvalue()
    validate_portfolio(yaml.safe_load(updated), str(path), catalog)  # never write a file that would no longer plan
    _replace(path, updated)
    return changes


def _apply(where: str, model: Any, proposal: Proposal) -> list[str]:
    observed = {"pattern": proposal.pattern, "mean_concurrency": _number(proposal.mean_concurrency),
                # a peak below the mean would be refused: one burst can lift the mean above the p99 of the rest
                "peak_concurrency": _number(max(proposal.peak_concurrency, proposal.mean_concurrency))}
    changes = []
    traffic = model.get("traffic")
    if traffic is None:
        traffic = CommentedMap(observed)
        traffic.fa.set_flow_style()
        _append(model, "traffic", traffic)
        changes.append(f"{where}.traffic: added {dict(observed)}")
    else:
        for key, value in observed.items():
            if traffic.get(key) != value:
                changes.append(f"{where}.traffic.{key}: {traffic.get(key)} -> {value}")
                traffic[key] = value
    if model.get("latency_slo_ms") is None and proposal.latency_ms is not None:
        _append(model, "latency_slo_ms", proposal.latency_ms)
        changes.append(f"{where}.latency_slo_ms: added {proposal.latency_ms} (observed p{LATENCY_PERCENTILE} ModelLatency: a hint, set your SLO)")
    return changes


def _append(mapping: CommentedMap, key: str, value: Any) -> None:
    """Add `key` after the mapping's last one, taking over what followed that one (comments, the blank line before
    the next model), so that the new key sits with its model."""
    last = next(reversed(mapping), None)
    trailing = mapping.ca.items.pop(last, None) if last is not None else None
    mapping[key] = value
    if trailing is not None:
        mapping.ca.items[key] = trailing


def _replace(path: Path, text: str) -> None:
    """Write beside the file, then rename over it: the file is either as it was or wholly updated."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
