#!/usr/bin/env python3
"""What a member may not do to the hub's loop (docs/design.md,
"Connections"): a connection that runs into a limit (a header block of
endless CONTINUATION frames, rapid resets) is told GOAWAY ENHANCE_YOUR_CALM,
counted in /metrics and logged by address and limit. Raw HTTP/2 on real
mutual TLS, as a member granted nothing; each attack is bounded by volume
and stops at the GOAWAY it provokes.

Before, nghttp2 ended a session on the 9th CONTINUATION (on the first if TLS
records cut its header in 1-byte pieces) with no GOAWAY, and nothing counted
rapid resets.

Run by ctest:  test_hub_fairness.py BUILD_DIR
"""

import os
import socket
import ssl
import struct
import sys
import time
import unittest
import urllib.request

import h2.events
from prometheus_client.parser import text_string_to_metric_families

from hub_fixture import IDENTITIES, Hub, ROOT, echo_request, wait_until
from raw_h2 import RawH2Connection

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
ENHANCE_YOUR_CALM = 11
STRANGER = "%s/%s" % IDENTITIES["stranger"][:2]  # a member granted nothing


def frame(kind, flags, stream_id, payload=b""):
    """One HTTP/2 frame."""
    return (struct.pack(">I", len(payload))[1:] + bytes([kind, flags])
            + struct.pack(">I", stream_id) + payload)


class FrameReader:
    """The hub's frames, from raw bytes (python3-h2 would refuse the
    session once frames it did not send went out)."""

    def __init__(self):
        self.buffer = b""

    def feed(self, data):
        """The (type, stream_id, payload) of each frame complete so far."""
        self.buffer += data
        frames = []
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                break
            kind, stream_id = self.buffer[3], int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            frames.append((kind, stream_id, self.buffer[9:9 + length]))
            self.buffer = self.buffer[9 + length:]
        return frames


class Attacker:
    """One TLS connection of a member (the stranger: granted nothing) that
    writes raw frames and watches for the hub's GOAWAY."""

    def __init__(self, hub, who="stranger"):
        self.raw = RawH2Connection(hub.address, *hub.files(who))  # preface, SETTINGS
        self.raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.address = "%s:%d" % self.raw.sock.getsockname()[:2]
        self.reader = FrameReader()
        self.goaway = None   # its error code, once it came
        self.closed = False  # the hub closed the connection
        self.sent = 0

    def write(self, data):
        """Sends `data` unless the hub has said GOAWAY or closed; False then."""
        if self.goaway is not None or self.closed:
            return False
        try:
            self.raw.sock.settimeout(20)
            self.raw.sock.sendall(data)
        except (OSError, ssl.SSLError):
            self.closed = True
            return False
        self.sent += len(data)
        self.read(0)
        return self.goaway is None and not self.closed

    def read(self, timeout):
        """Reads what the hub sent, for `timeout` seconds at most."""
        self.raw.sock.settimeout(timeout)
        try:
            while self.goaway is None:
                chunk = self.raw.sock.recv(65536)
                if not chunk:
                    self.closed = True
                    return
                for kind, _, payload in self.reader.feed(chunk):
                    if kind == 0x7:
                        self.goaway = int.from_bytes(payload[4:8], "big")
        except (socket.timeout, ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return
        except (OSError, ssl.SSLError):
            self.closed = True

    def wait_for_goaway(self, seconds=10):
        """The GOAWAY's error code, once it came or the hub closed (None:
        none came)."""
        deadline = time.monotonic() + seconds
        while self.goaway is None and not self.closed and time.monotonic() < deadline:
            self.read(0.5)
        return self.goaway

    def close(self):
        self.raw.sock.close()


def metrics(hub):
    with urllib.request.urlopen("http://%s/metrics" % hub.admin_address, timeout=10) as r:
        text = r.read().decode()
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def limit_count(found, limit):
    return found.get(("ndxp_connection_limits_total", (("limit", limit),)), 0)


class FloodTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, admin="127.0.0.1:0", limits="reset_burst: 20 resets_per_second: 1")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def attacker(self):
        attacker = Attacker(self.hub)
        self.addCleanup(attacker.close)
        return attacker

    def assert_ended_by(self, attacker, goaway, limit, before):
        self.assertEqual(goaway, ENHANCE_YOUR_CALM,
                         "GOAWAY ENHANCE_YOUR_CALM after %d bytes (%s)"
                         % (attacker.sent, "closed without GOAWAY" if attacker.closed
                            else "none came"))
        self.assertTrue(wait_until(lambda: limit_count(metrics(self.hub), limit)
                                   == limit_count(before, limit) + 1),
                        "ndxp_connection_limits_total{limit=%r} counted it once" % limit)
        line = "connection from %s (%s) ended with GOAWAY ENHANCE_YOUR_CALM: %s" % (
            attacker.address, STRANGER, limit)
        self.assertTrue(wait_until(lambda: line in self.hub.log()),
                        "logged by address and limit: " + self.hub.log()[-600:])
        with RawH2Connection(self.hub.address, *self.hub.files("victim")) as raw:
            self.assertEqual(raw.call(ECHO, echo_request(b"still")).grpc_status, 0)

    def test_a_header_block_of_endless_continuations_ends_with_enhance_your_calm(self):
        # nghttp2 fails the session on the 9th CONTINUATION without a GOAWAY,
        # and counts one each time a read starts in a CONTINUATION's header:
        # cut into 1-byte TLS records, the first fails it. Either way the
        # hub writes the GOAWAY itself.
        for split in (False, True):
            with self.subTest(split=split):
                before = metrics(self.hub)
                attacker = self.attacker()
                headers = frame(0x1, 0, 1, b"\x83")  # :method POST, no END_HEADERS
                continuation = frame(0x9, 0, 1, b"\x87")  # :scheme https
                attacker.write(headers)
                for _ in range(20):
                    pieces = ([continuation[i:i + 1] for i in range(len(continuation))]
                              if split else [continuation])
                    if not all(attacker.write(piece) for piece in pieces):
                        break
                goaway = attacker.wait_for_goaway()
                self.assert_ended_by(attacker, goaway, "continuation_frames", before)

    def test_rapid_resets_are_counted(self):
        before = metrics(self.hub)
        raw = RawH2Connection(self.hub.address, *self.hub.files("caller"))
        self.addCleanup(raw.close)
        goaway = None
        for _ in range(200):  # the bucket holds 20
            try:
                stream_id = raw.request_headers(ECHO)
                raw.conn.reset_stream(stream_id)
                raw._flush()
                for event in raw.events(timeout=0.01):
                    if isinstance(event, h2.events.ConnectionTerminated):
                        goaway = event.error_code
            except Exception:  # noqa: BLE001  (h2 or the socket, once the hub said GOAWAY)
                break
            if goaway is not None:
                break
        self.assertEqual(goaway, ENHANCE_YOUR_CALM)
        self.assertTrue(wait_until(lambda: limit_count(metrics(self.hub), "stream_resets")
                                   == limit_count(before, "stream_resets") + 1))
        self.assertIn("(%s/%s) ended with GOAWAY ENHANCE_YOUR_CALM: stream_resets"
                      % IDENTITIES["caller"][:2], self.hub.log())


if __name__ == "__main__":
    unittest.main()
