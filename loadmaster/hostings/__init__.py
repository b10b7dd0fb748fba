"""Hosting patterns, one module each (`inference_component`, `dedicated`; `auto` chooses among them), listed by
`loadmaster.hostings.registry`. A pattern's module holds its model's portfolio keys (its variant of the `hosting`
union, loadmaster.spec.schema) and their checks, its plan unit and how the planner's decisions become it, and its
candidate for `hosting: auto`."""
