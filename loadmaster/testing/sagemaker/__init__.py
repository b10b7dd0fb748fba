"""moto's SageMaker, extended with inference components (see `models`)."""
