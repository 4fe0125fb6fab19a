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

Raw HTTP/2 (python3-h2), as an attacker with a valid certificate would.
Run by ctest:  test_hub_slow_readers.py BUILD_DIR
"""
import os
import sys
import threading
import time
import unittest

import urllib.request

import h2.settings

from hub_fixture import Hub, ROOT, echo_request, wait_until
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
    with urllib.request.urlopen("http://%s/metrics" % admin, timeout=10) as r:
        page = r.read().decode()
    for line in page.splitlines():
        if line.startswith("ndxp_held_response_bytes "):
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


class NeverReader:
    """One connection that opens calls and reads none of their answers."""

    def __init__(self, hub):
        self.raw = RawH2Connection(hub.address, *hub.files("caller"), timeout=60,
                                   settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        self.streams = []
        self.error = None

    def attack(self):
        try:
            message = grpc_frame(echo_request(PAYLOAD))
            for _ in range(CALLS_PER_CONNECTION):
                stream = self.raw.request_headers(ECHO, [("grpc-timeout", "600S")])
                self.streams.append(stream)
                if not self.raw.send_body(stream, message, end_stream=True, timeout=60):
                    raise AssertionError("the hub stopped taking the request of stream %d"
                                         % stream)
        except Exception as e:  # noqa: BLE001  (reported by the test)
            self.error = e


class SlowReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, admin="127.0.0.1:0")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

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
        wait_until(lambda: held() >= 28 << 20, timeout=30)

        # Another member calls the same connector on connections of its own
        # (spread over the hub's threads): every call is answered, promptly.
        slow_after = 15.0 if self.hub.sanitizer else 3.0
        failed, slow = [], 0
        for _ in range(4):
            with RawH2Connection(self.hub.address, *self.hub.files("victim")) as victim:
                for i in range(3):
                    started = time.monotonic()
                    answer = victim.call(ECHO, echo_request(b"still served %d" % i),
                                         extra_headers=[("grpc-timeout", "10S")])
                    if time.monotonic() - started > slow_after:
                        slow += 1
                    if answer.grpc_status != 0:
                        failed.append((answer.grpc_status, answer.grpc_message))
        self.assertEqual(failed, [], "another member's calls failed while one never read")
        self.assertEqual(slow, 0, "calls slower than %.0f s" % slow_after)
        self.assertGreaterEqual(held(), 28 << 20)
        # Each call's share is bounded by its stream window.
        self.assertLessEqual(held(), ATTACK_CONNECTIONS * CALLS_PER_CONNECTION * 65535)


if __name__ == "__main__":
    unittest.main(verbosity=2)
