"""Highly available topologies of the test's own, on loopback ports, torn down afterwards:
a Redis primary + replica watched by three Sentinels, a three-primary Redis Cluster, and a
PostgreSQL primary with a streaming replica made by pg_basebackup. Nothing here touches the
shared PostgreSQL or Redis the rest of the suite uses."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import psycopg
import redis

from tests.harness import free_port, wait_until

PG_BIN = "/usr/lib/postgresql/15/bin"


def _redis(port: int, *args: str) -> subprocess.Popen:
    return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tempfile.gettempdir(), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _up(port: int, proc: subprocess.Popen | None = None) -> bool:
    def answering():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"redis-server on {port} exited")  # e.g. the port was taken meanwhile
        try:
            return redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5).ping()
        except redis.ConnectionError:  # not listening yet: wait_until tries again
            return False

    try:
        return wait_until(answering, 10) is not None
    except RuntimeError:
        return False


def _redis_on_a_free_port(make_args) -> tuple[int, subprocess.Popen]:
    """A redis-server on a port free_port() found; another one if something took that port in
    between (a busy machine's outgoing connections use the same ephemeral range)."""
    for _ in range(5):
        port = free_port()
        proc = _redis(port, *make_args(port))
        if _up(port, proc):
            return port, proc
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
    raise RuntimeError("no redis-server would start")


class SentinelRedis:
    """Primary, replica and three Sentinels (quorum 2) that fail over in about a second."""

    SERVICE = "idpmaster"

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.primary_port = self.replica_port = 0  # chosen at start
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.procs: dict[int, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{self.SERVICE}/0"

    def start(self) -> SentinelRedis:
        self.primary_port, primary = _redis_on_a_free_port(lambda port: [])
        self.procs[self.primary_port] = primary
        self.replica_port, replica = _redis_on_a_free_port(
            lambda port: ["--replicaof", "127.0.0.1", str(self.primary_port)])
        self.procs[self.replica_port] = replica
        for port in self.sentinel_ports:
            conf = self.tmp / f"sentinel-{port}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\n"
                            f"sentinel monitor {self.SERVICE} 127.0.0.1 {self.primary_port} 2\n"
                            f"sentinel down-after-milliseconds {self.SERVICE} 1000\n"
                            f"sentinel failover-timeout {self.SERVICE} 5000\n"
                            f"sentinel parallel-syncs {self.SERVICE} 1\n")
            self.procs[port] = subprocess.Popen(["redis-server", str(conf), "--sentinel"],
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            assert _up(port)
        replicated = wait_until(lambda: redis.Redis(host="127.0.0.1", port=self.primary_port).info("replication")["connected_slaves"] >= 1, 10)
        assert replicated is not None, "the replica never attached"
        return self

    def primary(self) -> int:
        host, port = redis.Redis(host="127.0.0.1", port=self.sentinel_ports[0]).sentinel_get_master_addr_by_name(self.SERVICE)
        return int(port)

    def kill_primary(self) -> int:
        """A crash of the primary (SIGKILL); returns its port."""
        port = self.primary()
        self.procs[port].kill()
        self.procs[port].wait(5)
        return port

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)


class RedisCluster:
    """Three primaries, no replicas: enough for every key-slot rule to bite."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start(self) -> RedisCluster:
        def node_args(port):
            node_dir = self.tmp / f"cluster-{port}"
            node_dir.mkdir(exist_ok=True)
            return ["--cluster-enabled", "yes", "--dir", str(node_dir), "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "2000"]

        for _ in range(3):
            port, proc = _redis_on_a_free_port(node_args)
            self.ports.append(port)
            self.procs.append(proc)
        subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=30)
        ok = wait_until(lambda: redis.Redis(host="127.0.0.1", port=self.ports[0]).cluster("info").get("cluster_state") == "ok", 15)
        assert ok is not None, "the cluster never reached state ok"
        return self

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)


def pg_tools_available() -> bool:
    return all(os.path.exists(f"{PG_BIN}/{tool}") for tool in ("initdb", "pg_ctl", "pg_basebackup"))


class PostgresPair:
    """A primary and a streaming replica of their own (run as the postgres system user, which
    PostgreSQL requires), so promoting and stopping them touches nothing else."""

    def __init__(self, tmp_path):
        # Not under pytest's tmp_path: that is private to root, and PostgreSQL runs as postgres.
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="idp-ha-pg-")) / "pg"
        self.primary_port, self.replica_port = free_port(), free_port()
        self.primary_dir, self.replica_dir = self.root / "primary", self.root / "replica"

    def _as_postgres(self, *cmd: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(cmd), check=True, capture_output=True, timeout=timeout)

    def _ctl(self, data_dir, *args: str) -> None:
        self._as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(data_dir), "-w", "-t", "30", *args)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary_port},127.0.0.1:{self.replica_port}/idp"

    def start(self) -> PostgresPair:
        self.root.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root.parent, "postgres", "postgres")
            shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(f"{PG_BIN}/initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with open(self.primary_dir / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\nwal_level = replica\n"
                       "max_wal_senders = 5\nunix_socket_directories = '/tmp'\nfsync = off\n")
        with open(self.primary_dir / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self._ctl(self.primary_dir, "-l", str(self.root / "primary.log"), "start")
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.primary_port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE idp")
        self._as_postgres(f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                          "-D", str(self.replica_dir), "-R", "-X", "stream", "-c", "fast")
        with open(self.replica_dir / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self._ctl(self.replica_dir, "-l", str(self.root / "replica.log"), "start")
        return self

    def replica_lag_zero(self) -> bool:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.primary_port}/postgres") as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' "
                               "AND replay_lsn = pg_current_wal_lsn()").fetchone()
        return row[0] == 1

    def promote_replica(self) -> None:
        self._ctl(self.replica_dir, "promote")

    def stop_primary(self) -> None:
        self._ctl(self.primary_dir, "-m", "immediate", "stop")

    def stop(self) -> None:
        for data_dir in (self.replica_dir, self.primary_dir):
            try:
                self._ctl(data_dir, "-m", "immediate", "stop")
            except subprocess.CalledProcessError:
                pass  # already stopped
        time.sleep(0.2)
        shutil.rmtree(self.root.parent, ignore_errors=True)
