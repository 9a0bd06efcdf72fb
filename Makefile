# smoove: `make demo` runs the product on embedded defaults, `make test` runs
# the suite against PostgreSQL and Redis. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint messages install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv --verbosity 0

demo: $(STAMP) messages
	$(PY) scripts/demo.py

test: $(STAMP) messages
	$(PY) scripts/run_tests.py

bench: $(STAMP) messages
	$(PY) scripts/run_bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

clean:
	rm -rf var test-artifacts
