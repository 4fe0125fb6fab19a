#!/usr/bin/env python3
"""The hub's transport tried as an attacker and an operator would: limits it
advertises and enforces, connectors that break the protocol, buffers a peer
must not be able to grow, flow-control windows that must not leak, deadlines,
trailers, compression, revocation of open connections and draining on
SIGTERM. Raw HTTP/2 (python3-h2) over real mutual TLS against a real hub.

Run by ctest:  test_hub_transport.py BUILD_DIR
"""

import gzip
import os
import signal
import socket
import ssl
import struct
import sys
import time
import unittest

import h2.events
import h2.settings

from hub_fixture import FAKE_METHOD, Hub, ROOT, wait_until
from raw_h2 import RawH2Connection, grpc_frame

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
SettingCodes = h2.settings.SettingCodes


def echo_request(payload):
    """EchoRequest{payload} in the protobuf wire format."""
    length, varint = len(payload), b""
    while True:
        byte, length = length & 0x7F, length >> 7
        varint += bytes([byte | (0x80 if length else 0)])
        if not length:
            return b"\x0a" + varint + payload


class TransportTest(unittest.TestCase):
    LIMITS = ""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, limits=cls.LIMITS)

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def connect(self, who="caller", **options):
        connection = RawH2Connection(self.hub.address, *self.hub.files(who), **options)
        self.addCleanup(connection.close)
        return connection

    def assert_hub_serves(self):
        self.assertTrue(self.hub.alive(), "the hub is alive")
        answer = self.connect().call(ECHO, echo_request(b"ping"))
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assertEqual(answer.data[5:], echo_request(b"ping"))


class LimitsTest(TransportTest):
    LIMITS = ("handshake_timeout_ms: 300 max_concurrent_streams: 7 reset_burst: 20 "
              "resets_per_second: 1")

    def test_settings_advertise_the_stream_and_header_limits(self):
        raw = self.connect()
        settings = {}
        deadline = time.monotonic() + 10
        while not settings and time.monotonic() < deadline:
            for event in raw.events():
                if isinstance(event, h2.events.RemoteSettingsChanged):
                    settings = {k: v.new_value for k, v in event.changed_settings.items()}
        self.assertEqual(settings.get(SettingCodes.MAX_CONCURRENT_STREAMS), 7)
        self.assertEqual(settings.get(SettingCodes.MAX_HEADER_LIST_SIZE), 16384)

    def test_a_stalled_tls_handshake_is_closed(self):
        with socket.create_connection(tuple(self.hub.address.rsplit(":", 1)), timeout=30) as s:
            s.sendall(b"\x16\x03\x01")  # the start of a ClientHello, then nothing
            self.assertEqual(s.recv(1024), b"", "the hub closed the connection")

    def test_a_handshake_without_certificate_is_counted_and_logged(self):
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                             cafile=self.hub.files("caller")[0])
        context.check_hostname = False
        context.set_alpn_protocols(["h2"])
        host, port = self.hub.address.rsplit(":", 1)
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            with context.wrap_socket(socket.create_connection((host, int(port)), timeout=10),
                                     server_hostname=host) as s:
                s.recv(1)  # TLS 1.3: the refusal arrives after the handshake
        self.assertTrue(wait_until(lambda: "refused: no_certificate" in self.hub.log()),
                        self.hub.log()[-500:])

    def test_rapid_reset_ends_the_connection_with_enhance_your_calm(self):
        raw = self.connect()
        goaway = None
        for _ in range(60):
            try:
                stream_id = raw.request_headers(ECHO)
                raw.conn.reset_stream(stream_id)
                raw._flush()
                for event in raw.events(timeout=0.01):
                    if isinstance(event, h2.events.ConnectionTerminated):
                        goaway = event.error_code
            except (ConnectionError, OSError, h2.exceptions.ProtocolError):
                break
            if goaway is not None:
                break
        deadline = time.monotonic() + 20
        while goaway is None and time.monotonic() < deadline:
            try:
                for event in raw.events(timeout=1):
                    if isinstance(event, h2.events.ConnectionTerminated):
                        goaway = event.error_code
            except (ConnectionError, OSError):
                break
        self.assertEqual(goaway, 11)  # ENHANCE_YOUR_CALM
        self.assert_hub_serves()

    def test_request_headers_over_the_budget_are_refused(self):
        # One 4000-byte header 250 times: a few bytes on the wire with HPACK,
        # a megabyte decoded.
        answer = self.connect().call(ECHO, echo_request(b"x"), [("x-big", "v" * 4000)] * 250)
        self.assertEqual(answer.grpc_status, 8, answer.grpc_message)  # RESOURCE_EXHAUSTED
        self.assertIn("request headers", answer.grpc_message)
        self.assert_hub_serves()


