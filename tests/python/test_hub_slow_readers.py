#!/usr/bin/env python3
"""A member that never reads its answers stalls only its own calls.

Each transport thread has one connection to a connector, whose window every
call on it shares. Eight connections of one member open 100 calls each to
Echo with a 100 KiB message and never read the answers (stream window 0):
the hub holds a stream window (64 KiB) of each, about 50 MiB. Another member's calls to the
same connector must still be answered: the hub credits the connector
connection's window as bytes arrive, not when the caller reads them (before,
~256 unread answers per thread held its 16 MiB window shut, and every other
member's call to Echo waited for its deadline).

What the hub holds for such callers is bounded (docs/design.md
"Connections"): per caller connection (limits.max_held_bytes_per_connection),
for all callers (limits.max_held_bytes), and in time (limits.stalled_reader_ms):
past each, the heaviest stream not read is reset (RST_STREAM
ENHANCE_YOUR_CALM). One consumer's open calls to one service are capped
(limits.max_calls_per_consumer_route). Each attack is bounded by volume while
another member calls: none of its calls may fail or be slow.

Raw HTTP/2 (python3-h2), as an attacker with a valid certificate would.
Run by ctest:  test_hub_slow_readers.py BUILD_DIR
"""
import os
import sys
import threading
import time
import unittest


import h2.errors
import h2.events
import h2.settings

from hub_fixture import Hub, ROOT, echo_request, metric, wait_until
from raw_h2 import RawH2Connection, grpc_frame

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
ATTACK_CONNECTIONS = 8
CALLS_PER_CONNECTION = 100  # the hub's SETTINGS_MAX_CONCURRENT_STREAMS
# More than a stream window: Echo cannot finish a call whose caller does not
# read, and the hub holds a window's worth (64 KiB) of each answer.
PAYLOAD = b"x" * (100 * 1024)


def held_bytes(admin):
    """ndxp_held_response_bytes: answers the hub holds for callers (/metrics)."""
    return metric(admin, "ndxp_held_response_bytes")


def limit_count(admin, limit):
    return metric(admin, 'ndxp_connection_limits_total{limit="%s"}' % limit)


def victim_calls(hub, connections=4, calls=3):
    """Another member's calls to the same connector: (failed, slow)."""
    slow_after = 15.0 if hub.sanitizer else 3.0
    failed, slow = [], 0
    for _ in range(connections):
        with RawH2Connection(hub.address, *hub.files("victim")) as victim:
            for i in range(calls):
                started = time.monotonic()
                answer = victim.call(ECHO, echo_request(b"still served %d" % i),
                                     extra_headers=[("grpc-timeout", "10S")])
                if time.monotonic() - started > slow_after:
                    slow += 1
                if answer.grpc_status != 0:
                    failed.append((answer.grpc_status, answer.grpc_message))
    return failed, slow


class NeverReader:
    """One connection that opens calls and reads none of their answers."""

    def __init__(self, hub, calls=CALLS_PER_CONNECTION):
        self.calls = calls
        self.raw = RawH2Connection(hub.address, *hub.files("caller"), timeout=60,
                                   settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        self.streams = []
        self.error = None

    def attack(self):
        try:
            message = grpc_frame(echo_request(PAYLOAD))
            for _ in range(self.calls):
                stream = self.raw.request_headers(ECHO, [("grpc-timeout", "600S")])
                self.streams.append(stream)
                if not self.raw.send_body(stream, message, end_stream=True, timeout=60):
                    raise AssertionError("the hub stopped taking the request of stream %d"
                                         % stream)
        except Exception as e:  # noqa: BLE001  (reported by the test)
            self.error = e


class HubWithLimits(unittest.TestCase):
    """A hub with the class's LIMITS (the limits block of its configuration)
    and an admin listener, for the class's tests."""
    LIMITS = ""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, limits=cls.LIMITS, admin="127.0.0.1:0")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()


