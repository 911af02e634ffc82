# The two commands that matter: `make run` serves the site, `make test` runs every test.
# Both set up what is missing first, on a machine with only python3 and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
PORT ?= 8000

.PHONY: help install messages translations run superuser serve worker test test-unit test-e2e test-deps lint format bench

help:
	@echo "make run     the site and its task worker at http://localhost:$(PORT) (debug, SQLite, emails on the console)"
	@echo "make superuser  create an administrator (for make run's database)"
	@echo "make test    install what is missing, then lint and run every test: unit (SQLite, PostgreSQL), end-to-end"
	@echo "make serve   the production server (gunicorn + WhiteNoise) on 127.0.0.1:$(PORT)"
	@echo "make worker  the task worker for DJANGO_TASKS_BACKEND=database"
	@echo "make lint    ruff check, format check and mypy (django-stubs)"
	@echo "make bench   the benchmark (bench/README.md)"
	@echo "make translations  update locale/de's catalog from the sources (then translate, then make messages)"

# uv is bootstrapped into .tools/ when the machine has none.
$(CURDIR)/.tools/bin/uv:
	@python3 -c "import ensurepip" 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv >/dev/null; }
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet --disable-pip-version-check uv

# Bytecode compiled once, at install: Python otherwise compiles each module it imports from source, and where
# PYTHONDONTWRITEBYTECODE is set (as on this project's machines) it does so again in every process it starts (each
# test process, served site, worker and manage.py command: 15 % of the unit tests' time).
install: $(UV)
	$(UV) sync --locked --quiet --compile-bytecode

# Translations are compiled by the build, never committed; compilemessages needs Debian's gettext.
messages: install
	@command -v msgfmt >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq gettext >/dev/null; }
	DJANGO_DEBUG=true $(UV) run python manage.py compilemessages --ignore '.venv' --ignore '.tools' --ignore 'node_modules' --verbosity 0

# After adding or changing a translatable string: update locale/de's catalog, translate what it marks new or fuzzy,
# then `make messages`. tests/test_translations.py fails until every entry is translated. locale_overrides/ is
# kept by hand (allauth's wording): makemessages never writes there.
translations: install
	@command -v msgfmt >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq gettext >/dev/null; }
	DJANGO_DEBUG=true $(UV) run python manage.py makemessages -l de --no-obsolete --ignore '.venv' --ignore '.tools' --ignore 'node_modules' --ignore 'e2e' --ignore 'tests' --ignore 'bench' --ignore 'testkit' --ignore 'staticfiles' --ignore 'media'

# The whole product, as in production but with debug on: the site and its task worker (the database task backend on
# SQLite: the outbox, retries and the deletion grace period work as they do in production), emails on the console.
# Passkeys need a host name: browse http://localhost:$(PORT), not 127.0.0.1.
run: export DJANGO_DEBUG = true
run: export DJANGO_TASKS_BACKEND ?= database
run: export SITE_URL ?= http://localhost:$(PORT)
run: messages
	$(UV) run python manage.py migrate --noinput
	@echo ""
	@echo "  Vitae runs at $(SITE_URL)  (site and task worker; emails show here; Ctrl-C stops both)"
	@echo ""
	$(UV) run honcho start --procfile Procfile.dev --port $(PORT)

superuser: export DJANGO_DEBUG = true
superuser: messages
	$(UV) run python manage.py migrate --noinput --verbosity 0
	$(UV) run python manage.py createsuperuser

# Debug off, as in production; plain HTTP unless DJANGO_HTTPS says otherwise, since it listens on loopback.
serve: export DJANGO_HTTPS ?= false
serve: messages
	$(UV) run python manage.py collectstatic --noinput --verbosity 0
	$(UV) run python manage.py migrate --noinput
	$(UV) run gunicorn config.wsgi --config config/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

worker: messages
	$(UV) run python manage.py task_worker --queue-name '*'

# System packages the tests drive for real: Chromium (its headless shell for the runs, the browser for --headed), Java
# and npm for the HTML checker, PostgreSQL, Redis, nginx (the proxy docs/nginx.conf configures,
# tests/web/test_proxy.py).
test-deps: messages
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromium-headless-shell >/dev/null || missing="$$missing chromium-headless-shell"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@test -f node_modules/vnu-jar/build/dist/vnu.jar || npm ci --silent --no-audit --no-fund

# Each leg where it means something (README, Tests): the unit and integration tests on both databases (those whose
# outcome cannot depend on the database, marked any_database, on the first only), the end-to-end journeys once, on
# PostgreSQL (production's), each on a throw-away server of its own. Both cores, each taking whole
# modules (a module's served site starts once), the longest first: in the order the suite's conftest.py gives them,
# which xdist would otherwise replace by the number of tests in each (a module of three tests that wait for timeouts
# last, one process left alone with it). The slowest tests are named at the end of each leg.
PYTEST := $(UV) run pytest -p no:cacheprovider --numprocesses 2 --dist loadfile --no-loadscope-reorder --durations 15

test: test-deps lint test-unit test-e2e

test-unit:
	$(PYTEST) tests
	bin/with-postgres $(PYTEST) -m "not any_database" tests

test-e2e:
	bin/with-postgres $(PYTEST) e2e

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

format: install
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

bench: install
	$(UV) run python -m bench
