# Gatehouse — every target creates what it needs first (venv, system packages).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo demo-mesh test test-pretix test-mesh lint bench hardening clean system-deps deb bundle

venv: $(STAMP)

$(STAMP): pyproject.toml scripts/ensure-system-deps.sh
	@bash scripts/ensure-system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Everything the tests need, the browser tests' chromium too (make venv/demo skip it).
system-deps:
	@bash scripts/ensure-system-deps.sh --with-browser

demo: venv
	$(BIN)/gatehouse-demo

test: venv
	@bash scripts/ensure-system-deps.sh --with-browser
	$(BIN)/python -m pytest -n 2 -q

# The venue mesh's tests (docs/mesh.md): three real agents with their nats-servers per
# venue, killed and cut off on purpose; run alone, one at a time, because they measure
# answers against a 150 ms budget on a machine the other tests would keep busy. One of them
# drives the iPad page in chromium across a box's death (so chromium is installed too).
test-mesh: venv
	@bash scripts/ensure-system-deps.sh --with-browser
	$(BIN)/python -m pytest -q -m mesh tests/edge_agent/mesh

# Three boxes acting as one gate: a ticket raced at two gates, a box killed mid-stream,
# a refund at one box refused at another (gatehouse-demo --gates 3).
demo-mesh: venv
	$(BIN)/gatehouse-demo --gates 3

# Against a real pretix server (docs/pretix.md): pretix is installed into its own venv and
# its database template made once, cached per pretix version outside the repository
# (tests/pretix/environment.py); no network for that first install is a failure, not a skip.
test-pretix: venv
	$(BIN)/python -m tests.pretix.environment setup
	$(BIN)/python -m pytest -m pretix -q tests/pretix

lint: venv
	$(BIN)/ruff check edge_agent scanner hardware sync tui reference_platform demo tests benchmarks scripts
	$(BIN)/ruff format --check edge_agent scanner hardware sync tui reference_platform demo tests benchmarks scripts
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
	$(BIN)/python benchmarks/mesh.py --json --short
	$(BIN)/python benchmarks/slowloris.py --json --short --sustain

# Issue 17's crash-and-fault report against real agent processes (a few minutes; not
# part of `make test`, which runs each scenario light): test-artifacts/hardening.{json,md}
hardening: venv
	$(BIN)/python -m tests.hardening --out test-artifacts

# The Debian package (docs/install.md): dist/gatehouse_<version>_all.deb
deb: venv
	@bash scripts/build-deb.sh

# The offline bundle: the .deb + a wheelhouse for this machine's architecture + install.sh
bundle: venv
	@bash scripts/build-bundle.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
