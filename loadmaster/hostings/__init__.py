"""One module per hosting pattern: its model's portfolio keys (a variant of the `hosting` union,
loadmaster.spec.schema) and the checks of those keys that need the rest of the file."""
