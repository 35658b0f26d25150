# Every target works as the first command on a fresh machine: the venv is made on demand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint bench fuzz clean-venv screenshots

$(STAMP): pyproject.toml requirements.lock scripts/link-soapysdr
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python scripts/link-soapysdr
	touch $(STAMP)

# The desktop app on the built-in demo (simulated nodes, loopback air link), whatever settings the
# operator has; headless where no window can open (see scripts/run-demo).
run: $(STAMP)
	scripts/run-demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

test: lint
	$(BIN)/python -m pytest -n auto --dist loadfile -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

fuzz: $(STAMP)
	$(BIN)/python -m pip install -q -r requirements-fuzz.txt
	$(BIN)/python -m benchmarks.fuzz

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen:configfile=ui/resources/offscreen-screen.json $(BIN)/python -m ui.screenshots docs/screenshots

clean-venv:
	rm -rf $(VENV)
