#!/usr/bin/env python3
"""The PostgreSQL backup commands of docs/operations.md, run as they are
written against the real PostgreSQL of scripts/with-postgres: a real hub
records calls to PostgreSQL, the documented block dumps, checks, restores into
a new database and verifies its audit chain with ndxpctl.

Run by ctest under scripts/with-postgres:  test_postgres_backup.py BUILD_DIR
Exits 77 (reported as skipped) without NDXP_TEST_POSTGRES.
"""

import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest

import grpc

import hub_fixture

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(
    hub_fixture.ROOT, "build")
OPERATIONS = os.path.join(hub_fixture.ROOT, "docs", "operations.md")
MARKER = "<!-- tested: tests/python/test_postgres_backup.py"
CONNINFO = os.environ.get("NDXP_TEST_POSTGRES", "")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def with_dbname(conninfo, dbname):
    return re.sub(r"dbname=\S+", "dbname=" + dbname, conninfo)


def documented_block():
    """The shell block following the marker in docs/operations.md."""
    with open(OPERATIONS) as f:
        text = f.read()
    after = text[text.index(MARKER):]
    match = re.search(r"```sh\n(.*?)```", after, re.S)
    return match.group(1)


def psql(conninfo, sql):
    return subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", conninfo,
                           "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


class PostgresHub(hub_fixture.Hub):
    """The transport fixture's hub, recording to PostgreSQL."""

    def __init__(self, build, postgres):
        self.postgres = postgres
        super().__init__(build)

    def _hub_config(self, limits):
        return super()._hub_config(limits) + 'recording { mode: DURABLE postgres: "%s" }\n' % (
            self.postgres)


class PostgresBackupTest(unittest.TestCase):
    def test_documented_commands_dump_restore_and_verify(self):
        source, restored = "ndxp_backup_source", "ndxp_backup_restored"
        for name in (source, restored):
            psql(CONNINFO, "DROP DATABASE IF EXISTS %s" % name)
            psql(CONNINFO, "CREATE DATABASE %s" % name)
        hub = PostgresHub(BUILD, with_dbname(CONNINFO, source))
        try:
            ca, cert, key = (read_bytes(path) for path in hub.files("caller"))
            credentials = grpc.ssl_channel_credentials(ca, key, cert)
            with grpc.secure_channel(hub.address, credentials) as channel:
                echo = channel.unary_unary("/%s/Echo" % hub_fixture.ECHO_SERVICE)
                for _ in range(25):
                    echo(b"", timeout=10)
        finally:
            hub.stop()
        rows = psql(with_dbname(CONNINFO, source), "SELECT count(*) FROM audit_log")
        self.assertEqual(rows, "25")

        pg_bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:]
        env = dict(os.environ, NDXP_PG=with_dbname(CONNINFO, source),
                   NDXP_PG_RESTORED=with_dbname(CONNINFO, restored),
                   BACKUP_DIR=tempfile.mkdtemp(prefix="ndxp-pg-backup-"),
                   PATH=os.pathsep.join(pg_bin + [os.path.join(BUILD, "bin"),
                                                  os.environ["PATH"]]))
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", documented_block()], env=env,
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("audit log intact", run.stdout)
        self.assertIn("25 rows", run.stdout)
        self.assertEqual(psql(with_dbname(CONNINFO, restored), "SELECT count(*) FROM audit_log"),
                         "25")
        self.assertEqual(psql(with_dbname(CONNINFO, restored),
                              "SELECT COALESCE(SUM(count), 0) FROM counters"), "25")
        subprocess.run(["rm", "-rf", env["BACKUP_DIR"]], check=False)


if __name__ == "__main__":
    if not CONNINFO:
        print("skipped: NDXP_TEST_POSTGRES is not set (run under scripts/with-postgres)")
        sys.exit(77)
    unittest.main(verbosity=2)
