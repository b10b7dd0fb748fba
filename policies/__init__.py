"""Application Auto Scaling for SageMaker capacity: scalable targets, target tracking, and waking from zero."""
