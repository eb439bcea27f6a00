# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Each creates .venv if needed and (re)installs when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

DISTILL := .venv-distill
TRAIN_DATA := build/train
TEACHER := build/teacher.npz
MODEL := faqbot/models/default

.PHONY: run test bench model validate clean

run: $(VENV)/.run-installed
	$(BIN)/faqbot run

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench.run

# The bundled model, end to end (about 40 minutes on 2 cores; needs ../shared/data/train):
# training inputs -> teacher vectors of them and two edited copies of each (all-MiniLM-L6-v2,
# own venv) -> distilled LSTM.
model: $(VENV)/.dev-installed $(DISTILL)/.installed
	$(BIN)/python -m recipes.train_data --out $(TRAIN_DATA)
	$(DISTILL)/bin/faqbot teacher $(TRAIN_DATA)/*.csv --augment 2 --out $(TEACHER)
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/faqbot train $(TRAIN_DATA)/*.csv --preset distilled --teacher $(TEACHER) --out $(MODEL)

$(DISTILL)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DISTILL)
	$(DISTILL)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[distill]'
	touch $@

validate: $(VENV)/.run-installed
	$(BIN)/faqbot validate

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) -e '.[dev]'
	touch $@ $(VENV)/.run-installed

clean:
	rm -rf $(VENV) $(DISTILL) build .pytest_cache faqbot.egg-info