class SlowReaderTest(HubWithLimits):
    # Bounds above what this attack holds and opens (100 calls' windows per
    # connection, 800 calls of one consumer), so that it tests the connector's
    # connection window.
    LIMITS = ("max_held_bytes_per_connection: 8388608 max_held_bytes: 1073741824 "
              "max_calls_per_consumer_route: 1000")

    def test_a_member_that_never_reads_does_not_starve_another(self):
        readers = [NeverReader(self.hub) for _ in range(ATTACK_CONNECTIONS)]
        self.addCleanup(lambda: [r.raw.close() for r in readers])
        threads = [threading.Thread(target=r.attack) for r in readers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in readers:
            self.assertIsNone(r.error)
        # The attack is in effect once the hub holds more unread answers than
        # the windows of both threads' connections to Echo (16 MiB each)
        # could before; before the fix it stopped at those windows.
        held = lambda: held_bytes(self.hub.admin_address)  # noqa: E731
        self.assertTrue(wait_until(lambda: held() >= 28 << 20, timeout=30))

        # Another member calls the same connector on connections of its own
        # (spread over the hub's threads): every call is answered, promptly.
        failed, slow = victim_calls(self.hub)
        self.assertEqual(failed, [], "another member's calls failed while one never read")
        self.assertEqual(slow, 0, "another member's calls were slow")
        self.assertGreaterEqual(held(), 28 << 20)
        # Each call's share is bounded by its stream window.
        self.assertLessEqual(held(), ATTACK_CONNECTIONS * CALLS_PER_CONNECTION * 65535)


class HeldBoundsTest(HubWithLimits):
    """Unread answers are bounded per caller connection and for all callers."""
    PER_CONNECTION = 256 << 10
    TOTAL = 1 << 20
    LIMITS = "max_held_bytes_per_connection: %d max_held_bytes: %d" % (PER_CONNECTION, TOTAL)

    def attack(self, connections, calls):
        readers = [NeverReader(self.hub, calls=calls) for _ in range(connections)]
        threads = [threading.Thread(target=r.attack) for r in readers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in readers:
            self.assertIsNone(r.error)
        return readers

    def end(self, readers):
        for r in readers:
            r.raw.close()
        self.assertTrue(wait_until(lambda: held_bytes(self.hub.admin_address) == 0),
                        "the hub let go of the closed connections' answers")

    def test_one_connection_holds_at_most_its_bound(self):
        admin = self.hub.admin_address
        before = limit_count(admin, "unread_answers")
        # 24 calls would hold 24 stream windows (1.5 MiB) without the bound.
        readers = self.attack(connections=1, calls=24)
        self.assertTrue(wait_until(lambda: limit_count(admin, "unread_answers") >= before + 10),
                        "streams of a connection over its bound were reset")
        failed, slow = victim_calls(self.hub)
        self.assertEqual(failed, [], "another member's calls failed")
        self.assertEqual(slow, 0, "another member's calls were slow")
        # The bound, and at most one answer's chunk (a stream window) past it.
        self.assertLessEqual(held_bytes(admin), self.PER_CONNECTION + 65535)
        self.end(readers)

    def test_all_callers_hold_at_most_the_global_bound(self):
        admin = self.hub.admin_address
        before = limit_count(admin, "unread_answers")
        # 8 connections of 3 calls, each under its own bound (3 windows,
        # 192 KiB), 1.5 MiB in all without the global bound.
        readers = self.attack(connections=8, calls=3)
        self.assertTrue(wait_until(lambda: limit_count(admin, "unread_answers") > before),
                        "streams were reset when all callers held too much")
        failed, slow = victim_calls(self.hub)
        self.assertEqual(failed, [], "another member's calls failed")
        self.assertEqual(slow, 0, "another member's calls were slow")
        # The global total is kept in 64 KiB steps per thread, plus a window.
        self.assertLessEqual(held_bytes(admin), self.TOTAL + 3 * 65536)
        self.end(readers)


class StalledReaderTest(HubWithLimits):
    """A stream holding answer bytes its caller takes none of is reset."""
    LIMITS = "stalled_reader_ms: 300"

    def test_a_stream_not_read_is_reset(self):
        admin = self.hub.admin_address
        reader = NeverReader(self.hub, calls=10)
        self.addCleanup(reader.raw.close)
        reader.attack()
        self.assertIsNone(reader.error)
        resets = {}

        def all_reset():
            for event in reader.raw.events(timeout=0.1):
                if isinstance(event, h2.events.StreamReset):
                    resets[event.stream_id] = event.error_code
            return len(resets) >= len(reader.streams)

        self.assertTrue(wait_until(all_reset, timeout=30), "reset: %r" % resets)
        self.assertEqual(set(resets), set(reader.streams))
        self.assertEqual(set(resets.values()), {h2.errors.ErrorCodes.ENHANCE_YOUR_CALM})
        self.assertGreaterEqual(limit_count(admin, "stalled_reader"), len(reader.streams))
        self.assertTrue(wait_until(lambda: held_bytes(admin) == 0))
        failed, slow = victim_calls(self.hub, connections=2)
        self.assertEqual(failed, [], "another member's calls failed")
        self.assertEqual(slow, 0, "another member's calls were slow")


def acknowledged_ping(raw, timeout=10):
    """Sends a PING and reads until its acknowledgement: every frame sent before is read."""
    raw.conn.ping(b"12345678")
    raw._flush()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(isinstance(e, h2.events.PingAckReceived) for e in raw.events(timeout=0.2)):
            return True
    return False


class ConcurrencyCapTest(HubWithLimits):
    """One consumer's open calls to one service are capped, per hub."""
    LIMITS = "max_calls_per_consumer_route: 3"

    def test_calls_over_the_cap_are_refused_naming_it(self):
        admin = self.hub.admin_address
        refused_before = metric(admin, 'ndxp_refusals_total{reason="over_concurrency"}')
        # Three calls left open (their requests never end), on two connections.
        first = RawH2Connection(self.hub.address, *self.hub.files("caller"))
        second = RawH2Connection(self.hub.address, *self.hub.files("caller"))
        self.addCleanup(first.close)
        self.addCleanup(second.close)
        open_calls = [first.request_headers(ECHO), first.request_headers(ECHO)]
        second.request_headers(ECHO)
        for connection in (first, second):  # the hub has read the headers before the PING
            self.assertTrue(acknowledged_ping(connection))
        with RawH2Connection(self.hub.address, *self.hub.files("caller")) as third:
            answer = third.call(ECHO, echo_request(b"one too many"))
            self.assertEqual(answer.grpc_status, 8, answer.grpc_message)  # RESOURCE_EXHAUSTED
            self.assertIn("000.00.00.G12/caller has 3 calls open to ndxp.bench.v1.Echo",
                          answer.grpc_message)
            self.assertIn("limits.max_calls_per_consumer_route", answer.grpc_message)
            # Another consumer is not under the caller's cap.
            with RawH2Connection(self.hub.address, *self.hub.files("victim")) as victim:
                self.assertEqual(victim.call(ECHO, echo_request(b"mine")).grpc_status, 0)
            # A call that ends gives its slot back.
            first.conn.reset_stream(open_calls[0])
            first._flush()
            self.assertTrue(wait_until(
                lambda: third.call(ECHO, echo_request(b"now")).grpc_status == 0, timeout=10))
        self.assertGreaterEqual(metric(admin, 'ndxp_refusals_total{reason="over_concurrency"}'),
                                refused_before + 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
