# The two commands in the README; everything else is a step they need.
#   make demo   install, build, migrate, seed and run on 127.0.0.1:8000
#   make test   install, build, lint, type-check and run every test

PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := $(VENV)/bin

export UV_PROJECT_ENVIRONMENT := $(VENV)
# litellm fetches a price map over the network at import unless told not to.
export LITELLM_LOCAL_MODEL_COST_MAP := True
export LITELLM_OFFLINE_MODE := true

.PHONY: demo test install frontend lint typecheck unit browser browser-deps clean

demo: install frontend
	$(BIN)/python manage.py demo

test: install frontend lint typecheck unit browser

install: $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON) --quiet

# uv itself comes from PyPI, pinned by hash, into a small venv of its own.
$(UV): requirements/uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes -r requirements/uv.txt
	touch $(UV)

# npm ci rewrites node_modules/.package-lock.json, so it reruns only when the
# lock file changes.
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm run build

lint: install frontend/node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd frontend && npm run lint

typecheck: install
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Unit and integration tests: Python, then the browser components.
unit: install frontend
	REDIS_PREFIX=thoughtflow-test $(BIN)/pytest -p no:playwright --ignore=tests/e2e
	cd frontend && npm test

# End-to-end tests in Debian's Chromium, in a pytest run of their own:
# Playwright's sync API and the asyncio tests do not share a process.
browser: install frontend browser-deps
	REDIS_PREFIX=thoughtflow-test DJANGO_ALLOW_ASYNC_UNSAFE=true \
		$(BIN)/pytest tests/e2e -p no:randomly

browser-deps:
	@scripts/ensure-chromium

clean:
	rm -rf $(VENV) $(TOOLS) var/static frontend/node_modules frontend/dist
