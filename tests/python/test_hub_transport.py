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
import subprocess
import sys
import time
import unittest
import urllib.request

import h2.events
import h2.settings

from hub_fixture import (FAKE_METHOD, FAKE_SERVICE, IDENTITIES, Hub, ROOT, echo_request,
                         metric, wait_until)
from raw_h2 import RawH2Connection, grpc_frame

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
SettingCodes = h2.settings.SettingCodes


class TransportTest(unittest.TestCase):
    LIMITS = ""

    EXTRA = ""
    DEAD_ECHO_REPLICA = False
    FAKE_REPLICA = False
    ADMIN = None  # "127.0.0.1:0": with an admin listener (/metrics)

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, limits=cls.LIMITS, extra=cls.EXTRA,
                      dead_echo_replica=cls.DEAD_ECHO_REPLICA, fake_replica=cls.FAKE_REPLICA,
                      admin=cls.ADMIN)

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def connect(self, who="caller", **options):
        connection = RawH2Connection(self.hub.address, *self.hub.files(who), **options)
        self.addCleanup(connection.close)
        return connection

    def assert_hub_serves(self, who="caller"):
        self.assertTrue(self.hub.alive(), "the hub is alive")
        answer = self.connect(who).call(ECHO, echo_request(b"ping"))
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
        self.assertEqual(settings.get(SettingCodes.MAX_HEADER_LIST_SIZE), 8192)

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

    def test_max_concurrent_streams_is_enforced(self):
        raw = self.connect()
        deadline = time.monotonic() + 10
        while raw.conn.remote_settings.max_concurrent_streams != 7:
            self.assertLess(time.monotonic(), deadline, "the hub's SETTINGS never came")
            raw.events()
        # Play a client that ignores the advertised limit (python3-h2 obeys it).
        raw.conn.remote_settings[SettingCodes.MAX_CONCURRENT_STREAMS] = 100
        raw.conn.remote_settings.acknowledge()
        fake = self.hub.fake
        requests, resets = fake.requests, fake.resets
        held = []
        for _ in range(7):
            stream_id = raw.request_headers(FAKE_METHOD, [("x-fake", "hang"),
                                                          ("grpc-timeout", "60S")])
            raw.send_body(stream_id, grpc_frame(b""), end_stream=True)
            held.append(stream_id)
        self.assertTrue(wait_until(lambda: fake.requests == requests + 7), "seven forwarded")
        over = raw.request_headers(FAKE_METHOD, [("x-fake", "hang")])
        raw.send_body(over, grpc_frame(b""), end_stream=True)
        # nghttp2 makes an acknowledged limit exceeded a connection error.
        self.assertEqual(raw.read_until_end(over).goaway, 1, "GOAWAY PROTOCOL_ERROR")
        self.assertTrue(wait_until(lambda: fake.resets == resets + 7),
                        "the connector's seven streams are reset with the connection")
        self.assertEqual(fake.requests, requests + 7, "the eighth never reached the connector")
        self.assert_hub_serves()

    def test_a_ping_or_settings_flood_closes_only_that_connection(self):
        ping = struct.pack(">IBBI", 8, 0x6, 0, 0)[1:] + b"floodme!"  # 24-bit length, PING
        settings = struct.pack(">IBBI", 0, 0x4, 0, 0)[1:]  # an empty SETTINGS: one more ACK
        for name, frame in (("PING", ping), ("SETTINGS", settings)):
            with self.subTest(name):
                raw = self.connect()
                closed = False
                try:  # never reading: every ACK the hub owes stays queued
                    for _ in range(20):
                        raw.sock.sendall(frame * 5000)
                except (ConnectionError, OSError, ssl.SSLError):
                    closed = True
                raw.sock.settimeout(20)  # read raw: the ACKs answer frames h2 never sent
                while not closed:
                    try:
                        closed = raw.sock.recv(65536) == b""
                    except socket.timeout:
                        break
                    except (ConnectionError, OSError, ssl.SSLError):
                        closed = True
                self.assertTrue(closed, "the hub ends a connection that floods it with " + name)
                self.assert_hub_serves()

    def test_request_headers_over_the_budget_are_refused(self):
        # One 4000-byte header 250 times: a few bytes on the wire with HPACK,
        # a megabyte decoded.
        answer = self.connect().call(ECHO, echo_request(b"x"), [("x-big", "v" * 4000)] * 250)
        self.assertEqual(answer.grpc_status, 8, answer.grpc_message)  # RESOURCE_EXHAUSTED
        self.assertIn("request headers", answer.grpc_message)
        self.assert_hub_serves()

    def test_headers_that_would_be_too_large_for_the_connector_are_refused_by_the_hub(self):
        # Within what the hub reads, but not with the headers the hub adds:
        # a connector (gRPC's 8 KiB) would refuse them, as a transaction.
        requests = self.hub.fake.requests
        near_limit = [("x-meta-%d" % i, "v" * 968) for i in range(7)] + [("x-last", "v" * 700)]
        answer = self.connect().call(FAKE_METHOD, b"", near_limit)
        self.assertEqual(answer.grpc_status, 8, answer.grpc_message)  # RESOURCE_EXHAUSTED
        self.assertIn("with the hub's own they come to", answer.grpc_message)
        self.assertIn("over the connectors' limit of 8192", answer.grpc_message)
        self.assertEqual(self.hub.fake.requests, requests, "never sent to the connector")
        # Less is forwarded as ever.
        answer = self.connect().call(ECHO, echo_request(b"x"),
                                     [("x-meta-%d" % i, "v" * 968) for i in range(6)])
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)


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


