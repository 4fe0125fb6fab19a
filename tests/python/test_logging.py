#!/usr/bin/env python3
"""Log lines from real processes, in both forms: a hub started with
--log-format json writes one JSON object a line (time, level, program,
component, message), refused TLS handshakes name the peer's address and the
refused certificate's serial; a connector's default text lines carry the same
fields. And what the hub answers callers when a connector is unreachable or
broken names the service, never the connector's internal address.

Run by ctest:  test_logging.py BUILD_DIR
"""

import datetime
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import unittest

import grpc

from hub_fixture import ECHO_SERVICE, FAKE_METHOD, PKI, ROOT, Hub, wait_until

sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from ndxp_client import connect  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/%s/Echo" % ECHO_SERVICE
TEXT_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (DEBUG|INFO|WARN|ERROR) "
                       r"(\S+) ([a-z-]+): (.*)$")
JSON_KEYS = ["time", "level", "program", "component", "message"]


def parse_time(text):
    """RFC 3339 in UTC with microseconds, as every ndxp binary writes it."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def refused_handshake(address, context):
    """Connects with `context` and returns the client's own (host, port)."""
    host, port = address.rsplit(":", 1)
    raw = socket.create_connection((host, int(port)), timeout=10)
    local = raw.getsockname()
    try:
        with context.wrap_socket(raw, server_hostname=host) as s:
            s.recv(1)  # TLS 1.3: the refusal arrives after the handshake
    except (ssl.SSLError, ConnectionError, OSError):
        pass
    return local


class LoggingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = datetime.datetime.now(datetime.timezone.utc)
        cls.hub = Hub(BUILD, hub_args=("--log-format", "json"))

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def hub_lines(self):
        """Every line of the hub's log as JSON (a line that is not fails the test)."""
        lines = []
        for line in self.hub.log().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                self.fail("not a JSON line: %r" % line)
        return lines

    def wait_for_line(self, predicate):
        found = []
        wait_until(lambda: found.extend(l for l in self.hub_lines() if predicate(l)) or found)
        self.assertTrue(found, "no such line in:\n" + self.hub.log()[-2000:])
        return found[0]

    def channel(self, who="caller"):
        channel = connect(self.hub.address, *self.hub.files(who))
        self.addCleanup(channel.close)
        return channel

    def test_json_lines_carry_time_level_program_component_and_message(self):
        listening = self.wait_for_line(lambda l: l["message"].startswith("listening on"))
        self.assertEqual(list(listening), JSON_KEYS)
        self.assertEqual(listening["level"], "info")
        self.assertEqual(listening["program"], "ndxp-hub")
        self.assertEqual(listening["component"], "hub")
        self.assertIn(self.hub.address, listening["message"])
        logged = parse_time(listening["time"])
        self.assertLessEqual(self.started - datetime.timedelta(seconds=1), logged)
        self.assertLessEqual(logged, datetime.datetime.now(datetime.timezone.utc))
        for line in self.hub_lines():
            self.assertEqual(list(line), JSON_KEYS, line)

    def test_a_handshake_without_certificate_names_the_peer(self):
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                             cafile=self.hub.files("caller")[0])
        context.check_hostname = False
        context.set_alpn_protocols(["h2"])
        host, port = refused_handshake(self.hub.address, context)
        peer = "%s:%d" % (host, port)
        line = self.wait_for_line(lambda l: peer in l["message"])
        self.assertEqual((line["level"], line["component"]), ("warn", "transport"))
        self.assertEqual(line["message"], "TLS handshake from %s refused: no_certificate" % peer)

    def test_a_certificate_from_another_ca_names_the_peer_and_its_serial(self):
        prefix = os.path.join(self.hub.dir, "other-ca-caller")
        subprocess.run([PKI, "bad", "--dir", self.hub.pki, "--kind", "other-ca", "--out", prefix],
                       check=True, stdout=subprocess.DEVNULL)
        cert = prefix + ".pem"
        serial = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", cert],
                                check=True, capture_output=True, text=True).stdout
        serial = serial.strip().split("=", 1)[1]
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                             cafile=self.hub.files("caller")[0])
        context.check_hostname = False
        context.set_alpn_protocols(["h2"])
        context.load_cert_chain(cert, prefix + ".key")
        host, port = refused_handshake(self.hub.address, context)
        peer = "%s:%d" % (host, port)
        line = self.wait_for_line(lambda l: peer in l["message"])
        self.assertEqual(line["level"], "warn")
        self.assertRegex(line["message"], r"^TLS handshake from %s refused: \S+ "
                         r"\(certificate serial (?i:%s)\)$" % (re.escape(peer), serial))

    def test_a_connection_reset_before_its_handshake_names_the_peer(self):
        # Once the peer has reset the connection, getpeername() fails: the
        # line said "from ?" when the address was read from the socket then.
        host, port = self.hub.address.rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=10)
        peer = "%s:%d" % raw.getsockname()[:2]
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()  # a TCP reset, before any byte of a handshake
        line = self.wait_for_line(lambda l: l["message"].startswith("TLS handshake from") and
                                  "refused" in l["message"] and
                                  ("from %s " % peer in l["message"] or "from ? " in l["message"]))
        self.assertEqual(line["message"], "TLS handshake from %s refused: other" % peer)

    def test_a_connectors_text_lines_carry_the_same_fields(self):
        with open(os.path.join(self.hub.dir, "echo.log"), errors="replace") as f:
            lines = f.read().splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, TEXT_LINE)
        listening = [TEXT_LINE.match(l) for l in lines if "listening on" in l]
        self.assertTrue(listening, lines)
        self.assertEqual(listening[0].group(2, 3, 4), ("INFO", "ndxp-echo", "connector"))
        self.assertIn("(agency 000.00.00.B01)", listening[0].group(5))

    def assert_names_no_address(self, error, *addresses):
        self.assertEqual(error.code(), grpc.StatusCode.UNAVAILABLE, error.details())
        for address in addresses:
            self.assertNotIn(address, error.details())
            self.assertNotIn(address.rsplit(":", 1)[1], error.details())
        self.assertNotRegex(error.details(), r"ipv[46]:|\d+\.\d+\.\d+\.\d+|unix:")

    def test_unavailable_names_the_service_not_the_connectors_address(self):
        call = self.channel().unary_unary(ECHO)
        self.hub.stop_echo()
        self.addCleanup(self.hub.start_echo)
        with self.assertRaises(grpc.RpcError) as down:
            call(b"", timeout=20)
        self.assert_names_no_address(down.exception, self.hub.echo_address)
        self.assertIn(ECHO_SERVICE, down.exception.details())

    def test_a_broken_connectors_answer_names_no_address(self):
        call = self.channel().unary_unary(FAKE_METHOD)
        with self.assertRaises(grpc.RpcError) as broken:
            call(b"", metadata=[("x-fake", "header-bomb")], timeout=20)
        self.assert_names_no_address(broken.exception, self.hub.fake.address)


if __name__ == "__main__":
    unittest.main()
