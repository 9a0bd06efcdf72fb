# The browser fixtures live in support.py and are registered for the whole
# suite by tests/conftest.py, so that one Chromium serves every package.
from tests.browser.support import ARTIFACTS, screenshot  # noqa: F401 - re-exported for tests