class ConnectorMisbehaviourTest(TransportTest):

    def test_trailers_before_the_request_ends_then_the_caller_resets(self):
        # The connector ends its side while the caller's is open; the caller
        # then goes away: the hub must reset the connector's stream, not
        # touch the call it has deleted.
        raw = self.connect()
        for _ in range(10):
            stream_id = raw.request_headers(FAKE_METHOD, [("x-fake", "trailers-early")])
            raw.conn.send_data(stream_id, grpc_frame(b""))
            raw._flush()
            answer = raw.read_until_end(stream_id)
            self.assertEqual(answer.grpc_status, 0)
            if stream_id in raw.conn.streams and not raw.conn.streams[stream_id].closed:
                raw.conn.reset_stream(stream_id)
                raw._flush()
        self.assertTrue(wait_until(lambda: self.hub.fake.resets >= 10),
                        "the hub reset each of the connector's streams")
        self.assert_hub_serves()

    def test_response_headers_over_the_budget_are_unavailable(self):
        answer = self.connect().call(FAKE_METHOD, b"", [("x-fake", "header-bomb"),
                                                        ("grpc-timeout", "10S")])
        self.assertEqual(answer.grpc_status, 14, answer.grpc_message)  # UNAVAILABLE
        self.assertIn("headers over", answer.grpc_message)
        self.assert_hub_serves()

    def test_the_hub_enforces_the_deadline_when_the_connector_hangs(self):
        resets = self.hub.fake.resets
        answer = self.connect().call(FAKE_METHOD, b"", [("x-fake", "hang"),
                                                        ("grpc-timeout", "300m")])
        self.assertEqual(answer.grpc_status, 4, answer.grpc_message)  # DEADLINE_EXCEEDED
        self.assertTrue(wait_until(lambda: self.hub.fake.resets > resets),
                        "the connector's stream was reset")

    def test_status_details_reach_the_caller_exactly_once(self):
        answer = self.connect().call(FAKE_METHOD, b"", [("x-fake", "details")])
        self.assertEqual(answer.grpc_status, 5)
        details = [v for k, v in answer.headers + answer.trailers
                   if k == b"grpc-status-details-bin"]
        self.assertEqual(details, [b"CAUSCG5vdCBoZXJl"])


class BuffersAndWindowsTest(TransportTest):
    LIMITS = "reset_burst: 1000"  # its callers reset hundreds of calls on purpose

    def test_answers_dropped_unread_do_not_leak_the_connectors_window(self):
        # A caller that never opens its windows, then resets its calls: the
        # answers the hub buffered for it are dropped, and their share of the
        # hub's 16 MiB window towards the connector must be given back.
        raw = self.connect(settings={SettingCodes.INITIAL_WINDOW_SIZE: 0})
        payload = grpc_frame(echo_request(b"x" * 60000))
        for _ in range(7):
            streams = []
            for _ in range(50):
                stream_id = raw.request_headers(ECHO)
                self.assertTrue(raw.send_body(stream_id, payload, end_stream=True))
                streams.append(stream_id)
            for _ in range(5):
                raw.events(timeout=0.05)
            for stream_id in streams:
                raw.conn.reset_stream(stream_id)
            raw._flush()
        # The same connection (so the same hub thread and connector connection).
        probe = raw.request_headers(ECHO, [("grpc-timeout", "5S")])
        raw.conn.increment_flow_control_window(65535, probe)
        raw.conn.send_data(probe, grpc_frame(echo_request(b"probe")), end_stream=True)
        raw._flush()
        answer = raw.read_until_end(probe)
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)

    def test_a_local_method_stops_taking_requests_its_caller_does_not_read(self):
        # Reflection answers each request; a caller reading none of them may
        # not make the hub hold ever more answers.
        raw = self.connect(settings={SettingCodes.INITIAL_WINDOW_SIZE: 0})
        stream_id = raw.request_headers(REFLECTION)
        symbol = b"ndxp.bench.v1.Echo"
        request = grpc_frame(b"\x22" + bytes([len(symbol)]) + symbol)
        sent = 0
        while sent < 4 * 1024 * 1024 and raw.send_body(stream_id, request * 100, timeout=3):
            sent += len(request) * 100
        self.assertLess(sent, 1024 * 1024, "the hub stopped opening the caller's window")
        self.assert_hub_serves()

    def test_client_streaming_through_the_hub(self):
        sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
        from ndxp_client import connect
        with connect(self.hub.address, *self.hub.files("caller")) as channel:
            collect = channel.stream_unary("/ndxp.bench.v1.Echo/Collect")
            parts = [b"ha", b"noi", b"-" * 70000, b"end"]  # one larger than a window
            answer = collect(iter(echo_request(p) for p in parts), timeout=30)
        self.assertEqual(answer, echo_request(b"".join(parts)))

    def test_a_gzip_message_passes_through_unparsed(self):
        message = gzip.compress(echo_request(b"compressed"))
        frame = struct.pack(">BI", 1, len(message)) + message
        raw = self.connect()
        stream_id = raw.request_headers(ECHO, [("grpc-encoding", "gzip"),
                                               ("grpc-accept-encoding", "gzip")])
        raw.conn.send_data(stream_id, frame, end_stream=True)
        raw._flush()
        answer = raw.read_until_end(stream_id)
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assertGreater(len(answer.data), 5, "the connector inflated it and answered")

    def test_an_oversize_message_is_refused_by_its_length_prefix(self):
        raw = self.connect()
        stream_id = raw.request_headers(ECHO)
        raw.conn.send_data(stream_id, struct.pack(">BI", 0, 256 << 20))  # the prefix only
        raw._flush()
        answer = raw.read_until_end(stream_id)
        self.assertEqual(answer.grpc_status, 8, answer.grpc_message)  # RESOURCE_EXHAUSTED
        self.assertIn("over the limit", answer.grpc_message)


