"""A throw-away PostgreSQL server on 127.0.0.1 for the deployment tests.

The server binaries come from the ``pgserver`` wheel (a dev dependency: PostgreSQL
built into a wheel, installed from PyPI like everything else), or else from a
PostgreSQL installed on the machine (``initdb``/``pg_ctl`` on PATH or under
/usr/lib/postgresql). The server listens on a free TCP port of 127.0.0.1 only, with
password authentication, and its data directory is deleted when it stops.

PostgreSQL refuses to run as root: under root (CI containers) initdb and the server
run as the unprivileged user ``nobody``.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


def find_binaries() -> tuple[Path | None, str]:
    """(directory holding initdb and pg_ctl, where it comes from) or (None, why not)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        wheel_bin = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (wheel_bin / "initdb").exists() and (wheel_bin / "pg_ctl").exists():
            return wheel_bin, "pgserver wheel"
    candidates = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory, f"system PostgreSQL ({directory})"
    return None, ("no PostgreSQL server binaries: the pgserver wheel is not installed "
                  "(pip install -r requirements.lock) and no initdb/pg_ctl on this machine")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalPostgres:
    bin_dir: Path
    user: str = "airflow"
    password: str = field(default_factory=lambda: secrets.token_hex(16))
    host: str = "127.0.0.1"
    port: int = 0
    root: Path | None = None
    run_as: str | None = None

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        assert self.root is not None
        return self.root / "postgres.log"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.bin_dir / args[0]), *args[1:]], user=self.run_as,
                                capture_output=True, text=True, timeout=timeout, check=False,
                                cwd=self.root,
                                env={**os.environ, "LC_ALL": "C", "TZ": "UTC"})
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-3000:] \
                if self.log_file.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n"
                               f"{result.stderr}\n{log}")
        return result

    def start(self) -> LocalPostgres:
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("nobody")
            except KeyError as error:
                raise RuntimeError("running as root and there is no user 'nobody' to run "
                                   "PostgreSQL as") from error
            self.run_as = "nobody"
        # Not under pytest's tmp_path: it is private to the current user (0700), and
        # under root the server runs as another user.
        self.root = Path(tempfile.mkdtemp(prefix="cityhealth-pg-"))
        if self.run_as:
            shutil.chown(self.root, user=self.run_as)
        password_file = self.root / "password"
        password_file.write_text(self.password + "\n")
        if self.run_as:
            shutil.chown(password_file, user=self.run_as)
        self._run("initdb", "-D", str(self.data_dir), "-U", self.user,
                  f"--pwfile={password_file}", "--auth=scram-sha-256",
                  "--encoding=UTF8", "--locale=C")
        password_file.unlink()
        self.port = free_port()
        # TCP on 127.0.0.1 only; no Unix socket (its directory would need to be shared)
        options = f"-h {self.host} -p {self.port} -c unix_socket_directories='' -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w",
                  "-t", "60", "-o", options, "start")
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def url(self, database: str, driver: str = "postgresql+psycopg2") -> str:
        return f"{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                password=self.password, dbname=database)

    def create_database(self, name: str) -> None:
        con = self.connect()
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'create database "{name}"')
        finally:
            con.close()
