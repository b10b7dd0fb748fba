"""CloudFormation deletion for IAM managed policies, which moto's CloudFormation leaves attached (see `models`)."""
