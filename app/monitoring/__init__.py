"""AML transaction monitoring: rules that look at payments, deals and client details
and raise alerts for compliance to review.

Each rule is a module with its settings (`RuleSpec`: thresholds, severity, days to
review, a description in words) and a `find` that runs SQL aggregates over the
clients in a run's scope. `registry` lists them; `runner` runs them and writes the
alerts. Settings and runs are changed only through app.services.monitoring.
"""
