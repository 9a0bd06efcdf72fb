# smoove: `make demo` runs the product on embedded defaults, `make test` runs
# the suite against PostgreSQL and Redis. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint messages install clean canvas

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The automation canvas: a React bundle built with npm and Vite into a static
# folder Django serves. npm ci runs when node_modules is missing or the lock
# file changed; the build runs when a source is newer than the bundle.
CANVAS_MODULES := frontend/node_modules/.package-lock.json
CANVAS_BUNDLE := automation/static/automation/canvas/canvas.js
CANVAS_SOURCES := $(wildcard frontend/src/*) frontend/vite.config.js frontend/package-lock.json

$(CANVAS_MODULES): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $(CANVAS_MODULES)

$(CANVAS_BUNDLE): $(CANVAS_MODULES) $(CANVAS_SOURCES)
	cd frontend && npm run build
	touch $(CANVAS_BUNDLE)

canvas: $(CANVAS_BUNDLE)

messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv --verbosity 0

demo: $(STAMP) messages canvas
	$(PY) scripts/demo.py

test: $(STAMP) messages canvas
	$(PY) scripts/run_tests.py

bench: $(STAMP) messages
	$(PY) scripts/run_bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

clean:
	rm -rf var test-artifacts automation/static/automation/canvas