class DeadlineCapTest(TransportTest):
    LIMITS = "max_deadline_ms: 1500"

    def test_a_callers_endless_deadline_is_cut_to_the_limit(self):
        # A call whose caller never reads could otherwise hold its share of
        # the hub for as long as it likes (grpc-timeout's largest value).
        answer = self.connect().call(FAKE_METHOD, b"", [("x-fake", "hang"),
                                                        ("grpc-timeout", "99999999H")])
        self.assertEqual(answer.grpc_status, 4, answer.grpc_message)  # DEADLINE_EXCEEDED
        self.assertLessEqual(self.sent_timeout_ms(), 1500)
        # A shorter deadline stands.
        answer = self.connect().call(FAKE_METHOD, b"", [("x-fake", "hang"),
                                                        ("grpc-timeout", "200m")])
        self.assertEqual(answer.grpc_status, 4, answer.grpc_message)
        self.assertLessEqual(self.sent_timeout_ms(), 200)
        self.assertGreater(self.sent_timeout_ms(), 100)

    def sent_timeout_ms(self):
        """The grpc-timeout the connector was told last, in milliseconds."""
        sent = self.hub.fake.last_timeout.decode()
        units = {"H": 3600e3, "M": 60e3, "S": 1e3, "m": 1, "u": 1e-3, "n": 1e-6}
        return float(sent[:-1]) * units[sent[-1]]


