#!/usr/bin/env python3
"""Durable recording over real processes: the hub is killed with SIGKILL while
a load runs; every call a client saw succeed must be in the audit log and the
counters, the hash chain must verify, a restarted hub must continue it, and an
edited row must be caught by `ndxpctl audit verify`.

Run by ctest:  test_recording_crash.py BUILD_DIR
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import unittest

import grpc

import federation_fixture  # noqa: E402  (puts clients/python on the path)
from federation_fixture import ROOT  # noqa: E402
from ndxp_client import connect_as, generate_stubs  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
PURPOSE = ("x-ndxp-purpose", "crash test")


class RecordingCrashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.endpoints = federation_fixture.start(
            BUILD, "ndxp-crash-", "--recording", "durable", population=2000)
        stubs = generate_stubs(os.path.join(cls.state, "python-stubs"))
        cls.pb, cls.pb_grpc = stubs.residents_pb2, stubs.residents_pb2_grpc
        database = cls.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            cls.personal_id = db.execute(
                "SELECT personal_id FROM citizens ORDER BY personal_id LIMIT 1").fetchone()[0]

    @classmethod
    def tearDownClass(cls):
        federation_fixture.stop(cls.state)

    def ndxpctl_verify(self):
        return subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), "audit", "verify",
                               "--database", self.endpoints["hub_database"]],
                              capture_output=True, text=True)

    def audit_rows(self):
        with sqlite3.connect(self.endpoints["hub_database"]) as db:
            return db.execute("SELECT request_id, consumer, service, method, status_code "
                              "FROM audit_log").fetchall()

    def counted(self):
        with sqlite3.connect(self.endpoints["hub_database"]) as db:
            return db.execute("SELECT COALESCE(SUM(count), 0) FROM counters").fetchone()[0]

    def hub_pid(self):
        with open(os.path.join(self.state, "run", "hub.pid")) as f:
            return int(f.read())

    def test_kill_minus_9_loses_no_answered_transaction(self):
        succeeded = []
        lock = threading.Lock()
        enough = threading.Event()
        stop = threading.Event()

        def client(worker):
            stub = self.pb_grpc.ResidentRegistryStub(connect_as(self.endpoints, "demo"))
            n = 0
            while not stop.is_set():
                request_id = "crash-%d-%d" % (worker, n)
                n += 1
                try:
                    stub.VerifyCitizen(self.pb.VerifyCitizenRequest(personal_id=self.personal_id),
                                       metadata=[PURPOSE, ("x-ndxp-request-id", request_id)],
                                       timeout=10)
                except grpc.RpcError:
                    return  # the hub is gone
                with lock:
                    succeeded.append(request_id)
                    if len(succeeded) >= 300:
                        enough.set()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        self.assertTrue(enough.wait(timeout=120), "the load never got going")
        os.kill(self.hub_pid(), signal.SIGKILL)  # while 8 clients are mid-call
        for t in threads:
            t.join(timeout=60)
        stop.set()

        recorded = {row[0] for row in self.audit_rows()}
        missing = [r for r in succeeded if r not in recorded]
        self.assertEqual(missing, [], "answered but not on record")
        self.assertEqual(self.counted(), len(self.audit_rows()))
        verified = self.ndxpctl_verify()
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)

        # A restarted hub continues the chain.
        ready = os.path.join(self.state, "run", "hub.ready")
        if os.path.exists(ready):
            os.remove(ready)
        with open(os.path.join(self.state, "logs", "hub-restart.log"), "wb") as log:
            hub = subprocess.Popen([os.path.join(BUILD, "bin", "ndxp-hub"), "--config",
                                    self.endpoints["hub_config"], "--ready-file", ready],
                                   stdout=log, stderr=log)
        try:
            deadline_checks = 0
            while not os.path.exists(ready):
                self.assertIsNone(hub.poll(), "the hub did not restart")
                deadline_checks += 1
                self.assertLess(deadline_checks, 3000, "the hub never became ready")
                threading.Event().wait(0.01)
            with open(ready) as f:
                address = f.read().strip()
            endpoints = dict(self.endpoints, hub=address)
            stub = self.pb_grpc.ResidentRegistryStub(connect_as(endpoints, "demo"))
            stub.VerifyCitizen(self.pb.VerifyCitizenRequest(personal_id=self.personal_id),
                               metadata=[PURPOSE, ("x-ndxp-request-id", "after-restart")],
                               timeout=10)
            self.assertIn("after-restart", {row[0] for row in self.audit_rows()})
            verified = self.ndxpctl_verify()
            self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        finally:
            hub.send_signal(signal.SIGTERM)
            hub.wait(timeout=30)

        row = self.audit_rows()[0]
        self.assertEqual(row[1:4], ("000.00.00.G12/tax-lookup",
                                    "ndxp.residents.v1.ResidentRegistry", "VerifyCitizen"))

        # Editing one row breaks the chain at that row.
        with sqlite3.connect(self.endpoints["hub_database"]) as db:
            victim = db.execute("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 10").fetchone()[0]
            db.execute("UPDATE audit_log SET status_code = 7 WHERE id = ?", (victim,))
        verified = self.ndxpctl_verify()
        self.assertEqual(verified.returncode, 1)
        self.assertIn("id %d" % victim, verified.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
