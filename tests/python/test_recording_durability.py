#!/usr/bin/env python3
"""What durable recording promises, tried with the store's commit held and
failed on purpose (ndxp-hub --test-faults DIR), refused calls on record, and
the audit chain anchored by signed checkpoints, over a real hub, real TLS and
a real SQLite file:

- a durable answer is not released while its commit is held (with
  `--recording fast`, or without the hold in the transport, this fails);
- a failed commit answers UNAVAILABLE and the call is not counted;
- every call refused after the handshake is an audit row marked refused, in
  the same chain, counted under its status in refused_counters only; a
  flood of one refusal is its first row and a summary row a second, which
  count every call;
- a call its caller cancels (resets the stream, or closes the connection,
  as ghz does at the end of a run) is recorded CANCELLED, and a connector's
  failure UNAVAILABLE: the statistics tell one from the other
  (gateway/statistics/outcomes.h counts only CANCELLED as cancelled);
- `ndxpctl audit verify` finds rows deleted at the end of the chain (the
  checkpoint the hub signed at shutdown), a counter edited +1000 (naming it)
  and a forged checkpoint.

Run by ctest:  test_recording_durability.py BUILD_DIR
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

import h2.events

from hub_fixture import ECHO_SERVICE, FAKE_METHOD, Hub, ROOT
from raw_h2 import RawH2Connection, grpc_frame

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
# FAST instead of DURABLE shows the hold test failing (used to check the test).
MODE = os.environ.get("NDXP_TEST_RECORDING_MODE", "DURABLE")
PAYLOAD = b"\x0a\x04ping"  # EchoRequest{payload: "ping"}


def wait_until(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def ndxpctl_verify(database, *args):
    return subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), "audit", "verify",
                           "--database", database, *args], capture_output=True, text=True)


class RecordingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.faults = tempfile.mkdtemp(prefix="ndxp-faults-")
        cls.hub = Hub(BUILD, recording=MODE, hub_args=["--test-faults", cls.faults])

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.faults, ignore_errors=True)

    def connect(self, who="caller"):
        connection = RawH2Connection(self.hub.address, *self.hub.files(who))
        self.addCleanup(connection.close)
        return connection

    def fault(self, name, on):
        path = os.path.join(self.faults, name)
        if on:
            open(path, "w").close()
        elif os.path.exists(path):
            os.remove(path)

    def rows(self, sql, *args):
        with sqlite3.connect("file:%s?mode=ro" % self.hub.database, uri=True) as db:
            return db.execute(sql, args).fetchall()

    def audit_row(self, request_id):
        rows = self.rows("SELECT status_code, refusal, consumer, service, method FROM audit_log "
                         "WHERE request_id = ?", request_id)
        return rows[0] if rows else None

    def counted(self, table, status):
        return self.rows("SELECT COALESCE(SUM(count), 0) FROM %s WHERE status_code = ?" % table,
                         status)[0][0]


class DurabilityTest(RecordingTest):

    def tearDown(self):
        self.fault("hold", False)
        self.fault("fail", False)

    def test_a_durable_answer_waits_for_its_commit(self):
        self.fault("hold", True)
        raw = self.connect()
        stream = raw.request_headers(ECHO, [("x-ndxp-request-id", "held-1")])
        raw.send_body(stream, grpc_frame(PAYLOAD), end_stream=True)
        holding = os.path.join(self.faults, "holding")
        self.assertTrue(wait_until(lambda: os.path.exists(holding)), "no commit was held")

        # The connector has answered and the commit is held: nothing of the
        # answer's end may reach the caller. A bound, not a timing: FAST mode
        # releases it in microseconds.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            for event in raw.events(timeout=0.05):
                if isinstance(event, (h2.events.StreamEnded, h2.events.TrailersReceived)):
                    self.assertNotEqual(event.stream_id, stream,
                                        "the answer was released before its commit")
        self.assertIsNone(self.audit_row("held-1"))

        self.fault("hold", False)
        answer = raw.read_until_end(stream)
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assertEqual(self.audit_row("held-1")[:2], (0, ""))

    def test_a_failed_commit_answers_unavailable_and_is_not_counted(self):
        ok_before = self.counted("counters", 0)
        self.fault("fail", True)
        answer = self.connect().call(ECHO, PAYLOAD, [("x-ndxp-request-id", "failed-1")])
        self.assertEqual(answer.grpc_status, 14, answer.grpc_message)  # UNAVAILABLE
        self.assertIn("could not record", answer.grpc_message)
        self.assertIsNone(self.audit_row("failed-1"))
        self.assertEqual(self.counted("counters", 0), ok_before)

        self.fault("fail", False)
        answer = self.connect().call(ECHO, PAYLOAD, [("x-ndxp-request-id", "after-failure")])
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assertEqual(self.counted("counters", 0), ok_before + 1)


class RefusalsTest(RecordingTest):

    def test_every_refusal_after_the_handshake_is_on_record(self):
        forwarded_before = self.rows("SELECT COALESCE(SUM(count), 0) FROM counters")[0][0]
        cases = [  # (who, path, headers, status, service on record)
            ("stranger", ECHO, [], 7, ECHO_SERVICE),                         # PERMISSION_DENIED
            ("caller", "/ndxp.nowhere.v1.Made/Up", [], 12, ""),             # UNIMPLEMENTED
            ("caller", ECHO, [("x-ndxp-purpose", "a"), ("x-ndxp-purpose", "b")], 3,
             ECHO_SERVICE),                                                   # INVALID_ARGUMENT
            ("caller", ECHO, [("x-big", "v" * 4000)] * 250, 8, ECHO_SERVICE),  # RESOURCE_EXHAUSTED
        ]
        for n, (who, path, headers, status, service) in enumerate(cases):
            with self.subTest(status=status):
                request_id = "refused-%d" % n
                answer = self.connect(who).call(
                    path, PAYLOAD, [("x-ndxp-request-id", request_id)] + headers)
                self.assertEqual(answer.grpc_status, status, answer.grpc_message)
                # Refusals are not waited for: poll for the row. (A header
                # block over the limit keeps the request id it brought first.)
                key = request_id
                self.assertTrue(wait_until(lambda: self.rows(
                    "SELECT 1 FROM audit_log WHERE request_id = ? AND status_code = ?",
                    key, status)), "no audit row for %s" % request_id)
                row = self.rows("SELECT refusal, service, consumer FROM audit_log "
                                "WHERE request_id = ? AND status_code = ?", key, status)[0]
                self.assertNotEqual(row[0], "", "not marked refused")
                self.assertEqual(row[1], service)
                self.assertEqual(self.counted("refused_counters", status), 1)
        # Refusals are counted apart: the growth figures' counters hold
        # forwarded calls only.
        self.assertEqual(self.rows("SELECT COALESCE(SUM(count), 0) FROM counters")[0][0],
                         forwarded_before)
        verified = ndxpctl_verify(self.hub.database)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)


class RefusalFloodTest(RecordingTest):

    def statuses(self, raw, streams):
        """grpc-status of each of `streams` as they end (trailers-only answers)."""
        statuses, deadline = {}, time.monotonic() + 20
        while len(statuses) < len(streams) and time.monotonic() < deadline:
            for event in raw.events(timeout=0.5):
                if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                    for name, value in event.headers:
                        if name == b"grpc-status":
                            statuses[event.stream_id] = int(value)
        return [statuses.get(stream) for stream in streams]

    def test_a_flood_of_one_refusal_is_summarised_and_counted_whole(self):
        """A member granted nothing calls 300 times: every call is answered
        PERMISSION_DENIED and counted, but the audit log keeps the first of the
        key as a row and its repeats within each second as one summary row."""
        def totals():
            return self.rows(
                "SELECT COUNT(*), COALESCE(SUM(repeat_count), 0) FROM audit_log "
                "WHERE consumer LIKE '%/stranger' AND refusal_kind = 'permission_denied'")[0]
        rows_before, calls_before = totals()
        counted_before = self.counted("refused_counters", 7)
        raw = self.connect("stranger")
        calls = 300
        for _ in range(calls // 50):  # 50 streams at a time, well under the stream limit
            streams = []
            for _ in range(50):
                stream = raw.request_headers(ECHO, [])
                raw.send_body(stream, grpc_frame(PAYLOAD), end_stream=True)
                streams.append(stream)
            self.assertEqual(self.statuses(raw, streams), [7] * len(streams))
        # Summaries are written when their second ends: poll for the count.
        self.assertTrue(wait_until(lambda: totals()[1] - calls_before == calls),
                        "calls on record: %s" % (totals()[1] - calls_before))
        rows = totals()[0] - rows_before
        self.assertLess(rows, calls // 10, "%d rows for %d refusals" % (rows, calls))
        summaries = self.rows("SELECT request_id, repeat_count FROM audit_log WHERE "
                              "row_kind = 'refusal_summary' AND consumer LIKE '%/stranger'")
        self.assertTrue(summaries)
        self.assertTrue(all(request_id == "" for request_id, _ in summaries))
        self.assertEqual(self.counted("refused_counters", 7) - counted_before, calls)
        verified = ndxpctl_verify(self.hub.database)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        self.assertIn("counters reconciled", verified.stdout)
        # The operators' figures (the Statistics API) count every one of them.
        ca, cert, key = self.hub.files("operator")
        stats = subprocess.run(
            [os.path.join(BUILD, "bin", "ndxpctl"), "stats", "--period", "cumulative",
             "--anchor", "2999-12-31", "--calls", "refused", "--group-by", "consumer",
             "--format", "csv", "--hub", self.hub.address, "--ca", ca, "--cert", cert,
             "--key", key], capture_output=True, text=True)
        self.assertEqual(stats.returncode, 0, stats.stdout + stats.stderr)
        self.assertRegex(stats.stdout, r"stranger\S*,%d\n" % calls, stats.stdout)


class CancelledCallsTest(RecordingTest):
    """What the hub records when the caller goes away, against a connector's
    own failure: the premise of counting CANCELLED apart from the errors."""

    def status_of(self, request_id):
        self.assertTrue(wait_until(lambda: self.audit_row(request_id) is not None),
                        "no audit row for %s" % request_id)
        return self.audit_row(request_id)[:2]

    def hanging_call(self, raw, request_id):
        """A call the scripted connector holds unanswered, once it has it."""
        requests = self.hub.fake.requests
        stream = raw.request_headers(FAKE_METHOD, [("x-fake", "hang"),
                                                   ("x-ndxp-request-id", request_id)])
        raw.send_body(stream, grpc_frame(b""), end_stream=True)
        self.assertTrue(wait_until(lambda: self.hub.fake.requests > requests),
                        "the call never reached the connector")
        return stream

    def test_a_call_reset_by_its_caller_is_cancelled(self):
        raw = self.connect()
        stream = self.hanging_call(raw, "reset-by-caller")
        raw.conn.reset_stream(stream, error_code=8)  # CANCEL
        raw._flush()
        self.assertEqual(self.status_of("reset-by-caller"), (1, ""))  # CANCELLED, forwarded

    def test_a_call_cut_by_its_callers_closed_connection_is_cancelled(self):
        # ghz's --duration-stop=close: the connection goes with calls in flight
        # (ghz itself then reports UNAVAILABLE or CANCELLED for them).
        raw = self.connect()
        self.hanging_call(raw, "connection-closed")
        raw.sock.close()
        self.assertEqual(self.status_of("connection-closed"), (1, ""))

    def test_a_connectors_failure_is_unavailable(self):
        answer = self.connect().call(FAKE_METHOD, b"", [("x-fake", "header-bomb"),
                                                        ("x-ndxp-request-id", "connector-broke")])
        self.assertEqual(answer.grpc_status, 14, answer.grpc_message)
        self.assertEqual(self.status_of("connector-broke"), (14, ""))


class AnchoredChainTest(unittest.TestCase):
    """The hub's checkpoint of its chain's head, written at shutdown."""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, recording="DURABLE")
        raw = RawH2Connection(cls.hub.address, *cls.hub.files("caller"))
        for n in range(60):
            answer = raw.call(ECHO, PAYLOAD, [("x-ndxp-request-id", "anchored-%d" % n)])
            assert answer.grpc_status == 0, answer.grpc_message
        raw.close()
        cls.hub.stop_hub()
        cls.ca = cls.hub.files("caller")[0]

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def copy(self):
        """The database and its checkpoint, copied to tamper with."""
        directory = tempfile.mkdtemp(prefix="ndxp-tamper-")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        database = os.path.join(directory, "hub.db")
        shutil.copy(self.hub.database, database)
        shutil.copy(self.hub.database + ".checkpoint.hub-1", database + ".checkpoint.hub-1")
        return database

    def test_the_intact_log_verifies_up_to_the_checkpoint(self):
        verified = ndxpctl_verify(self.copy(), "--ca", self.ca)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        self.assertIn("checkpoint of replica hub-1: seq 60", verified.stdout)
        self.assertIn("counters reconciled", verified.stdout)

    def test_deleting_the_last_50_rows_is_reported(self):
        database = self.copy()
        with sqlite3.connect(database) as db:
            db.execute("DELETE FROM audit_log WHERE seq > 10")
        verified = ndxpctl_verify(database, "--ca", self.ca)
        self.assertEqual(verified.returncode, 1, verified.stdout)
        self.assertIn("rows seq 11..60 missing at the end", verified.stderr)

    def test_an_expected_head_beyond_the_chain_is_reported(self):
        database = self.copy()
        os.remove(database + ".checkpoint.hub-1")
        with sqlite3.connect(database) as db:
            seq, digest = db.execute("SELECT seq, hex(hash) FROM audit_log "
                                     "ORDER BY seq DESC LIMIT 1").fetchone()
            db.execute("DELETE FROM audit_log WHERE seq > 10")
        verified = ndxpctl_verify(database, "--expect-head", "%d:%s" % (seq, digest))
        self.assertEqual(verified.returncode, 1, verified.stdout)
        self.assertIn("rows seq 11..60 missing at the end", verified.stderr)

    def test_a_counter_edited_by_1000_is_named(self):
        database = self.copy()
        with sqlite3.connect(database) as db:
            db.execute("UPDATE counters SET count = count + 1000")
        verified = ndxpctl_verify(database, "--ca", self.ca)
        self.assertEqual(verified.returncode, 1, verified.stdout)
        self.assertIn("consumer 000.00.00.G12/caller, method %s/Echo, status OK: counters say "
                      "1060, audit rows 60" % ECHO_SERVICE, verified.stderr)

    def test_a_forged_checkpoint_is_refused(self):
        database = self.copy()
        path = database + ".checkpoint.hub-1"
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:  # claims fewer rows, so deleting some would pass
            f.write(text.replace("\nseq 60\n", "\nseq 10\n"))
        verified = ndxpctl_verify(database, "--ca", self.ca)
        self.assertEqual(verified.returncode, 1, verified.stdout)
        self.assertIn("forged or altered", verified.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
