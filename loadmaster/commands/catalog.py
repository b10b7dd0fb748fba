"""`loadmaster catalog refresh --region R [--out FILE]`: rebuild the instance catalog's prices from AWS."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from loadmaster.catalog import CATALOG_FILE, CatalogError, load_catalog
from loadmaster.catalog.refresh import PRICING_REGION, fetch_hosting_prices, refreshed_catalog
from loadmaster.errors import PortfolioError, Problem
from loadmaster.limits import REGION_PATTERN

REGION = re.compile(REGION_PATTERN)


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "catalog",
        help="manage the instance catalog (prices, shapes)",
        description="Manage the instance catalog the planner prices plans with.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    refresh = actions.add_parser(
        "refresh",
        help="rebuild the catalog's prices from the AWS Price List API",
        description="Fetch on-demand SageMaker real-time hosting prices for REGION from the AWS Price List API "
        "(needs credentials allowed pricing:GetProducts) and write the catalog with them, each price naming its source "
        "and date. Instance types the API does not price keep their previous figure.",
    )
    refresh.add_argument("--region", required=True, help="the AWS region to price, e.g. us-east-1")
    refresh.add_argument("--out", type=Path, default=CATALOG_FILE, metavar="FILE", help=f"where to write the catalog (default: {CATALOG_FILE})")
    refresh.add_argument("--catalog", type=Path, default=CATALOG_FILE, metavar="FILE", help="the catalog to start from (default: the shipped one)")
    refresh.set_defaults(run=run_refresh)


def run_refresh(arguments: argparse.Namespace) -> int:
    source = "catalog refresh"
    if not REGION.match(arguments.region):
        raise PortfolioError(source, [Problem("--region", f"{arguments.region!r} is not an AWS region name such as us-east-1")])
    try:
        load_catalog(Path(arguments.catalog))  # refuses what a plan could not use, before asking AWS anything
    except CatalogError as error:
        raise PortfolioError(source, [Problem("--catalog", f"cannot use {arguments.catalog}: {error}")]) from None
    document = json.loads(Path(arguments.catalog).read_text())
    try:
        prices, published = fetch_hosting_prices(pricing_client(), arguments.region)
    except (BotoCoreError, ClientError) as error:
        raise PortfolioError(source, [Problem("Price List API", str(error))]) from None
    if not prices:
        raise PortfolioError(source, [Problem("--region", f"the Price List API has no SageMaker hosting prices for {arguments.region}")])
    updated, missing = refreshed_catalog(document, prices, arguments.region, published, datetime.now(timezone.utc).date())
    Path(arguments.out).write_text(json.dumps(updated, indent=2) + "\n")
    print(f"{arguments.out}: {len(document['instances']) - len(missing)} prices refreshed for {arguments.region}")
    if missing:
        print(f"{len(missing)} instance types not priced by the API for {arguments.region}, kept as they were: {', '.join(missing)}", file=sys.stderr)
    return 0


def pricing_client():
    import boto3  # only when refreshing: the rest of the CLI never talks to AWS

    return boto3.client("pricing", region_name=PRICING_REGION)
