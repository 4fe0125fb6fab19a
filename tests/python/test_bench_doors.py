"""ndxp-bench's --door against a real hub (and the real echo connector):
connect-h2 and connect-h1 make Connect JSON calls that the hub answers and
records as its JSON door's, grpc and grpc-h2 (gRPC on the JSON door's
client) gRPC calls; a refusal, a request the hub
cannot read and usage errors are counted or refused, not passed as load.
No timing assertion: only what the calls were and how they were counted.

Usage: test_bench_doors.py BUILD_DIR [unittest args]
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from hub_fixture import Hub, ROOT

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
BENCH = os.path.join(BUILD, "bin", "ndxp-bench")


class BenchDoorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, recording="DURABLE")
        cls.dir = tempfile.mkdtemp(prefix="ndxp-bench-doors-")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def bench(self, door, who="caller", concurrency=2, extra=()):
        """(exit status, summary or None, stderr) of a short run through `door`."""
        ca, cert, key = self.hub.files(who)
        summary = os.path.join(self.dir, "summary.json")
        if os.path.exists(summary):
            os.unlink(summary)
        done = subprocess.run(
            [BENCH, "--door", door, "--target", self.hub.address, "--ca", ca, "--cert", cert,
             "--key", key, "--payload-bytes", "100", "--concurrency", str(concurrency),
             "--connections", "1", "--duration", "0.5", "--warmup", "0", "--timeout-ms", "5000",
             "--json", summary, *extra],
            capture_output=True, text=True, timeout=60)
        result = None
        if os.path.exists(summary):
            with open(summary) as f:
                result = json.load(f)
        return done.returncode, result, done.stderr

    def audit_rows(self, door):
        with sqlite3.connect(self.hub.database) as db:
            return db.execute("SELECT COUNT(*) FROM audit_log WHERE door = ?", (door,)).fetchone()[0]

    def test_each_door_makes_calls_that_the_hub_answers_and_records_as_that_doors(self):
        for door, recorded_as in (("connect-h2", "connect"), ("connect-h1", "connect"),
                                  ("grpc", "grpc"), ("grpc-h2", "grpc")):
            with self.subTest(door=door):
                before = self.audit_rows(recorded_as)
                status, result, stderr = self.bench(door)
                self.assertEqual(status, 0, stderr)
                self.assertEqual(result["door"], door)
                self.assertGreater(result["ok"], 0)
                self.assertEqual(result["errors"], 0, result["errors_by_code"])
                self.assertEqual(list(result["answered_by_code"]), ["OK"])
                self.assertIn("p50", result["latency_ms"])
                # Every answered call is in the audit log under its door (durable
                # recording: written before the answer went out).
                self.assertGreaterEqual(self.audit_rows(recorded_as) - before,
                                        result["answered_by_code"]["OK"])

    def test_over_http1_there_is_a_connection_per_call_in_flight(self):
        status, result, stderr = self.bench("connect-h1", concurrency=3)
        self.assertEqual(status, 0, stderr)
        self.assertEqual(result["connections"], 3)  # --connections 1 does not apply
        status, result, stderr = self.bench("connect-h2", concurrency=3)
        self.assertEqual(status, 0, stderr)
        self.assertEqual(result["connections"], 1)

    def test_a_refused_call_counts_as_an_error_by_its_code(self):
        for door in ("connect-h2", "connect-h1", "grpc-h2", "grpc"):
            with self.subTest(door=door):
                status, result, stderr = self.bench(door, who="stranger")  # granted nothing
                self.assertEqual(status, 0, stderr)
                self.assertEqual(result["ok"], 0)
                self.assertGreater(result["errors"], 0)
                self.assertEqual(list(result["errors_by_code"]), ["PERMISSION_DENIED"])

    def test_a_request_file_is_the_json_body(self):
        good = os.path.join(self.dir, "good.json")
        with open(good, "w") as f:
            f.write('{"payload": "aGVsbG8="}')
        bad = os.path.join(self.dir, "bad.json")
        with open(bad, "w") as f:
            f.write('{"payload": ')  # not JSON: the hub answers invalid_argument
        for door in ("connect-h2", "connect-h1"):
            with self.subTest(door=door):
                status, result, stderr = self.bench(door, extra=("--request-file", good))
                self.assertEqual(status, 0, stderr)
                self.assertGreater(result["ok"], 0)
                self.assertEqual(result["errors"], 0, result["errors_by_code"])
                status, result, stderr = self.bench(door, extra=("--request-file", bad))
                self.assertEqual(status, 0, stderr)
                self.assertEqual(result["ok"], 0)
                self.assertEqual(list(result["errors_by_code"]), ["INVALID_ARGUMENT"])

    def test_usage_errors(self):
        for extra in (("--door", "connect-h3"), ("--door", "connect-h2", "--rate", "10")):
            with self.subTest(extra=extra):
                done = subprocess.run([BENCH, "--target", self.hub.address, "--ca", "x",
                                       "--cert", "x", "--key", "x", *extra],
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("--door" if "connect-h3" in extra else "--rate", done.stderr)
        done = subprocess.run([BENCH, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0)
        self.assertIn("connect-h1", done.stdout)

    def test_a_door_the_server_does_not_offer_fails_the_run(self):
        """The echo connector speaks gRPC over h2 only: HTTP/1.1 is refused at
        the handshake, and ndxp-bench says so (exit 1), before any load."""
        ca, cert, key = self.hub.files("caller")
        done = subprocess.run([BENCH, "--door", "connect-h1", "--target", self.hub.echo_address,
                               "--ca", ca, "--cert", cert, "--key", key, "--duration", "0.2"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 1, done.stderr)


if __name__ == "__main__":
    unittest.main()
