# Kindred: `make run` serves the forum with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.requirements-installed
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 5000
# The shared development datasets (never copied into the repository).
EVAL_DATA ?= ../shared/data

# Model weights can never be fetched at run time on an offline machine.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install migrate seed run worker test test-postgres bench evaluate chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first: its CPU build must be in place before anything that depends
# on it, or pip resolves the default (CUDA) build instead.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

# The embedded set-up: one process serves the forum and runs the job
# consumer (deadlines, re-alerts, notifications, second opinion), so live
# re-alerts reach the browsers it serves without a message queue. With
# REDIS_URL set, run `make worker` processes instead (README).
run: seed
	@echo "Kindred on http://$(HOST):$(PORT)"
	$(PY) -m forum.serve --host $(HOST) --port $(PORT) --worker

worker: install
	$(VENV)/bin/huey_consumer forum.jobs.huey --workers 2 --worker-type thread

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Chromium for the browser tests (apt-get install -y chromium)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: the browser tests will fail. Install it with: sudo apt-get install -y chromium"; \
	  fi; \
	fi

test: install chromium
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install chromium
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	TEST_REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m moderation.tools.bench
	$(PY) -m moderation.tools.bench --abuse
	$(PY) bench/run_all.py

# The crisis figures of issue 16's target table (audit, suite, sdcnl), with the
# learned judge and as shipped without it, and the
# crowd-label report; the gate test holds the recorded ones.
evaluate: install
	$(PY) -m moderation.tools.evaluate --task crisis-audit --data $(EVAL_DATA)
	$(PY) -m moderation.tools.evaluate --task crisis-audit --without-judge --data $(EVAL_DATA)
	$(PY) -m moderation.tools.evaluate --task abuse-suite --data $(EVAL_DATA)
	$(PY) -m moderation.tools.evaluate --task toxicity $(EVAL_DATA)/toxicity/toxicity-dev.jsonl
	$(PY) -m moderation.tools.evaluate --task sanitize $(EVAL_DATA)/sanitize/sanitize-dev.jsonl
	for f in crisis/crisis-dev.jsonl toxicity/toxicity-dev.jsonl crisis/extra/diasafety-user-turns.jsonl \
	         crisis/extra/rallypoint-reddit-mental-health.jsonl; do \
	    $(PY) -m moderation.tools.evaluate --task language $(EVAL_DATA)/$$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
