"""What a SageMaker scalable target scales, read and set through the SageMaker backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.sagemaker.models import sagemaker_backends

COPIES = "sagemaker:inference-component:DesiredCopyCount"
INSTANCES = "sagemaker:variant:DesiredInstanceCount"
PROVISIONED_CONCURRENCY = "sagemaker:variant:DesiredProvisionedConcurrency"


@dataclass
class SageMakerCapacity:
    """A component's desired copies, a model variant's desired instances, or a serverless variant's provisioned
    concurrency. Variants that host inference components (their instances follow managed instance scaling) have none
    here: `of` gives None."""

    backend: Any  # loadmaster.testing.sagemaker.models.SageMakerBackend
    name: str
    variant: dict[str, Any] | None
    noun: str

    @classmethod
    def of(cls, account_id: str, region_name: str, resource_id: str, dimension: str) -> SageMakerCapacity | None:
        """Raises if the resource does not exist: Application Auto Scaling checks it with SageMaker, and a target can be
        registered only for an existing endpoint (SageMaker developer guide, "endpoint-auto-scaling-prerequisites")."""
        backend = sagemaker_backends[account_id][region_name]
        parts = resource_id.split("/")
        if parts[0] == "inference-component":
            if parts[1] not in backend.inference_components:
                raise _missing(resource_id)
            return cls(backend, parts[1], None, "desired copy count")
        endpoint = backend.endpoints.get(parts[1])  # endpoint/<name>/variant/<variant>
        variant = next((v for v in endpoint.production_variants if v["VariantName"] == parts[3]), None) if endpoint else None
        if variant is None:
            raise _missing(resource_id)
        if dimension == PROVISIONED_CONCURRENCY:
            if "ProvisionedConcurrency" not in variant.get("CurrentServerlessConfig", {}):
                # Real text unknown: only a serverless variant created with provisioned concurrency can scale it
                # (SageMaker developer guide, "Automatically scale Provisioned Concurrency for a serverless endpoint").
                raise AWSValidationException(f"SageMaker variant {resource_id} has no provisioned concurrency to scale")
            return cls(backend, parts[1], variant, "provisioned concurrency")
        if dimension != INSTANCES or parts[3] in getattr(endpoint, "pool_instance_types", {}) or "DesiredInstanceCount" not in variant:
            return None
        return cls(backend, parts[1], variant, "desired instance count")

    def get(self) -> int:
        if self.variant is not None and "CurrentServerlessConfig" in self.variant:
            return self.variant["DesiredServerlessConfig"]["ProvisionedConcurrency"]
        if self.variant is not None:
            return self.variant["DesiredInstanceCount"]
        return self.backend.inference_components[self.name].desired_copy_count

    def set(self, value: int) -> None:
        if self.variant is not None and "CurrentServerlessConfig" in self.variant:
            self._set_provisioned_concurrency(value)
        elif self.variant is not None:
            self.variant["DesiredInstanceCount"] = self.variant["CurrentInstanceCount"] = value
            self.backend.instances_changed(self.name)
        else:
            self.backend.update_inference_component_runtime_config(self.name, {"CopyCount": value})

    def _set_provisioned_concurrency(self, value: int) -> None:
        # What Application Auto Scaling calls for a serverless variant; SageMaker keeps it within MaxConcurrency.
        self.backend.update_endpoint_weights_and_capacities(
            self.name, [{"VariantName": self.variant["VariantName"], "ServerlessUpdateConfig": {"ProvisionedConcurrency": value}}]
        )


def _missing(resource_id: str) -> AWSValidationException:
    # The real message is not known to us.
    return AWSValidationException(f"SageMaker resource {resource_id} does not exist")
