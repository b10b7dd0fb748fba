"""Application Auto Scaling for SageMaker capacity (targets, target tracking, waking from zero) and compliance rules."""
