"""Rebuild the catalog's prices from the AWS Price List API (`pricing:GetProducts`, service code AmazonSageMaker).

SageMaker's hosting prices are the products of family "ML Instance" whose `component` is "Hosting", one per
instance type (`instanceName`) and region (`regionCode`); the on-demand term holds the hourly price in USD.
Every refreshed figure names its source and date; a type the API does not price keeps its old figure and source.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

SERVICE_CODE = "AmazonSageMaker"
# The Price List API answers in us-east-1 (also eu-central-1 and ap-south-1), whatever region it prices.
PRICING_REGION = "us-east-1"


def fetch_hosting_prices(client: Any, region: str) -> tuple[dict[str, float], str | None]:
    """Instance type -> on-demand USD per hour for real-time hosting in `region`, and the newest publication date."""
    paginator = client.get_paginator("get_products")
    filters = [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
        {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
    ]
    prices: dict[str, float] = {}
    published: str | None = None
    for page in paginator.paginate(ServiceCode=SERVICE_CODE, Filters=filters, FormatVersion="aws_v1"):
        for item in page["PriceList"]:
            product = json.loads(item)  # each entry is a JSON document in a string
            instance_type = product["product"]["attributes"].get("instanceName")
            price = _hourly_on_demand(product)
            if instance_type and price is not None:
                prices[instance_type] = price
            published = max(filter(None, (published, product.get("publicationDate"))), default=None)
    return prices, published


def _hourly_on_demand(product: dict[str, Any]) -> float | None:
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if dimension.get("unit") == "Hrs" and usd is not None and float(usd) > 0:
                return float(usd)
    return None


def refreshed_catalog(document: dict[str, Any], prices: dict[str, float], region: str, published: str | None, today: date) -> tuple[dict[str, Any], list[str]]:
    """The catalog document with the fetched prices, and the instance types the API did not price."""
    source_key = f"aws-price-list-{region}-{today.isoformat()}"
    updated = json.loads(json.dumps(document))  # a deep copy
    updated["region"] = region
    updated["sources"][source_key] = {
        "title": f"AWS Price List API, service {SERVICE_CODE}, product family 'ML Instance', component 'Hosting', "
        f"on-demand, region {region}" + (f", publication {published}" if published else ""),
        "date": today.isoformat(),
    }
    missing = []
    for row in updated["instances"]:
        price = prices.get(row["instance_type"])
        if price is None:
            missing.append(row["instance_type"])
            continue
        row["price_usd_per_hour"] = price
        row["sources"]["price_usd_per_hour"] = source_key
    return updated, missing
