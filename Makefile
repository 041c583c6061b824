# 公益微创投平台 — two commands on a fresh Debian machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
# postgresql-client: pg_dump/pg_restore for `flask backup`/`flask restore` of PostgreSQL deployments (and their tests).
OS_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils postgresql-client

.PHONY: help run test fuzz venv os-deps browser axe fonts translations db seed lint fmt messages clean

help:
	@echo "make run    set up everything, migrate, load demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   ruff, then the whole suite on SQLite, then on PostgreSQL"
	@echo "make fuzz   send every form of the demo odd values as each role; lists any answer 500"
	@echo "make lint | fmt | messages | clean"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# OS packages the app needs (CJK font and HarfBuzz subsetting for PDFs, poppler for PDF checks, pg_dump).
os-deps:
	@missing=""; for p in $(OS_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The CJK fonts cut down to GB2312 that PDFs use first (generated from fonts-noto-cjk, git-ignored):
# smaller and faster PDFs; rarer characters still print from the full Noto fonts.
FONTS := $(addprefix static/fonts/,GrantsSerifCJK-Regular.otf GrantsSerifCJK-Bold.otf GrantsSansCJK-Regular.otf GrantsSansCJK-Bold.otf)
$(FONTS) &: grants/reports/fontsubset.py | venv os-deps
	$(BIN)/python -m grants.reports.fontsubset static/fonts

fonts: $(FONTS)

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# axe-core for the accessibility checks of the browser tests, from the npm registry at a pinned
# version (never a CDN); git-ignored under .cache/. tests/e2e/axe.py injects it into each page.
AXE_VERSION := 4.14.1
AXE_JS := .cache/axe/node_modules/axe-core/axe.min.js
$(AXE_JS):
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends npm; }
	npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@$(AXE_VERSION)
	@test -f $@ && touch $@

axe: $(AXE_JS)

translations: venv
	@$(BIN)/pybabel compile -d grants/translations >/dev/null 2>&1 || $(BIN)/pybabel compile -d grants/translations

db: venv translations
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed-demo

# gunicorn: its settings are in gunicorn.conf.py (one worker process per core, 8 threads each, each
# worker taking its share of a burst of connections); the workers share the sign-in limits (Redis, else instance/ratelimits.db: README "Several
# workers share one set of limits"). The background job consumer (batch certificates, activity
# photos' re-encoding) runs beside it in the CPU's idle class (it puts itself there: grants/jobs.py,
# yield_cpu_to_requests), so that background work yields to the requests, and stops with it.
WORKERS ?= $(shell nproc 2>/dev/null || echo 1)
run: venv os-deps fonts translations db seed
	@echo
	@echo "公益微创投平台 on http://127.0.0.1:$(PORT)"
	@echo "Demo logins (password demo12345): organizer, finance, judge1..judge5, staff1..staff5, street1, street2, resident1..resident12, jm001..jm090 (README: who is who)"
	@echo
	@$(FLASK) jobs-worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	WORKERS=$(WORKERS) $(BIN)/gunicorn -b 127.0.0.1:$(PORT) --access-logfile - wsgi:app

test: venv os-deps browser axe fonts translations
	scripts/test.sh

fuzz: venv translations
	$(BIN)/python scripts/fuzz_forms.py

lint: venv
	$(BIN)/ruff check .

fmt: venv
	$(BIN)/ruff format grants tests

messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o grants/translations/messages.pot .
	$(BIN)/pybabel update -i grants/translations/messages.pot -d grants/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
