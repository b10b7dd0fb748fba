"""EventBridge Scheduler for moto's CloudFormation (`models`)."""
