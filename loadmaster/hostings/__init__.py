"""Hosting patterns, one module each (`inference_component`, `dedicated`; `auto` chooses among them), listed by
`loadmaster.hostings.registry`."""
