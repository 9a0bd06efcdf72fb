"""Celery queue names, kept in one place so routing and workers agree."""

DEFAULT = "default"
IMPORTS = "imports"
ENGINE = "engine"
SENDS = "sends"
TRACKING = "tracking"

ALL = (DEFAULT, IMPORTS, ENGINE, SENDS, TRACKING)
