"""What a SageMaker serverless endpoint offers and costs: its limits, and the price of its compute by memory size.

Serverless endpoints run a model in containers SageMaker starts per request and stops when idle: memory is chosen
in 1 GB steps, CPU only, and compute is billed by the second of inference at a price that grows with the memory
size. Provisioned concurrency keeps some containers warm, billed while provisioned. Each figure names its source;
the prices are us-east-1's, and an estimate says so.
"""

from __future__ import annotations

from dataclasses import dataclass

MB_PER_GB = 1024
SECONDS_PER_HOUR = 3600

# Limits (SageMaker developer guide, "Deploy models with Amazon SageMaker Serverless Inference" and its feature
# exclusions; SageMaker API reference, ProductionVariantServerlessConfig).
MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)
MIN_MEMORY_MB, MAX_MEMORY_MB = MEMORY_SIZES_MB[0], MEMORY_SIZES_MB[-1]
MAX_CONCURRENCY = 200  # per endpoint; MaxConcurrency and ProvisionedConcurrency are each 1..200
MIN_CONCURRENCY = 1
MAX_PAYLOAD_MB = 4  # request payload (SageMaker developer guide, "Inference options")
MAX_PROCESSING_S = 60  # an invocation's timeout, as for real-time endpoints
MAX_IMAGE_SIZE_GB = 10  # the container image
EPHEMERAL_DISK_GB = 5  # what the container may write: the model artifact is unpacked there


def memory_size_problem(memory_mb: int) -> str | None:
    """Why `memory_mb` is not a serverless memory size, or None."""
    if memory_mb in MEMORY_SIZES_MB:
        return None
    return f"memory must be one of {', '.join(map(str, MEMORY_SIZES_MB))} MB (1 GB steps up to {MAX_MEMORY_MB}), got {memory_mb}"


def smallest_memory_size_mb(needed_mb: float) -> int | None:
    """The smallest serverless memory size that holds `needed_mb`; None when even the largest does not."""
    return next((size for size in MEMORY_SIZES_MB if size >= needed_mb), None)


def concurrency_problems(max_concurrency: int, provisioned_concurrency: int | None) -> list[str]:
    """Why MaxConcurrency and ProvisionedConcurrency are not what SageMaker accepts, every reason."""
    problems = []
    if not MIN_CONCURRENCY <= max_concurrency <= MAX_CONCURRENCY:
        problems.append(f"max_concurrency must be {MIN_CONCURRENCY} to {MAX_CONCURRENCY}, got {max_concurrency}")
    if provisioned_concurrency is not None:
        if not MIN_CONCURRENCY <= provisioned_concurrency <= MAX_CONCURRENCY:
            problems.append(f"provisioned_concurrency must be {MIN_CONCURRENCY} to {MAX_CONCURRENCY}, got {provisioned_concurrency}")
        elif provisioned_concurrency > max_concurrency:
            problems.append(f"provisioned_concurrency ({provisioned_concurrency}) must not exceed max_concurrency ({max_concurrency})")
    return problems


def reasons_not_serverless(
    *,
    accelerators: int,
    memory_mb: float,
    image_size_gb: float | None = None,
    payload_mb: float | None = None,
    processing_s: float | None = None,
    needs_vpc: bool = False,
) -> dict[str, str]:
    """Every reason a model cannot run on a serverless endpoint, by the argument that gives it; empty if it can. A
    figure not stated (None) is not held against the model: the caller says which were unknown."""
    reasons = {}
    if accelerators > 0:
        reasons["accelerators"] = f"it needs {accelerators} accelerator(s): serverless endpoints run on CPU only"
    if memory_mb > MAX_MEMORY_MB:
        reasons["memory_mb"] = f"it needs {memory_mb:g} MB of memory: serverless endpoints have at most {MAX_MEMORY_MB} MB"
    if image_size_gb is not None and image_size_gb > MAX_IMAGE_SIZE_GB:
        reasons["image_size_gb"] = f"its container image is {image_size_gb:g} GB: serverless endpoints take images up to {MAX_IMAGE_SIZE_GB} GB"
    if payload_mb is not None and payload_mb > MAX_PAYLOAD_MB:
        reasons["payload_mb"] = f"its requests carry {payload_mb:g} MB: serverless endpoints take payloads up to {MAX_PAYLOAD_MB} MB"
    if processing_s is not None and processing_s > MAX_PROCESSING_S:
        reasons["processing_s"] = f"a request takes {processing_s:g} s: serverless invocations time out after {MAX_PROCESSING_S} s"
    if needs_vpc:
        reasons["needs_vpc"] = "it runs in a VPC or with network isolation: serverless endpoints support neither"
    return reasons


@dataclass(frozen=True)
class ServerlessPrices:
    """USD per second per GB of the endpoint's memory size. SageMaker lists a price per second for each memory size;
    in us-east-1 they are proportional to it (1024 MB: 0.0000200, 2048 MB: 0.0000400 ... 6144 MB: 0.0001200), so
    one figure per GB carries them."""

    on_demand_per_gb_s: float  # inference duration, on demand
    provisioned_per_gb_s: float  # provisioned concurrency, per unit and second it is provisioned, used or not
    provisioned_inference_per_gb_s: float  # inference duration served by provisioned concurrency
    region: str
    source: str
    provisioned_is_estimate: bool

    def hourly(self, memory_mb: int, concurrency: float, provisioned_concurrency: int = 0) -> float:
        """USD per hour of an endpoint of `memory_mb` whose requests keep `concurrency` in flight on average.

        Requests in flight are the seconds of inference billed each second (Little's law: requests per second x
        seconds each). Up to `provisioned_concurrency` of them are served warm at the provisioned inference price;
        the rest spill over to on-demand containers. Cold starts are not billed: the price is for inference
        duration (our reading of the pricing page). Data processed is billed as for real-time endpoints, apart.
        """
        warm = min(concurrency, provisioned_concurrency)
        per_gb_s = (
            provisioned_concurrency * self.provisioned_per_gb_s
            + warm * self.provisioned_inference_per_gb_s
            + (concurrency - warm) * self.on_demand_per_gb_s
        )
        return memory_mb / MB_PER_GB * per_gb_s * SECONDS_PER_HOUR


# On demand: SageMaker pricing page (https://aws.amazon.com/sagemaker/pricing/), Serverless Inference, us-east-1,
# 0.0000200 USD per second at 1024 MB, as transcribed in public pricing references; not read from the Price List API.
# Provisioned concurrency: an ESTIMATE. Its figures on the pricing page could not be read here; these apply AWS
# Lambda's us-east-1 ratios (provisioned concurrency 0.0000041667 and duration with it 0.0000097222 USD per
# GB-second against 0.0000166667 on demand: 0.25 and 0.5833 of it, AWS Lambda pricing page) to SageMaker's
# on-demand price. Override them where the page's own figures are known.
US_EAST_1 = ServerlessPrices(
    on_demand_per_gb_s=0.0000200,
    provisioned_per_gb_s=0.0000200 * 0.25,
    provisioned_inference_per_gb_s=0.0000200 * 0.0000097222 / 0.0000166667,
    region="us-east-1",
    source="SageMaker pricing page, Serverless Inference (us-east-1); provisioned concurrency estimated from AWS Lambda's price ratios",
    provisioned_is_estimate=True,
)