class HealthTest(TransportTest):

    def health(self, service):
        # HealthCheckRequest{service}; the answer's status: 1 SERVING, 2 NOT_SERVING.
        request = b"\x0a" + bytes([len(service)]) + service.encode() if service else b""
        answer = self.connect().call("/grpc.health.v1.Health/Check", request)
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        return answer.data[5:]

    def test_a_routed_service_is_not_serving_while_its_connector_is_down(self):
        serving, not_serving = b"\x08\x01", b"\x08\x02"
        self.assertEqual(self.health("ndxp.bench.v1.Echo"), serving)
        self.hub.stop_echo()
        self.assertTrue(wait_until(lambda: self.health("ndxp.bench.v1.Echo") == not_serving))
        self.assertEqual(self.health(""), serving, "the hub itself serves")
        self.hub.start_echo()
        self.assertTrue(wait_until(lambda: self.health("ndxp.bench.v1.Echo") == serving))
        self.assert_hub_serves()


class RevocationAndDrainTest(TransportTest):

    def test_a_revoked_callers_open_connection_is_closed(self):
        raw = self.connect("victim")
        self.assertEqual(raw.call(ECHO, echo_request(b"before")).grpc_status, 0)
        self.hub.revoke("victim")  # rewrites the CRL in place
        self.hub.sighup_and_wait_for("config: reloaded")
        closed = False
        deadline = time.monotonic() + 20
        while not closed and time.monotonic() < deadline:
            try:
                for event in raw.events(timeout=0.5):
                    closed = closed or isinstance(event, h2.events.ConnectionTerminated)
            except (ConnectionError, OSError):
                closed = True
        self.assertTrue(closed, "GOAWAY or close for the revoked certificate")
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            again = RawH2Connection(self.hub.address, *self.hub.files("victim"))
            again.call(ECHO, echo_request(b"after"))
        self.assertTrue(wait_until(lambda: "refused: revoked (certificate serial" in
                                   self.hub.log()), self.hub.log()[-500:])
        self.assert_hub_serves()

    def test_zz_sigterm_drains_calls_in_flight(self):
        # A gRPC client, which keeps reading its streams after a graceful
        # GOAWAY (python3-h2 stops at the first GOAWAY).
        sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
        from ndxp_client import connect
        channel = connect(self.hub.address, *self.hub.files("caller"))
        slow = channel.unary_unary(FAKE_METHOD)
        requests = self.hub.fake.requests
        call = slow.future(b"", metadata=[("x-fake", "slow"), ("x-fake-delay", "1")],
                           timeout=30)
        self.assertTrue(wait_until(lambda: self.hub.fake.requests > requests))
        self.hub.hub_process.send_signal(signal.SIGTERM)
        self.assertEqual(call.result(), b"", "the call in flight finished")
        self.assertEqual(self.hub.hub_process.wait(timeout=30), 0)
        channel.close()

if __name__ == "__main__":
    unittest.main()
