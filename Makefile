# Espace Famille — two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv migrate demo lock clean bench-deps

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || "$$(sh scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# Serves the portal and the admin on http://$(HOST):$(PORT) with the django-q2 worker beside it.
run: export DEBUG ?= 1
run: demo
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@scripts/run-server $(HOST) $(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmark tools (locust), pinned apart from the product's dependencies: see bench/README.md.
bench-deps: venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt

# Regenerate the pinned versions from pyproject.toml (run after changing a dependency).
lock:
	rm -rf .venv-lock && "$$(sh scripts/find-python)" -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/python -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(d["dependencies"] + d["optional-dependencies"]["test"]))' > .venv-lock/requirements.in
	.venv-lock/bin/pip install --quiet -r .venv-lock/requirements.in
	.venv-lock/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) var
