"""Which hardware a model runs on (NVIDIA GPUs, AWS Neuron accelerators, CPU), and how the planner knows.

The planner chooses instance types only among those of a model's devices. The portfolio's `devices` says it;
without it, the first of these that applies decides:

1. `per_copy`: accelerators reserved per copy run on an accelerator (the pinned type's kind, else a GPU); none on CPU.
2. An instance type the user pinned (the pool's or the dedicated endpoint's): its hardware.
3. The image, where it names its hardware: a tag such as `-cpu-`, `-gpu-` or `cu124`, a repository or framework of
   Neuron (`neuronx`), a framework that serves only on CUDA GPUs (`djl-lmi`, `huggingface-llm`, `vllm`...) or
   only on CPU (`sklearn`, `huggingface-tei-cpu`).
4. The size: weights up to CPU_SERVING_MAX_GB serve on CPU as well as on a GPU; larger ones on GPUs.

Neuron is never inferred from the size alone: Inferentia and Trainium need a model compiled for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loadmaster.catalog import CPU, GPU, NEURON, InstanceType
from loadmaster.spec.base import FrameworkImage, ModelSpec, ECR_IMAGE

# Weights small enough to serve on CPU when nothing else says where the model runs: a BERT-large classifier
# (1.3 GB at fp32) serves there. Our judgement, not an AWS figure: set `devices` to decide it per model.
CPU_SERVING_MAX_GB = 2.0
# Frameworks of the SageMaker Python SDK's image_uris whose containers serve on one kind of hardware only.
GPU_ONLY_FRAMEWORKS = frozenset({
    "djl-lmi", "djl-deepspeed", "djl-tensorrtllm", "djl-fastertransformer", "huggingface-llm", "huggingface-tei",
    "huggingface-vllm", "huggingface-sglang", "vllm", "vllm-server", "sglang", "sglang-server",
})
CPU_ONLY_FRAMEWORKS = frozenset({"sklearn", "sparkml-serving", "huggingface-tei-cpu"})
_CUDA_TAG = re.compile(r"^cu\d+$")


@dataclass(frozen=True)
class Devices:
    kinds: tuple[str, ...]  # in the order of GPU, NEURON, CPU
    reason: str

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds


def model_devices(model: ModelSpec, pinned: InstanceType | None) -> Devices:
    if model.devices is not None:
        return Devices(_ordered(model.devices), "written in the portfolio")
    if model.per_copy is not None:
        if not model.per_copy.accelerators:
            return Devices((CPU,), "per_copy reserves no accelerator")
        accelerator = pinned.device if pinned and pinned.accelerators else GPU
        return Devices((accelerator,), "per_copy reserves accelerators")
    if pinned is not None:
        return Devices((pinned.device,), f"the hardware of {pinned.name}, written in the portfolio")
    from_image = _image_devices(model.image) if model.image is not None else None  # None: a model of several containers
    if from_image:
        return from_image
    if model.size_gb is not None and model.size_gb <= CPU_SERVING_MAX_GB:
        return Devices((GPU, CPU), f"size_gb {model.size_gb:g} is at most {CPU_SERVING_MAX_GB:g}: CPU serves it too")
    return Devices((GPU,), "the default for a model whose image does not say its hardware")


def _image_devices(image: str | FrameworkImage) -> Devices | None:
    if isinstance(image, FrameworkImage):
        name = image.framework
        if "neuron" in name or name.startswith("inferentia"):
            return Devices((NEURON,), f"the framework {name} serves on AWS Neuron")
        if name in GPU_ONLY_FRAMEWORKS:
            return Devices((GPU,), f"the framework {name} serves on GPUs")
        if name in CPU_ONLY_FRAMEWORKS:
            return Devices((CPU,), f"the framework {name} serves on CPU")
        return None
    match = ECR_IMAGE.match(image)
    if not match:
        return None
    repository, tag = match["repository"], match["tag"] or ""
    tokens = re.split(r"[-_.]", tag)
    if "neuron" in repository or any(token.startswith("neuron") for token in tokens):
        return Devices((NEURON,), f"the image {repository}:{tag} is built for AWS Neuron")
    if "cpu" in tokens:
        return Devices((CPU,), f"the image tag {tag} says cpu")
    if "gpu" in tokens or any(_CUDA_TAG.match(token) for token in tokens):
        return Devices((GPU,), f"the image tag {tag} names CUDA")
    return None


def _ordered(kinds: list[str]) -> tuple[str, ...]:
    return tuple(kind for kind in (GPU, NEURON, CPU) if kind in kinds)
