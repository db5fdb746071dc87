# The two entry points of the README: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= demo12345

.PHONY: run dev demo-data test install install-dev chromium lint messages mutate

$(VENV)/.installed: pyproject.toml
	@python=$$(scripts/find-python) || exit 1; \
	  [ -x $(PY) ] || "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Debian's Chromium drives the browser tests (Playwright's own download cannot work here);
# the CJK font makes screenshots of Chinese pages readable.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; } || { \
	  echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests..."; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

demo-data: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference
	$(PY) manage.py seed_demo --password $(DEMO_PASSWORD) --host $(HOST) --port $(PORT)
	@echo
	@echo "CRM running at http://$(HOST):$(PORT)/  — log in as admin / $(DEMO_PASSWORD) (see the users above)"

# What users will see: DEBUG off (the app's own 404/500 pages, tracebacks in this
# console), static files from WhiteNoise, a generated key kept in .secret_key.
run: export DJANGO_SETTINGS_MODULE := crm.settings.local
# Beside the server: the task worker (notification e-mails) and the periodic
# notification sweeps; scripts/with-workers stops them with the server.
run: demo-data
	exec scripts/with-workers $(PY) $(VENV)/bin/gunicorn crm.wsgi --bind $(HOST):$(PORT) \
	  --workers 2 --threads 4 --access-logfile -

# Development: Django's debug server (debug pages, code reloading).
dev: export DJANGO_SETTINGS_MODULE := crm.settings.dev
dev: demo-data
	exec scripts/with-workers $(PY) $(PY) manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: install-dev chromium lint
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest $(PYTEST_ARGS)

# Refresh the translations after changing user-facing text.
messages: install-dev
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

# Mutation testing of the permission, sharing, masking and throttling code
# ([tool.mutmut] in pyproject.toml). Slow, so not part of `make test` or CI;
# `make mutate MUTMUT_ARGS='crm.permissions*'` runs one module's mutants.
mutate: install-dev
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/mutmut run $(MUTMUT_ARGS)
	$(VENV)/bin/mutmut results
