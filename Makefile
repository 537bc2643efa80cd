PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
# Brain-Score pins an older stack (numpy < 2, xarray < 2022.6, scikit-learn < 1.6), so its
# parity tests and brainio round trips run in an environment of their own.
BS_VENV := .venv-brainscore
BS_BIN := $(BS_VENV)/bin
BS_STAMP := $(BS_VENV)/.installed-test

.PHONY: test test-core test-brainscore demo install install-brainscore clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e ".[test,nwb]"
	touch $(STAMP)

$(BS_BIN)/python:
	$(PYTHON) -m venv $(BS_VENV)

$(BS_STAMP): pyproject.toml | $(BS_BIN)/python
	$(BS_BIN)/pip install -e ".[test,nwb,brainscore]"
	touch $(BS_STAMP)

install: $(STAMP)

install-brainscore: $(BS_STAMP)

demo: $(STAMP)
	BS_INSTALL_DEPENDENCIES=no $(BIN)/chronoscore demo --out results/demo

# The whole suite on the current stack, then the Brain-Score tests in their environment
# (the cross-stack brainio tests there call $(VENV)'s python, so both must exist).
test: test-core test-brainscore

test-core: $(STAMP)
	BS_INSTALL_DEPENDENCIES=no $(BIN)/python -m pytest -q -m "not brainscore"

test-brainscore: $(BS_STAMP) $(STAMP)
	BS_INSTALL_DEPENDENCIES=no $(BS_BIN)/python -m pytest -q -m brainscore

clean:
	rm -rf $(VENV) $(BS_VENV) build *.egg-info
