"""Throwaway real services on 127.0.0.1 for the shared-warehouse tests: Debian's PostgreSQL
(``initdb`` + ``pg_ctl`` under a temp dir, on a free port) as the DuckLake catalog and Dagster's
instance storage, and moto's S3 server as object storage."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen | None, what: str,
                   timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL server binaries (package ``postgresql``), newest version first."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


@contextmanager
def postgres(root: Path | None = None) -> Iterator[dict]:
    """A PostgreSQL cluster on a free port, trust auth, listening on 127.0.0.1 only. initdb
    refuses to run as root, so as root the cluster belongs to the ``postgres`` user."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    # Its own folder under the system temp dir: pytest's tmp_path is private to the test's
    # user, and the server runs as `postgres` when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="llmcost-pg-", dir=root))
    data = root / "pgdata"
    data.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        os.chmod(root.parent, 0o711) if root.parent != Path(tempfile.gettempdir()) else None
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*as_user, str(bindir / "initdb"), "-A", "trust", "-U", "postgres",
                    "-D", str(data)], check=True, capture_output=True)
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l",
                    str(root / "postgres.log"), "-w", "-o",
                    f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c max_connections=200",
                    "start"], check=True, capture_output=True)
    try:
        _wait_for_port(port, None, "postgres")
        yield {"host": "127.0.0.1", "port": port, "user": "postgres", "bindir": bindir}
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def create_database(pg: dict, name: str) -> None:
    subprocess.run([str(pg["bindir"] / "createdb"), "-h", pg["host"], "-p",
                    str(pg["port"]), "-U", pg["user"], name], check=True, capture_output=True)


@contextmanager
def moto_s3(root: Path, bucket: str) -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with one bucket; yields its endpoint URL."""
    port = free_port()
    log = (root / "moto.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, server, "moto_server")
        endpoint = f"http://127.0.0.1:{port}"
        import boto3

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
