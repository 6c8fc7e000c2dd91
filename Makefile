# The two commands a new user needs:  make demo   and   make test
# Both create or refresh the environment (.venv) themselves.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# test processes for `make test`: the test files are shared among them (each file whole in
# one process, so its fixtures are built once); the demo platform is built once per run and
# copied to each process (tests/demo_platform.py)
TEST_WORKERS ?= 2
# Airflow's own variables are set by cityhealth/orchestration/airflow_env.py (one place).
export GX_ANALYTICS_ENABLED := False
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1

.PHONY: demo test env lint lock airflow-ui bench clean

## demo: run the annual health check for Jiangxi on the demo data through Airflow
demo: env
	$(BIN)/python -m cityhealth.demo

## test: the whole test suite (what CI runs)
test: env
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest --numprocesses $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

## airflow-ui: the Airflow UI on the demo (http://127.0.0.1:8080), login printed
airflow-ui: env
	$(BIN)/python -m cityhealth.demo.airflow_ui

## env: create .venv and install the locked dependencies (no-op when up to date)
env: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	# the project's packages are imported from the work tree (no build step, no download)
	$(BIN)/python -c 'import site,sys; open(site.getsitepackages()[0]+"/cityhealth-worktree.pth","w").write(sys.argv[1]+"\n")' $(CURDIR)
	touch $(STAMP)

lint: env
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

## lock: re-resolve pyproject.toml into requirements.lock
lock:
	rm -rf /tmp/cityhealth-lock && $(PYTHON) -m venv /tmp/cityhealth-lock
	/tmp/cityhealth-lock/bin/pip install --quiet ".[dev]"
	{ echo "# Exact pins of the whole resolved set (pip freeze of a fresh install of pyproject.toml [dev])."; \
	  echo "# Regenerate with: make lock"; \
	  /tmp/cityhealth-lock/bin/pip freeze --exclude cityhealth; } > requirements.lock

clean:
	rm -rf var
