"""HTTP layer: routes, dependencies and error mapping."""
