# `make run` and `make test` each do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := postgresql chromium chromium-driver nginx redis-server

.PHONY: run test lint system-packages venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Installs what the tests need from Debian when it is missing and we are root; otherwise says what is missing.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "missing system packages:$$missing (run as root, or: sudo apt-get install $(SYSTEM_PACKAGES))"; \
	  fi; \
	fi

# Bytecode is compiled first: the editable install leaves Portico's modules without it, and where Python writes
# none itself (PYTHONDONTWRITEBYTECODE) every start would compile them all again (bench/coldstart.py).
run: $(STAMP)
	$(BIN)/python -m compileall -q main.py portal_app services models components
	$(BIN)/python main.py migrate
	$(BIN)/python main.py demo --if-empty
	$(BIN)/python main.py serve

# ruff (style, complexity), mypy (types), import-linter (the layers and domains of DESIGN.md, no cycles).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-packages $(STAMP)
	$(MAKE) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache screenshots
