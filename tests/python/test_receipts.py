#!/usr/bin/env python3
"""Receipts (docs/design.md "Transparency"): a durably recorded call's answer
says where its audit row is, `x-ndxp-receipt: <replica>:<leaf index>:<leaf
hash>`, on every door, over a real hub, real TLS, real curl and a real SQLite
file:

- gRPC unary and server streams carry it in their trailers, Connect unary as
  `trailer-x-ndxp-receipt`, REST as a header;
- it names the call's own row: the replica and seq - 1 of the row with the
  call's request id, and the leaf hash SHA-256(0x00 || encoding) recomputed
  here from the row's columns with the encoding of
  gateway/recording/audit_chain.h written again from its comment (the same
  encoding's chain hash is checked against the row's `hash` too);
- a connector's own x-ndxp-receipt never reaches the caller (the scripted
  connector sends "forged");
- FAST recording and recording off give no receipt: nothing is on record
  when their answers leave.

Run by ctest:  test_receipts.py BUILD_DIR
"""

import hashlib
import os
import sqlite3
import struct
import subprocess
import sys
import unittest

from hub_fixture import Hub, ROOT
from raw_h2 import RawH2Connection, grpc_frame

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
INBOX = "/ndxp.documents.v1.DocumentExchange/ReceiveInbox"
PAYLOAD = b"\x0a\x04ping"  # EchoRequest{payload: "ping"}
RECEIPT = b"x-ndxp-receipt"


def encode_v4(row):
    """The canonical v4 encoding of an audit row (audit_chain.h)."""
    out = b""

    def string(value):
        nonlocal out
        data = value.encode()
        out += struct.pack(">I", len(data)) + data

    def integer(value):
        nonlocal out
        out += struct.pack(">q", value)

    string("ndxp-audit-v4")
    string(row["replica"])
    integer(row["seq"])
    integer(row["time_micros"])
    for name in ("request_id", "consumer", "provider", "service", "method"):
        string(row[name])
    for name in ("status_code", "latency_micros", "request_bytes", "response_bytes"):
        integer(row[name])
    for name in ("purpose", "refusal", "via", "row_kind", "door", "refusal_kind"):
        string(row[name])
    integer(row["repeat_count"])
    string(row["subject_key_id"])
    string(row["subjects"])
    integer(row["visible_after"])
    return out


def parse_receipt(value):
    replica, index, leaf = value.rsplit(":", 2)
    return replica, int(index), leaf


class ReceiptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, recording="DURABLE")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def connect(self):
        connection = RawH2Connection(self.hub.address, *self.hub.files("caller"))
        self.addCleanup(connection.close)
        return connection

    def row(self, request_id):
        with sqlite3.connect("file:%s?mode=ro" % self.hub.database, uri=True) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM audit_log WHERE request_id = ?",
                              (request_id,)).fetchall()
        self.assertEqual(len(rows), 1, "one row for request id %s" % request_id)
        return dict(rows[0])

    def assert_receipt_names_its_row(self, receipt, request_id):
        self.assertIsNotNone(receipt, "no x-ndxp-receipt")
        replica, index, leaf = parse_receipt(receipt)
        row = self.row(request_id)
        self.assertEqual(row["encoding"], 4)
        self.assertEqual((replica, index), (row["replica"], row["seq"] - 1))
        encoding = encode_v4(row)
        self.assertEqual(hashlib.sha256(row["prev_hash"] + encoding).digest(), row["hash"],
                         "the encoding written again here is the hub's")
        self.assertEqual(leaf, hashlib.sha256(b"\x00" + encoding).hexdigest())

    def curl(self, path, body, content_type, request_id):
        """The answer's header fields (lower-case names) of a POST over HTTP/2."""
        ca, cert, key = self.hub.files("caller")
        argv = ["curl", "--silent", "--show-error", "--http2", "--cacert", ca, "--cert", cert,
                "--key", key, "--dump-header", "-", "--output", os.devnull,
                "--data-binary", "@-", "-H", "content-type: " + content_type,
                "-H", "x-ndxp-request-id: " + request_id,
                "https://localhost:%s%s" % (self.hub.address.rsplit(":", 1)[1], path)]
        done = subprocess.run(argv, input=body, capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        fields = {}
        for line in done.stdout.decode().split("\r\n")[1:]:
            name, _, value = line.partition(":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())
        return fields

    def test_a_grpc_answer_carries_its_receipt_in_its_trailers(self):
        answer = self.connect().call(ECHO, PAYLOAD,
                                     [("x-ndxp-request-id", "receipt-grpc")])
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assertNotIn(RECEIPT, dict(answer.headers), "after the commit: not in the headers")
        receipts = [v.decode() for k, v in answer.trailers if k == RECEIPT]
        self.assertEqual(len(receipts), 1, answer.trailers)
        self.assert_receipt_names_its_row(receipts[0], "receipt-grpc")

    def test_two_calls_have_two_rows(self):
        first = self.connect().call(ECHO, PAYLOAD, [("x-ndxp-request-id", "two-1")])
        second = self.connect().call(ECHO, PAYLOAD, [("x-ndxp-request-id", "two-2")])
        one, other = parse_receipt(first.header(RECEIPT)), parse_receipt(second.header(RECEIPT))
        self.assertGreater(other[1], one[1])
        self.assertNotEqual(one[2], other[2])

    def test_a_server_stream_ends_with_the_hubs_receipt_not_the_connectors(self):
        answer = self.connect().call(INBOX, b"",
                                     [("x-fake", "stream"), ("x-ndxp-request-id", "receipt-stream")])
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        receipts = [v.decode() for k, v in answer.headers + answer.trailers if k == RECEIPT]
        self.assertEqual(len(receipts), 1, "the connector's \"forged\" is dropped: %s" % receipts)
        self.assertNotEqual(receipts[0], "forged")
        self.assert_receipt_names_its_row(receipts[0], "receipt-stream")

    def test_a_connect_unary_answer_carries_it_as_a_trailer_header(self):
        fields = self.curl(ECHO, b'{"payload": "cGluZw=="}', "application/json", "receipt-connect")
        self.assertNotIn("x-ndxp-receipt", fields)
        self.assertEqual(len(fields.get("trailer-x-ndxp-receipt", [])), 1, fields)
        self.assert_receipt_names_its_row(fields["trailer-x-ndxp-receipt"][0], "receipt-connect")

    def test_a_rest_answer_carries_it_as_a_header(self):
        fields = self.curl("/v1/echo", b'{"payload": "cGluZw=="}', "application/json",
                           "receipt-rest")
        self.assertEqual(len(fields.get("x-ndxp-receipt", [])), 1, fields)
        self.assert_receipt_names_its_row(fields["x-ndxp-receipt"][0], "receipt-rest")


class NoReceiptTest(unittest.TestCase):
    """Without durable recording the answer leaves before its row exists."""

    def call(self, recording):
        hub = Hub(BUILD, recording=recording)
        try:
            with RawH2Connection(hub.address, *hub.files("caller")) as connection:
                answer = connection.call(ECHO, PAYLOAD)
        finally:
            hub.stop()
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        return answer

    def test_fast_recording_gives_no_receipt(self):
        self.assertIsNone(self.call("FAST").header(RECEIPT))

    def test_recording_off_gives_no_receipt(self):
        self.assertIsNone(self.call(None).header(RECEIPT))


if __name__ == "__main__":
    unittest.main(verbosity=2)
