"""Step Functions executions for moto's state-machine interpreter (`sagemaker_tasks`)."""
