# The two commands in the README; everything else is a step they need.
#   make demo   install, build, migrate, seed and run on 127.0.0.1:8000
#   make test   install, lint, type-check and run the whole test suite

PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := $(VENV)/bin

export UV_PROJECT_ENVIRONMENT := $(VENV)
# litellm fetches a price map over the network at import unless told not to.
export LITELLM_LOCAL_MODEL_COST_MAP := True
export LITELLM_OFFLINE_MODE := true

.PHONY: demo test install lint typecheck unit browser-deps clean

demo: install
	$(BIN)/python manage.py demo

test: install lint typecheck unit

install: $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON) --quiet

# uv itself comes from PyPI, pinned by hash, into a small venv of its own.
$(UV): requirements/uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes -r requirements/uv.txt
	touch $(UV)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run

unit:
	REDIS_PREFIX=thoughtflow-test $(BIN)/pytest

clean:
	rm -rf $(VENV) $(TOOLS) var/static
