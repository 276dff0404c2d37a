# Two commands on a fresh machine: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Release builds freeze from their own venv: the pinned set in installer/requirements-build.txt
# and nothing else, so no test or lint tool can end up in the installed program.
BUILD_VENV := .venv-build
BUILD_INSTALLED := $(BUILD_VENV)/.installed
DIST ?= dist
BUILD_WORK ?= build/installer
DEMO_WORKSPACE ?= .desk-workspace
DEMO_PASSWORD ?= demo-password
# Fictional sample lists in the official formats, imported into the demo desk.
SANCTIONS := resources/sanctions

.PHONY: run test lint bench contract sandbox installer python-check system-deps-run \
        system-deps-test system-deps-build clean

python-check:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "Backdesk needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." \
	         "Install python3.11+ (with venv) or run: make PYTHON=python3.12 ..." >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || \
	  { echo "Python's venv module is missing: sudo apt-get install python3-venv" >&2; exit 1; }

$(INSTALLED): pyproject.toml | python-check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

system-deps-run:
	@bash installer/linux/system-deps.sh run

system-deps-test:
	@bash installer/linux/system-deps.sh test

# Only Linux builds here; Windows and macOS run installer/windows/build.ps1 and
# installer/macos/build.sh, which call the same installer/build.py.
system-deps-build:
	@bash installer/linux/system-deps.sh build

# A new lock may drop packages, so the build venv is made afresh, never updated.
$(BUILD_INSTALLED): installer/requirements-build.txt | python-check
	rm -rf $(BUILD_VENV)
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BUILD_VENV)/bin/python -m pip install --quiet -r installer/requirements-build.txt
	touch $@

# The folder bundle, its desktop files and a .deb in $(DIST)/ (see installer/build.py).
installer: system-deps-build $(BUILD_INSTALLED)
	$(BUILD_VENV)/bin/python installer/build.py --dist $(DIST) --work $(BUILD_WORK)

# The desk starts empty and fills from the built-in sandbox gateway as it syncs.
run: system-deps-run $(INSTALLED)
	@test -f $(DEMO_WORKSPACE)/backdesk.db || { \
	  BACKDESK_PASSWORD=$(DEMO_PASSWORD) $(BIN)/backdesk --workspace $(DEMO_WORKSPACE) \
	    init --broker "Sandbox Markets Ltd" --admin admin --admin-name "Ada Admin" && \
	  for list in "ofac $(SANCTIONS)/ofac/sdn.csv $(SANCTIONS)/ofac/alt.csv $(SANCTIONS)/ofac/add.csv" \
	              "un $(SANCTIONS)/un-consolidated.xml" "eu $(SANCTIONS)/eu-financial-sanctions.xml" \
	              "opensanctions $(SANCTIONS)/opensanctions-targets.simple.csv"; do \
	    set -- $$list; source=$$1; shift; \
	    BACKDESK_PASSWORD=$(DEMO_PASSWORD) $(BIN)/backdesk screening import \
	      --workspace $(DEMO_WORKSPACE) --source $$source "$$@" || exit 1; \
	  done; }
	@echo "Desk workspace: $(DEMO_WORKSPACE)   password: $(DEMO_PASSWORD)"
	@echo "Gateway: the built-in sandbox broker (data in .sandbox/, users admin, finance, ... password 'sandbox')"
	$(BIN)/backdesk --workspace $(DEMO_WORKSPACE) gui --sandbox --sandbox-data .sandbox

lint: $(INSTALLED)
	$(BIN)/ruff check app ui sync tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-deps-test $(INSTALLED) lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -n auto

bench: $(INSTALLED)
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/store.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/startup.py
	$(BIN)/python bench/gateway.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/sync.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/screening.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/reconcile.py
	$(BIN)/python bench/commissions.py
	$(BIN)/python bench/reports.py

# Rewrite sync/contract/openapi.json after changing the gateway API.
contract: $(INSTALLED)
	$(BIN)/python -m sync.sandbox.openapi

# The sandbox broker gateway on its own, on loopback (Ctrl+C stops it).
sandbox: $(INSTALLED)
	$(BIN)/backdesk sandbox --data .sandbox

clean:
	rm -rf $(VENV) $(BUILD_VENV) build .pytest_cache .mypy_cache .ruff_cache *.egg-info .sandbox
