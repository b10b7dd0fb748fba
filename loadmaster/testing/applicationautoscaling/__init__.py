"""moto's Application Auto Scaling, extended for inference components (see `models`)."""