class BuffersAndWindowsTest(TransportTest):
    # Its callers reset hundreds of calls on purpose, and hold 50 unread
    # answers (3 MiB) on one connection: the hub must not reset them first.
    LIMITS = "reset_burst: 1000 max_held_bytes_per_connection: 8388608"

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

    def test_a_local_request_larger_than_a_window_is_refused_at_once(self):
        # 80 KiB of symbol name: more than the stream's window holds, so the
        # hub, which takes only whole messages, must refuse it by its prefix.
        symbol = b"x" * (80 * 1024)
        varint = bytes([0x80 | (len(symbol) & 0x7F), 0x80 | ((len(symbol) >> 7) & 0x7F),
                        len(symbol) >> 14])
        raw = self.connect()
        stream_id = raw.request_headers(REFLECTION, [("grpc-timeout", "30S")])
        # Its first 16 KiB: the window's worth a caller may send before it waits.
        raw.send_body(stream_id, grpc_frame(b"\x22" + varint + symbol)[:16384])
        answer = raw.read_until_end(stream_id)
        self.assertEqual(answer.grpc_status, 8, "RESOURCE_EXHAUSTED, not the deadline")
        self.assertIn("at most 32768 bytes", answer.grpc_message)
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
    ADMIN = "127.0.0.1:0"

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

    def probes(self, answer):
        return metric(self.hub.admin_address, 'ndxp_health_probes_total{answer="%s"}' % answer)

    def test_probes_are_counted_apart_from_transactions(self):
        before = {a: self.probes(a) for a in ("hub", "connector", "unreachable")}
        transactions = self.transactions()
        self.health("")
        self.health("ndxp.bench.v1.Echo")
        self.health("ndxp.bench.v1.Echo")
        self.assertEqual(self.probes("hub") - before["hub"], 1)
        self.assertEqual(self.probes("connector") - before["connector"], 2)
        self.assertEqual(self.probes("unreachable") - before["unreachable"], 0)
        self.assertEqual(self.transactions(), transactions, "a probe is no transaction")
        self.hub.stop_echo()
        try:
            self.assertTrue(wait_until(lambda: self.health("ndxp.bench.v1.Echo") == b"\x08\x02"))
            self.assertGreater(self.probes("unreachable"), before["unreachable"])
        finally:
            self.hub.start_echo()

    def second_hub_on(self, listen, admin):
        """ndxp-hub started from the running hub's configuration on other
        addresses: its exit status and output (None if it came up)."""
        with open(self.hub.config_path) as f:
            text = f.read().replace('listen: "127.0.0.1:0"', 'listen: "%s"' % listen, 1)
        text = text.replace('admin { listen: "127.0.0.1:0" }', 'admin { listen: "%s" }' % admin)
        config = os.path.join(self.hub.dir, "second-hub.textproto")
        with open(config, "w") as f:
            f.write(text)
        ready = os.path.join(self.hub.dir, "second-hub.ready")
        process = subprocess.Popen(
            [os.path.join(BUILD, "bin", "ndxp-hub"), "--config", config, "--ready-file", ready],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while process.poll() is None and not os.path.exists(ready):
            time.sleep(0.02)
        if process.poll() is None:
            process.kill()
            process.communicate()
            return None
        return process.returncode, process.communicate()[0]

    def test_a_second_hub_on_a_port_in_use_does_not_start(self):
        # Both listeners set SO_REUSEPORT (the transport's, so each thread has
        # its own socket; httplib's by default): a second hub of the same user
        # on the first one's port started and took part of its connections.
        for listen, admin, field in ((self.hub.address, "127.0.0.1:0", ""),
                                     ("127.0.0.1:0", self.hub.admin_address, "admin.listen: ")):
            with self.subTest(listen=listen, admin=admin):
                ended = self.second_hub_on(listen, admin)
                self.assertIsNotNone(ended, "the second hub came up")
                status, output = ended
                self.assertNotEqual(status, 0)
                in_use = admin if field else listen
                self.assertIn("%scannot listen on %s" % (field, in_use), output)
        self.assert_hub_serves()

    def transactions(self):
        """Every call counted in ndxp_transactions_total, whatever its labels."""
        with urllib.request.urlopen("http://%s/metrics" % self.hub.admin_address,
                                    timeout=10) as r:
            page = r.read().decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in page.splitlines()
                   if line.startswith("ndxp_transactions_total{"))


