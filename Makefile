# Gatehouse — every target creates what it needs first (venv, system packages).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test lint bench clean system-deps

venv: $(STAMP)

$(STAMP): pyproject.toml scripts/ensure-system-deps.sh
	@bash scripts/ensure-system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

system-deps:
	@bash scripts/ensure-system-deps.sh

demo: venv
	$(BIN)/gatehouse-demo

test: venv
	$(BIN)/python -m pytest -n 2 -q

lint: venv
	$(BIN)/ruff check edge_agent scanner hardware sync tui tests benchmarks
	$(BIN)/ruff format --check edge_agent scanner hardware sync tui tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python benchmarks/decide.py --json --short
	$(BIN)/python benchmarks/start.py --json --short
	$(BIN)/python benchmarks/decode.py --json --short
	$(BIN)/python benchmarks/lanes.py --json --short
	$(BIN)/python benchmarks/sync.py --json --short
	$(BIN)/python benchmarks/boxoffice.py --json --short
	$(BIN)/python benchmarks/api_schema.py --json --short
	$(BIN)/python benchmarks/slowloris.py --json --short --sustain

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info
