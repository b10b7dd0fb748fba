"""CloudFormation creation of tagged KMS keys, which moto's CloudFormation fails (see `models`)."""