class ReflectionTest(TransportTest):

    # Fails about one run in two: the stream stalls near its end with answers
    # held and its caller waiting, until the call's deadline. An open bug of
    # the local backlog or the transport (the closing note of 2026-12-06).
    @unittest.skip("stalls about half the time: open bug, under investigation")
    def test_a_reflection_stream_whose_answers_wait_unread_answers_all_in_order(self):
        """Past 256 KiB of unread answers the hub takes no more requests of a
        stream of its own methods; once the caller reads, it answers the rest."""
        symbol = b"ndxp.bench.v1.Echo"
        request = grpc_frame(b"\x22" + bytes([len(symbol)]) + symbol)  # file_containing_symbol
        count = 600
        raw = self.connect()
        stream_id = raw.request_headers("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
        self.assertTrue(raw.send_body(stream_id, request * count, end_stream=True))
        answer = raw.read_until_end(stream_id, timeout=60)
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        lengths, data = [], answer.data
        while data:
            length = struct.unpack(">I", data[1:5])[0]
            lengths.append(length)
            data = data[5 + length:]
        self.assertEqual(len(lengths), count, "every request answered")
        self.assertEqual(len(set(lengths)), 1, "the same answer each time")
        self.assertGreater(sum(lengths), 256 * 1024, "more than the backlog bound")
        self.assert_hub_serves()


def echo_quota(burst):
    """The caller's agency: `burst` calls to Echo, then one per 1,000 s."""
    return ('quotas { consumer: "%s" service: "ndxp.bench.v1.Echo" calls_per_second: 0.001 '
            'burst: %d }\n' % (IDENTITIES["caller"][0], burst))


OPEN_CALLS_QUOTA = ('quotas { consumer: "%s/%s" service: "%s" max_concurrent: 2 }\n'
                    % (IDENTITIES["caller"][0], IDENTITIES["caller"][1], FAKE_SERVICE))


class QuotaTest(TransportTest):
    EXTRA = echo_quota(3) + OPEN_CALLS_QUOTA

    def calls(self, who, count, results):
        raw = self.connect(who)
        for i in range(count):
            results.append(raw.call(ECHO, echo_request(b"q%d" % i)))

    def test_a_rate_quota_refuses_its_consumer_only_with_a_retry_hint(self):
        import threading
        mine, theirs = [], []
        caller = threading.Thread(target=self.calls, args=("caller", 30, mine))
        victim = threading.Thread(target=self.calls, args=("victim", 30, theirs))
        caller.start(), victim.start()
        caller.join(), victim.join()
        self.assertEqual([a.grpc_status for a in theirs], [0] * 30,
                         "the other agency sees no refusal")
        self.assertEqual(sum(a.grpc_status == 0 for a in mine), 3, "the burst, then nothing")
        refused = [a for a in mine if a.grpc_status != 0]
        self.assertEqual({a.grpc_status for a in refused}, {8}, "RESOURCE_EXHAUSTED")
        self.assertIn("quota of %s on ndxp.bench.v1.Echo: 0.001 calls per second, burst 3"
                      % IDENTITIES["caller"][0], refused[0].grpc_message)
        pushback = refused[0].header(b"grpc-retry-pushback-ms")  # trailers-only
        self.assertIsNotNone(pushback, "gRFC A6 retry hint")
        self.assertGreater(int(pushback), 900_000, "about 1,000 s until the next token")
        self.assertRegex(refused[0].header(b"x-ndxp-request-id") or "", "^[0-9a-f]{32}$",
                         "the refusal names its request, by a hub-made id")

        # SIGHUP: a new quota, a new bucket.
        self.hub.rewrite_config(echo_quota(5) + OPEN_CALLS_QUOTA)
        self.hub.sighup_and_wait_for("config: reloaded")
        again = []
        self.calls("caller", 6, again)
        self.assertEqual([a.grpc_status for a in again], [0] * 5 + [8])

    def test_a_cap_on_open_calls_refuses_the_third_until_one_ends(self):
        raw = self.connect()
        fake = self.hub.fake
        requests = fake.requests
        held = []
        for _ in range(2):
            stream_id = raw.request_headers(FAKE_METHOD, [("x-fake", "hang"),
                                                          ("grpc-timeout", "60S")])
            raw.send_body(stream_id, grpc_frame(b""), end_stream=True)
            held.append(stream_id)
        self.assertTrue(wait_until(lambda: fake.requests == requests + 2))
        third = raw.call(FAKE_METHOD, b"", [("x-fake", "slow"), ("x-fake-delay", "0")])
        self.assertEqual(third.grpc_status, 8, third.grpc_message)
        self.assertIn("at most 2 calls open at once", third.grpc_message)
        self.assertEqual(fake.requests, requests + 2, "the third never reached the connector")
        raw.conn.reset_stream(held[0], error_code=8)  # one call ends: its slot is free
        raw._flush()
        answer = raw.call(FAKE_METHOD, b"", [("x-fake", "slow"), ("x-fake-delay", "0")])
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assert_hub_serves("victim")  # the caller's Echo quota is the other test's


class ReplicasTest(TransportTest):
    """Echo's route: a dead endpoint, then the live one; two calls pending at
    most on one connection to a connector."""
    DEAD_ECHO_REPLICA = True
    LIMITS = "max_pending_per_connector: 2"

    def call_echo(self, raw, text=b"r"):
        return raw.call(ECHO, echo_request(text), [("grpc-timeout", "30S")])

    def test_calls_go_only_to_the_replica_that_answers(self):
        raw = self.connect()
        statuses = [self.call_echo(raw).grpc_status for _ in range(20)]
        self.assertEqual(statuses, [0] * 20, "the dead replica costs no call")

    def test_no_replica_answering_is_unavailable_at_once_and_recovery_is_automatic(self):
        raw = self.connect()
        self.assertEqual(self.call_echo(raw).grpc_status, 0)
        self.hub.stop_echo()
        try:
            answers = [self.call_echo(raw) for _ in range(5)]
            # UNAVAILABLE, not the 30 s deadline: nothing waits for a dead connector.
            self.assertEqual([a.grpc_status for a in answers], [14] * 5,
                             [a.grpc_message for a in answers])
            self.assertNotIn("127.0.0.1", answers[0].grpc_message, "no internal address")
        finally:
            self.hub.start_echo()
        self.assertTrue(wait_until(lambda: self.call_echo(raw).grpc_status == 0),
                        "calls are answered again once the connector is back")

    def test_calls_pending_on_a_connector_connection_are_bounded(self):
        raw = self.connect()
        fake = self.hub.fake
        requests = fake.requests
        for _ in range(2):
            stream_id = raw.request_headers(FAKE_METHOD, [("x-fake", "hang"),
                                                          ("grpc-timeout", "60S")])
            raw.send_body(stream_id, grpc_frame(b""), end_stream=True)
        self.assertTrue(wait_until(lambda: fake.requests == requests + 2))
        third = raw.call(FAKE_METHOD, b"", [("x-fake", "slow"), ("x-fake-delay", "0")])
        self.assertEqual(third.grpc_status, 14, third.grpc_message)
        self.assertIn("2 calls pending", third.grpc_message)
        self.assertEqual(fake.requests, requests + 2)


class ReplicaAuthorityTest(TransportTest):
    """The scripted connector's route: two replicas, both answering."""
    FAKE_REPLICA = True

    def test_each_replica_is_named_as_the_authority_of_the_calls_it_receives(self):
        # The pool chooses the replica round robin; the request names that
        # one, not the route's first endpoint.
        raw = self.connect()
        first, second = self.hub.fake, self.hub.fake_replica
        for _ in range(4):
            answer = raw.call(FAKE_METHOD, b"", [("x-fake", "slow"), ("x-fake-delay", "0")])
            self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assertEqual((first.requests, second.requests), (2, 2), "round robin")
        self.assertEqual(first.last_authority, first.address.encode())
        self.assertEqual(second.last_authority, second.address.encode())


class TlsLifecycleTest(TransportTest):
    """The hub's own certificate rotated, and an expired CRL, without restart."""

    def serial_seen(self, raw):
        return int(raw.sock.getpeercert()["serialNumber"], 16)

    def test_a_rotated_hub_certificate_serves_new_handshakes_and_spares_calls_in_flight(self):
        before = self.connect()
        old_serial = self.serial_seen(before)
        requests = self.hub.fake.requests
        in_flight = before.request_headers(FAKE_METHOD, [("x-fake", "slow"),
                                                         ("x-fake-delay", "1")])
        before.send_body(in_flight, grpc_frame(b""), end_stream=True)
        self.assertTrue(wait_until(lambda: self.hub.fake.requests > requests))
        self.hub.issue("hub")  # a new key and certificate under the same file names
        self.hub.sighup_and_wait_for("config: reloaded")
        answer = before.read_until_end(in_flight)
        self.assertEqual(answer.grpc_status, 0, "the call in flight finished: %r" % vars(answer))
        self.assertEqual(before.call(ECHO, echo_request(b"still")).grpc_status, 0,
                         "the open connection keeps serving")
        after = self.connect()
        self.assertNotEqual(self.serial_seen(after), old_serial, "new handshakes: new serial")
        self.assertEqual(after.call(ECHO, echo_request(b"new")).grpc_status, 0)

    def test_an_expired_crl_refuses_everyone_loudly_until_a_fresh_one_is_published(self):
        open_before = self.connect()
        self.assertEqual(open_before.call(ECHO, echo_request(b"before")).grpc_status, 0)
        self.hub.publish_crl(expired=True)
        try:
            self.hub.sighup_and_wait_for("config: reloaded")
            with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                refused = RawH2Connection(self.hub.address, *self.hub.files("caller"))
                refused.call(ECHO, echo_request(b"after"))  # TLS 1.3: refused after the handshake
            self.assertTrue(wait_until(lambda: "refused: crl_expired" in self.hub.log()),
                            self.hub.log()[-800:])
            self.assertTrue(wait_until(lambda: " WARN " in self.hub.log() and
                                       "expired at 2020-01-02" in self.hub.log()),
                            "the expired CRL is reported: " + self.hub.log()[-800:])
            with self.assertRaises((ConnectionError, OSError, ssl.SSLError)):
                for _ in range(100):  # fail closed: open connections go too
                    open_before.events(timeout=0.2)
        finally:
            self.hub.publish_crl()
        self.hub.sighup_and_wait_for("config: reloaded")
        self.assert_hub_serves()


class RefusedHandshakeTest(TransportTest):
    """A refused client hears why: the hub's TLS alert reaches it. Closing at
    once with the client's bytes unread sent a TCP reset that could destroy
    the alert, and a TLS 1.3 client (which reads it only after its first
    write) saw "broken pipe" or "connection reset" instead."""

    def refused_with(self, version, cert=None):
        """What the client reads after its first write: the SSL error's text."""
        context = ssl.create_default_context(cafile=self.hub.files("caller")[0])
        context.check_hostname = False
        context.minimum_version = context.maximum_version = version
        context.set_alpn_protocols(["h2"])
        if cert is not None:
            context.load_cert_chain(*cert)
        host, port = self.hub.address.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            try:
                with context.wrap_socket(raw, server_hostname=host) as tls:
                    # Enough that the client is still writing when a reset
                    # would come (1 MiB): a hub that closed at once made this
                    # fail with "broken pipe" or "connection reset".
                    tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes(1 << 20))
                    data = tls.recv(1024)
                    return "no error, read %r" % data
            except ssl.SSLError as e:
                return "SSLError: %s" % e
            except OSError as e:
                return "%s: %s" % (type(e).__name__, e)

    def test_no_certificate_is_named_over_tls_1_3_and_1_2(self):
        for _ in range(3):
            self.assertIn("CERTIFICATE_REQUIRED",
                          self.refused_with(ssl.TLSVersion.TLSv1_3).upper().replace(" ", "_"))
            self.assertIn("ALERT", self.refused_with(ssl.TLSVersion.TLSv1_2).upper())

    def test_a_certificate_of_another_ca_is_named(self):
        stranger = self.hub.foreign_identity()
        for _ in range(3):
            self.assertIn("UNKNOWN_CA", self.refused_with(ssl.TLSVersion.TLSv1_3, stranger)
                          .upper().replace(" ", "_"))
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

    def test_zy_a_connection_told_goaway_is_closed_when_the_drain_ends(self):
        # The connector says GOAWAY and never answers the call it took: the
        # hub forgets that connection for new calls, and it keeps the call.
        # SIGTERM's drain ends after its 5 s with that call cut, and every
        # connection closed: that one, which no endpoint names any more, was
        # once left open and leaked, which LeakSanitizer turns into a failed
        # exit under `make test-asan`.
        raw = self.connect()
        requests = self.hub.fake.requests
        raw.request_headers(FAKE_METHOD, [("x-fake", "goaway-hang")])
        self.assertTrue(wait_until(lambda: self.hub.fake.requests > requests))
        self.hub.stop_hub()
        self.addCleanup(self.hub.start_hub)  # for the next test, whatever this one found
        self.assertEqual(self.hub.hub_process.returncode, 0, self.hub.log()[-2000:])

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
        # Connections still in their TLS handshake close at once when the
        # drain reaches them (they once broke the loop over the connections).
        host, port = self.hub.address.rsplit(":", 1)
        handshaking = [socket.create_connection((host, int(port)), timeout=10) for _ in range(50)]
        self.addCleanup(lambda: [s.close() for s in handshaking])
        self.hub.hub_process.send_signal(signal.SIGTERM)
        self.assertEqual(call.result(), b"", "the call in flight finished")
        self.assertEqual(self.hub.hub_process.wait(timeout=30), 0)
        channel.close()

if __name__ == "__main__":
    unittest.main()
