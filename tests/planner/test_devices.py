"""`devices`: the hardware a model runs on, written or inferred from per_copy, a pinned type, the image or the size."""

from __future__ import annotations

import pytest

from loadmaster.errors import PortfolioError
from loadmaster.hostings.auto import AutoModel
from loadmaster.planner.devices import model_devices
from planner_givens import IMAGE, auto_model, portfolio_of

ECR = "763104351884.dkr.ecr.us-east-1.amazonaws.com"
UNTAGGED = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bert-classifier:latest"


def devices_of(pinned=None, **fields):
    model = AutoModel.model_validate({"name": "m", "image": UNTAGGED, "hosting": "auto", **fields})
    return model_devices(model, pinned).kinds


@pytest.mark.parametrize(("image", "devices"), [
    (IMAGE, ("gpu",)),  # djl-inference:0.29.0-lmi11.0.0-cu124
    (f"{ECR}/pytorch-inference:2.1.0-gpu-py310", ("gpu",)),
    (f"{ECR}/pytorch-inference:2.1.0-cpu-py310", ("cpu",)),
    (f"{ECR}/djl-inference:0.29.0-neuronx-sdk2.19.1", ("neuron",)),
    (f"{ECR}/pytorch-inference-neuronx:2.1.2-sdk2.20.0", ("neuron",)),
])
def test_an_image_tag_that_names_its_hardware_decides_where_the_model_runs(image, devices):
    assert devices_of(image=image, size_gb=0.44) == devices


@pytest.mark.parametrize(("framework", "devices"), [("djl-lmi", ("gpu",)), ("huggingface-llm", ("gpu",)), ("huggingface-tei-cpu", ("cpu",)),
                                                    ("djl-neuronx", ("neuron",)), ("pytorch", ("gpu", "cpu"))])
def test_a_framework_image_that_serves_on_one_kind_of_hardware_decides_it(framework, devices):
    assert devices_of(image={"framework": framework, "version": "1"}, size_gb=0.44) == devices


def test_a_small_model_whose_image_says_nothing_may_run_on_cpu_or_gpu_and_a_large_one_on_gpu():
    assert devices_of(size_gb=2) == ("gpu", "cpu")
    assert devices_of(size_gb=2.5) == ("gpu",)


def test_per_copy_accelerators_mean_an_accelerator_and_none_mean_cpu(catalog):
    assert devices_of(per_copy={"accelerators": 1, "memory_mb": 1024}) == ("gpu",)
    assert devices_of(catalog["ml.inf2.24xlarge"], per_copy={"accelerators": 1, "memory_mb": 1024}) == ("neuron",)
    assert devices_of(per_copy={"accelerators": 0, "memory_mb": 1024}, image=IMAGE) == ("cpu",)


def test_a_pinned_instance_type_decides_over_the_image(catalog):
    assert devices_of(catalog["ml.c5.xlarge"], image=IMAGE, size_gb=0.44) == ("cpu",)


def test_written_devices_win_over_everything_inferred():
    assert devices_of(image=f"{ECR}/pytorch-inference:2.1.0-cpu-py310", size_gb=30, devices=["cpu", "gpu"]) == ("gpu", "cpu")


@pytest.mark.parametrize(("fields", "location", "message"), [
    ({"devices": ["cpu"], "per_copy": {"accelerators": 1, "memory_mb": 1024}}, "per_copy.accelerators", "1 accelerators per copy, but devices is [cpu]"),
    ({"devices": ["gpu"], "per_copy": {"accelerators": 0, "memory_mb": 1024}}, "devices", "['gpu'] needs accelerators, but per_copy reserves none (accelerators: 0 runs on CPU)"),
    ({"devices": ["gpu"], "instance_type": "ml.c5.xlarge"}, "devices", "['gpu'] does not include cpu, the hardware of ml.c5.xlarge"),
    ({"devices": ["cpu", "cpu"]}, "devices", "lists a device twice: ['cpu', 'cpu']"),
])
def test_devices_that_contradict_the_models_other_fields_are_refused(fields, location, message):
    with pytest.raises(PortfolioError) as error:
        portfolio_of([auto_model("m", size_gb=1, **fields)])
    assert [(p.location, p.message) for p in error.value.problems] == [(f"models[0] (m).{location}", message)]


def test_an_unknown_device_is_refused():
    with pytest.raises(PortfolioError) as error:
        portfolio_of([auto_model("m", devices=["tpu"])])
    assert [p.location for p in error.value.problems] == ["models[0] (m).devices[0]"]

