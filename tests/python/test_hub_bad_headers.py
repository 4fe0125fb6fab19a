#!/usr/bin/env python3
"""No request header can crash the hub: every variant that once aborted it
(GRPC_CALL_ERROR_INVALID_METADATA) is sent as raw HTTP/2 bytes, and each must
be answered INVALID_ARGUMENT naming the header, with the request id echoed,
while a well-behaved client calling at the same time sees no error. A
Vietnamese purpose sent percent-encoded passes and is decoded in the audit log.

Run by ctest:  test_hub_bad_headers.py BUILD_DIR
"""

import os
import sqlite3
import sys
import threading
import unittest

import grpc

import federation_fixture
from federation_fixture import ROOT
from ndxp_client import connect_as, generate_stubs
from raw_h2 import RawH2Connection

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
PING = b"\x0a\x04ping"  # EchoRequest{payload: "ping"}
GET_CITIZEN = "/ndxp.residents.v1.ResidentRegistry/GetCitizen"
VIETNAMESE_PURPOSE = "Kiểm tra hồ sơ đăng ký khai sinh"

# (what, header name, header value, the name the refusal must mention)
CRASH_VARIANTS = [
    ("upper-case name", b"X-Custom", b"v", "X-Custom"),
    ("upper-case federation header", b"X-NDXP-Consumer", b"spiffe://x", "X-NDXP-Consumer"),
    ("space in name", b"x custom", b"v", "x custom"),
    ("CR LF in name", b"x-a\r\nx-b", b"v", "x-a\\x0d\\x0ax-b"),
    ("control byte in value", b"x-custom", b"a\x01b", "x-custom"),
    ("NUL in value", b"x-custom", b"a\x00b", "x-custom"),
    ("CR LF in value", b"x-custom", b"a\r\nx-injected: 1", "x-custom"),
    ("DEL in value", b"x-custom", b"\x7f", "x-custom"),
    ("Latin-1 byte in value", b"x-custom", b"caf\xe9", "x-custom"),
    ("UTF-8 value", b"x-custom", "Hà Nội".encode(), "x-custom"),
    ("raw UTF-8 purpose", b"x-ndxp-purpose", VIETNAMESE_PURPOSE.encode(), "x-ndxp-purpose"),
    ("non-ASCII request id", b"x-ndxp-request-id", "mã-1".encode(), "x-ndxp-request-id"),
    # Forwarded raw, a -bin value that is not base64 broke the connector's
    # HTTP/2 parser and every call sharing the hub's connection to it.
    ("-bin value not base64", b"x-trace-bin", b"!!!", "x-trace-bin"),
]


class BadHeadersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.endpoints = federation_fixture.start(BUILD, "ndxp-bad-headers-")
        cls.stubs = generate_stubs(os.path.join(cls.state, "python-stubs"))

    @classmethod
    def tearDownClass(cls):
        federation_fixture.stop(cls.state)

    def raw_as(self, identity):
        who = self.endpoints["identities"][identity]
        connection = RawH2Connection(self.endpoints["hub"], self.endpoints["ca"], who["cert"],
                                     who["key"])
        self.addCleanup(connection.close)
        return connection

    def test_every_crash_variant_is_invalid_argument_and_harms_no_one(self):
        echo = connect_as(self.endpoints, "loadtest").unary_unary(ECHO)
        errors, calls, stop = [], [0], threading.Event()

        def good_client():
            while not stop.is_set():
                try:
                    if echo(PING, timeout=10) != PING:
                        errors.append("wrong answer")
                except grpc.RpcError as e:  # noqa: PERF203
                    errors.append("%s: %s" % (e.code(), e.details()))
                calls[0] += 1

        worker = threading.Thread(target=good_client)
        worker.start()
        try:
            for what, name, value, named in CRASH_VARIANTS:
                with self.subTest(what):
                    # A fresh connection each time: one bad request must not
                    # take even its own connection down for the next one.
                    raw = self.raw_as("loadtest")
                    answer = raw.call(ECHO, PING, [(name, value)])
                    self.assertIsNone(answer.goaway, "the connection survived")
                    self.assertEqual(answer.grpc_status, 3, answer.grpc_message)  # INVALID_ARGUMENT
                    self.assertIn(named, answer.grpc_message)
                    self.assertTrue(answer.header(b"x-ndxp-request-id"),
                                    "the refusal echoes a request id")
                    self.assertEqual(raw.call(ECHO, PING).data[5:], PING,
                                     "the same connection still carries good calls")
        finally:
            stop.set()
            worker.join()
        self.assertEqual(errors, [])
        self.assertGreater(calls[0], 0)
        self.assertEqual(echo(PING, timeout=10), PING, "the hub is alive")

    def test_refusal_echoes_the_callers_valid_request_id(self):
        answer = self.raw_as("loadtest").call(
            ECHO, PING, [(b"x-ndxp-request-id", b"mine-42"), (b"x-custom", b"\x01")])
        self.assertEqual(answer.grpc_status, 3)
        self.assertEqual(answer.header(b"x-ndxp-request-id"), "mine-42")

    def test_percent_encoded_vietnamese_purpose_is_decoded_in_the_audit_log(self):
        from urllib.parse import quote
        residents = self.stubs.residents_pb2
        database = self.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            (personal_id,) = db.execute("SELECT personal_id FROM citizens LIMIT 1").fetchone()
        stub = self.stubs.residents_pb2_grpc.ResidentRegistryStub(
            connect_as(self.endpoints, "demo"))
        encoded = quote(VIETNAMESE_PURPOSE, safe=" ")
        stub.GetCitizen(residents.GetCitizenRequest(personal_id=personal_id),
                        metadata=[("x-ndxp-purpose", encoded),
                                  ("x-ndxp-request-id", "purpose-vi-1")], timeout=10)
        with sqlite3.connect("file:%s?mode=ro" % self.endpoints["hub_database"], uri=True) as db:
            (purpose,) = db.execute("SELECT purpose FROM audit_log WHERE request_id = ?",
                                    ("purpose-vi-1",)).fetchone()
        self.assertEqual(purpose, VIETNAMESE_PURPOSE)


if __name__ == "__main__":
    unittest.main()
