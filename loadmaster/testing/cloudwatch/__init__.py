"""CloudFormation support for CloudWatch alarms, which moto's CloudFormation lacks (see `models`)."""
