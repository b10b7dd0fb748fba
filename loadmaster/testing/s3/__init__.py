"""CloudFormation bucket policies, which moto's CloudFormation has no model for (see `models`)."""
