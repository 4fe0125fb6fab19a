#!/usr/bin/env python3
"""Durable recording over real processes: the hub is killed with SIGKILL while
a load runs; every call a client saw succeed must be in the audit log and the
counters, the hash chain must verify, a restarted hub must continue it, and an
edited row must be caught by `ndxpctl audit verify`. The hub signs its tree
(the federation gives it a log key): every answer acknowledged before the kill
carried a receipt (`x-ndxp-receipt`), and after the restart each one's
inclusion proof verifies against the newest signed checkpoint, checked with
RFC 9162's algorithms and the note's Ed25519 signature written in tlog.py;
`ndxpctl audit verify --log-vkey` recomputes the tree from the rows and checks
the tiles and every signed checkpoint against it.

Run by ctest:  test_recording_crash.py BUILD_DIR
"""

import base64
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

import grpc
from tlog import open_note, verify_inclusion

import federation_fixture  # noqa: E402  (puts clients/python on the path)
from federation_fixture import ROOT  # noqa: E402
from ndxp_client import PROTOS, connect_as, generate_stubs  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
PURPOSE = ("x-ndxp-purpose", "crash test")
RECEIPT = "x-ndxp-receipt"


class RecordingCrashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.endpoints = federation_fixture.start(
            BUILD, "ndxp-crash-", "--recording", "durable", population=2000)
        stubs = generate_stubs(os.path.join(cls.state, "python-stubs"),
                               PROTOS + ["ndxp/hub/v1/transparency.proto"])
        cls.pb, cls.pb_grpc = stubs.residents_pb2, stubs.residents_pb2_grpc
        cls.tlog_pb, cls.tlog_grpc = stubs.transparency_pb2, stubs.transparency_pb2_grpc
        database = cls.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            cls.personal_id = db.execute(
                "SELECT personal_id FROM citizens ORDER BY personal_id LIMIT 1").fetchone()[0]

    @classmethod
    def tearDownClass(cls):
        federation_fixture.stop(cls.state)

    def ndxpctl_verify(self):
        vkeys = [arg for vkey in self.endpoints["audit_log_vkeys"]
                 for arg in ("--log-vkey", self.vkey_file(vkey))]
        return subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), "audit", "verify",
                               "--database", self.endpoints["hub_database"], *vkeys],
                              capture_output=True, text=True)

    def vkey_file(self, vkey):
        path = os.path.join(self.state, "log-%s.vkey" % vkey.split("+")[1])
        with open(path, "w") as f:
            f.write(vkey + "\n")
        return path

    def prove_every_receipt(self, endpoints, receipts):
        """Waits (with a deadline) for a signed checkpoint covering every
        receipt, checks its signature, then each receipt's inclusion proof,
        asked by the calls' consumer in batches of concurrent calls."""
        stub = self.tlog_grpc.TransparencyStub(connect_as(endpoints, "demo"))
        needed = max(index for _, index, _ in receipts) + 1
        deadline = time.monotonic() + 120
        while True:
            checkpoint = stub.GetCheckpoint(self.tlog_pb.GetCheckpointRequest(), timeout=10)
            if checkpoint.tree_size >= needed:
                break
            self.assertLess(time.monotonic(), deadline,
                            "no checkpoint covers leaf %d: %s" % (needed - 1, checkpoint))
            threading.Event().wait(0.05)
        _, size, root = open_note(checkpoint.checkpoint,
                                  self.endpoints["audit_log_vkeys"][-1]).splitlines()
        size, root = int(size), base64.b64decode(root)
        self.assertEqual((size, root), (checkpoint.tree_size, checkpoint.root_hash))
        for start in range(0, len(receipts), 64):
            batch = receipts[start:start + 64]
            futures = [stub.GetInclusionProof.future(self.tlog_pb.GetInclusionProofRequest(
                replica=replica, leaf_index=index, tree_size=size), timeout=30)
                for replica, index, _ in batch]
            for (replica, index, leaf), future in zip(batch, futures):
                proof = future.result()
                self.assertEqual(proof.leaf_hash.hex(), leaf, "receipt %s:%d" % (replica, index))
                self.assertTrue(verify_inclusion(proof.leaf_hash, index, size,
                                                 list(proof.hashes), root),
                                "receipt %s:%d is not in the signed tree of size %d"
                                % (replica, index, size))
        return size

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
        succeeded, receipts = [], []
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
                    _, call = stub.VerifyCitizen.with_call(
                        self.pb.VerifyCitizenRequest(personal_id=self.personal_id),
                        metadata=[PURPOSE, ("x-ndxp-request-id", request_id)], timeout=10)
                except grpc.RpcError:
                    return  # the hub is gone
                receipt = dict(call.trailing_metadata()).get(RECEIPT)
                with lock:
                    succeeded.append(request_id)
                    receipts.append(receipt)
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

            # Every acknowledged answer carried a receipt, and each is in the
            # tree the restarted hub signs: the tree's right edge was reloaded
            # from what the crash left.
            self.assertNotIn(None, receipts, "an acknowledged answer without a receipt")
            parsed = [(replica, int(index), leaf)
                      for replica, index, leaf in (r.rsplit(":", 2) for r in receipts)]
            self.assertEqual(len({index for _, index, _ in parsed}), len(parsed))
            size = self.prove_every_receipt(endpoints, parsed)
            verified = self.ndxpctl_verify()
            self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
            self.assertRegex(verified.stdout, r"\d+ tree checkpoints? checked")
            self.assertIn("tree size %d" % size, verified.stdout)
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
