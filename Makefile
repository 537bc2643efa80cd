PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test

.PHONY: test demo install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e ".[test,nwb]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	BS_INSTALL_DEPENDENCIES=no $(BIN)/chronoscore demo --out results/demo

test: $(STAMP)
	BS_INSTALL_DEPENDENCIES=no $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info
