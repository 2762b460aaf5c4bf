# Two commands (README Quickstart):
#   make report   set up .venv with the pinned dependencies, run the whole pipeline, print where the report is
#   make test     same set-up, then the test suite (what CI runs: .ci/run)
#   make units    the report once per region (reports/units/<unit>/), not part of `make report`
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
CORES ?= 2

.PHONY: report test setup lint clean-results simulate hashes units

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)
	@$(BIN)/python -m mhsurvey.where

# One edition per unit of config.yaml `units` (docs/report.md, "Unit editions"), as parallel jobs.
units: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) units

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/snakemake --lint
	$(BIN)/snakemake -s workflow/simulate.smk --lint

# Regenerate the committed synthetic exports: the generator's own workflow (package mhsim), not
# part of the default build; the analysis reads data/synthetic/ as plain inputs.
simulate: $(STAMP)
	$(BIN)/snakemake -s workflow/simulate.smk --cores $(CORES) simulate_all

clean-results:
	rm -rf results logs .snakemake/metadata

# Refresh the committed hash list of results/ (tests/test_results_hashes.py) after a change that is
# MEANT to change outputs: rebuild, then write the list (review the diff before committing it).
hashes: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --quiet
	$(BIN)/python -m mhsurvey.hashes results > tests/fixtures/results.sha256
