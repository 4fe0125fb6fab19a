#!/usr/bin/env python3
"""Backups of a running hub's SQLite database, and the recovery drill of
docs/operations.md, over real processes.

A load runs through a real hub (durable recording) while `ndxpctl backup`
copies its database; the restored copy's chain must verify and hold every call
acknowledged before the backup started. `ndxpctl restore` must refuse the live
database and an existing file. Then the drill: the hub is stopped, its
database deleted, the backup restored in its place, the hub started again on
it: the history is there, and new calls continue the chain. Each step is timed
(printed; docs/operations.md quotes a run).

Run by ctest:  test_backup_restore.py BUILD_DIR
"""

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

import federation_fixture  # noqa: E402  (puts clients/python on the path)
from federation_fixture import ROOT  # noqa: E402
from ndxp_client import connect_as, generate_stubs  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
NDXPCTL = os.path.join(BUILD, "bin", "ndxpctl")
PURPOSE = ("x-ndxp-purpose", "backup test")


def ndxpctl(*args):
    return subprocess.run([NDXPCTL, *args], capture_output=True, text=True)


def alive(pid):
    """Whether `pid` runs (a zombie holds no locks and counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def read_if_exists(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def request_ids(database):
    with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
        return {row[0] for row in db.execute("SELECT request_id FROM audit_log")}


class Load:
    """Clients calling VerifyCitizen through the hub until stopped; `acked`
    holds each answered call's request id, in the order answers came."""

    def __init__(self, test, clients=6):
        self.test = test
        self.acked = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,)) for i in range(clients)]
        for t in self.threads:
            t.start()

    def _client(self, worker):
        stub = self.test.pb_grpc.ResidentRegistryStub(connect_as(self.test.endpoints, "demo"))
        n = 0
        while not self.stopping.is_set():
            request_id = "load-%d-%d" % (worker, n)
            n += 1
            try:
                stub.VerifyCitizen(self.test.pb.VerifyCitizenRequest(
                    personal_id=self.test.personal_id),
                    metadata=[PURPOSE, ("x-ndxp-request-id", request_id)], timeout=10)
            except grpc.RpcError:
                continue
            with self.lock:
                self.acked.append(request_id)

    def answered(self):
        with self.lock:
            return list(self.acked)

    def wait_for(self, count, timeout=120):
        deadline = time.monotonic() + timeout
        while len(self.answered()) < count:
            if time.monotonic() > deadline:
                raise AssertionError("the load never reached %d calls" % count)
            time.sleep(0.01)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)


class BackupRestoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.endpoints = federation_fixture.start(
            BUILD, "ndxp-backup-", "--recording", "durable", population=2000)
        cls.personal_id = federation_fixture.first_personal_id(cls.endpoints)
        stubs = generate_stubs(os.path.join(cls.state, "python-stubs"))
        cls.pb, cls.pb_grpc = stubs.residents_pb2, stubs.residents_pb2_grpc
        cls.work = tempfile.mkdtemp(prefix="ndxp-backups-")
        cls.timings = []

    @classmethod
    def tearDownClass(cls):
        federation_fixture.stop(cls.state)
        subprocess.run(["rm", "-rf", cls.work], check=False)
        for step, seconds in cls.timings:
            print("timing: %-45s %6.2f s" % (step, seconds))

    def timed(self, step, function, *args):
        start = time.monotonic()
        result = function(*args)
        self.timings.append((step, time.monotonic() - start))
        return result

    def hub_pid(self):
        with open(os.path.join(self.state, "run", "hub.pid")) as f:
            return int(f.read())

    def test_1_backup_under_load_restores_every_acknowledged_call(self):
        load = Load(self)
        try:
            load.wait_for(300)
            before = load.answered()  # acknowledged before the backup starts
            backup_dir = os.path.join(self.work, "backup")
            backup = self.timed("backup under load", ndxpctl, "backup", "--database",
                                self.endpoints["hub_database"], "--out", backup_dir)
            during = len(load.answered()) - len(before)
            load.wait_for(len(before) + during + 50)  # the hub kept serving afterwards
        finally:
            load.stop()
        self.assertEqual(backup.returncode, 0, backup.stdout + backup.stderr)
        self.assertIn("chains intact", backup.stdout)
        self.assertIn("backup: copied 100%", backup.stderr)
        self.assertGreater(during, 0, "no call was answered while the backup ran")

        restored = os.path.join(self.work, "restored", "hub.db")
        result = self.timed("restore", ndxpctl, "restore", "--from", backup_dir,
                            "--database", restored)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        verified = self.timed("audit verify of the restored copy", ndxpctl, "audit", "verify",
                              "--database", restored)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        # The backup carries the hub's signed checkpoints: the restored copy
        # is verified up to one, not "no checkpoint found".
        self.assertIn("checkpoint of replica", verified.stdout)
        self.assertNotIn("no checkpoint found", verified.stdout)
        self.assertIn("signed checkpoint at seq", backup.stdout)
        on_record = request_ids(restored)
        missing = [r for r in before if r not in on_record]
        self.assertEqual(missing, [], "acknowledged before the backup but not in it")
        # The copy is a snapshot: the live database went on growing.
        self.assertLess(len(on_record), len(request_ids(self.endpoints["hub_database"])))

    def test_2_restore_refuses_a_database_in_use_and_an_existing_file(self):
        backup_dir = os.path.join(self.work, "backup")
        live = self.endpoints["hub_database"]
        in_use = ndxpctl("restore", "--from", backup_dir, "--database", live, "--force")
        self.assertEqual(in_use.returncode, 1)
        self.assertIn("is in use by process %d" % self.hub_pid(), in_use.stderr)
        existing = os.path.join(self.work, "existing.db")
        with open(existing, "w") as f:
            f.write("not to be lost")
        refused = ndxpctl("restore", "--from", backup_dir, "--database", existing)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("exists: pass --force", refused.stderr)
        with open(existing) as f:
            self.assertEqual(f.read(), "not to be lost")

    def test_3_recovery_drill(self):
        """docs/operations.md: the hub's machine is lost; a backup and the
        configuration and PKI (kept offline) bring it back with its history."""
        backup_dir = os.path.join(self.work, "backup")
        database = self.endpoints["hub_database"]
        backed_up = request_ids(os.path.join(self.work, "restored", "hub.db"))

        pid = self.hub_pid()
        os.kill(pid, signal.SIGKILL)  # the machine is gone, and its disk with it
        deadline = time.monotonic() + 30
        while alive(pid):
            self.assertLess(time.monotonic(), deadline, "the killed hub never went away")
            time.sleep(0.01)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(database + suffix):
                os.remove(database + suffix)

        start = time.monotonic()
        restored = ndxpctl("restore", "--from", backup_dir, "--database", database)
        self.assertEqual(restored.returncode, 0, restored.stdout + restored.stderr)
        ready = os.path.join(self.state, "run", "hub.ready")
        if os.path.exists(ready):
            os.remove(ready)
        log = open(os.path.join(self.state, "logs", "hub-recovered.log"), "wb")
        hub = subprocess.Popen([os.path.join(BUILD, "bin", "ndxp-hub"), "--config",
                                self.endpoints["hub_config"], "--ready-file", ready],
                               stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while not read_if_exists(ready):
                self.assertIsNone(hub.poll(), "the recovered hub exited")
                self.assertLess(time.monotonic(), deadline, "the recovered hub never got ready")
                time.sleep(0.01)
            with open(ready) as f:
                endpoints = dict(self.endpoints, hub=f.read().strip())
            stub = self.pb_grpc.ResidentRegistryStub(connect_as(endpoints, "demo"))
            stub.VerifyCitizen(self.pb.VerifyCitizenRequest(personal_id=self.personal_id),
                               metadata=[PURPOSE, ("x-ndxp-request-id", "after-recovery")],
                               timeout=10)
            self.timings.append(("restore + hub start + first call",
                                 time.monotonic() - start))

            on_record = request_ids(database)
            self.assertTrue(backed_up <= on_record, "history lost in the recovery")
            self.assertIn("after-recovery", on_record)
            verified = ndxpctl("audit", "verify", "--database", database)
            self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
            operator = endpoints["identities"]["operator"]
            stats = ndxpctl("stats", "--period", "cumulative", "--anchor", "2999-12-31",
                            "--format", "csv", "--hub", endpoints["hub"], "--ca",
                            endpoints["ca"], "--cert", operator["cert"], "--key", operator["key"])
            self.assertEqual(stats.returncode, 0, stats.stdout + stats.stderr)
            self.assertEqual(stats.stdout, "COUNT\n%d\n" % (len(backed_up) + 1))
        finally:
            hub.send_signal(signal.SIGTERM)
            hub.wait(timeout=30)
            log.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
