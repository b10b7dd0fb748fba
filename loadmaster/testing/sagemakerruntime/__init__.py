"""moto's SageMaker Runtime, invoking only endpoints and inference components that can serve (see `models`)."""
