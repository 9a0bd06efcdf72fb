"""The published login of the demo account that `make demo` creates."""

DEMO_EMAIL = "demo@smoove.local"
DEMO_PASSWORD = "smoove-demo-2026"  # noqa: S105 - printed by make demo on purpose
