#!/usr/bin/env python3
"""No member may delay another's calls (docs/design.md, "Connections"): a
member granted nothing floods the hub over raw HTTP/2 on real mutual TLS
with frames that do no work for a call (empty frames of an unknown type,
WINDOW_UPDATE +1 on the connection, HEADERS on a closed stream, a header
block of endless CONTINUATION frames) or with HPACK (a 4,000-byte table
entry, then 16 KiB blocks of one-byte references to it, on new streams and
on a closed one) and must be told GOAWAY ENHANCE_YOUR_CALM, counted in
/metrics and logged by address and limit; while attackers write, another
member calls all along and none of its calls fails or is slow.

Each attack is bounded by volume (frames or bytes) and stops at the GOAWAY
it provokes. Before the hub counted these frames none came, the hub read
on, and the other member's calls waited for as long as the attack lasted
(up to 5 s here). Before the hub counted header frames decoded for nothing
(limits.wasted_header_frames), the HPACK floods on new streams were never
told GOAWAY: every call a useful frame, each refused on its own.

And connections read in turns: with the bound on useless frames out of
reach, floods go on to their volume and the other member is not delayed
either; before, the hub read one connection while it had bytes.

Run by ctest:  test_hub_fairness.py BUILD_DIR
"""

import os
import socket
import ssl
import struct
import sys
import threading
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


def hpack_integer(value, prefix_bits, first_byte):
    """RFC 7541 5.1: `value` with an N-bit prefix, the rest of the first
    byte's bits from `first_byte`."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte | value])
    out, value = [first_byte | limit], value - limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(out + [value])


UNKNOWN = frame(0xFA, 0, 0)                                    # empty, unknown type, stream 0
WINDOW_UPDATE = frame(0x8, 0, 0, struct.pack(">I", 1))         # +1 on the connection
# A 4,000-byte entry for the hub's HPACK table (literal with incremental
# indexing, new name), then blocks of one-byte references to it (index 62,
# the newest entry): 16 KiB on the wire, 64 MB decoded.
TABLE_ENTRY = (b"\x40" + hpack_integer(5, 7, 0) + b"x-big" + hpack_integer(4000, 7, 0)
               + b"v" * 4000)
REFERENCES = b"\xbe" * 16384
END_HEADERS, END_STREAM = 0x4, 0x1


def new_stream_references(first_id, count, continuations=0):
    """`count` calls on new streams from `first_id` on, each a block of
    references (over the 8 KiB header list limit as soon as it decodes) in a
    HEADERS and `continuations` CONTINUATION frames."""
    out = b""
    for stream_id in range(first_id, first_id + 2 * count, 2):
        out += frame(0x1, END_STREAM | (0 if continuations else END_HEADERS), stream_id,
                     REFERENCES)
        for i in range(continuations):
            out += frame(0x9, END_HEADERS if i == continuations - 1 else 0, stream_id,
                         REFERENCES)
    return out


def closed_stream_headers(stream_id):
    """The frames after the call on `stream_id` ended: the table entry, then
    one block of references (each further unit is one more)."""
    return (frame(0x1, END_HEADERS | END_STREAM, stream_id, TABLE_ENTRY),
            frame(0x1, END_HEADERS | END_STREAM, stream_id, REFERENCES))


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

    def call_refused(self):
        """One call the hub refuses (not granted), on stream 201: streams
        1 to 199 are closed (never opened, they can be no more), and
        forgotten, so nghttp2 still decodes HEADERS on them (on a stream it
        remembers closed, it answers STREAM_CLOSED). The id of one."""
        self.raw.conn.highest_outbound_stream_id = 199
        answer = self.raw.call(ECHO, echo_request(b"no"))
        assert answer.grpc_status == 7, vars(answer)  # PERMISSION_DENIED
        return 1

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

    def flood(self, unit, volume, per_write=None, wait=10):
        """Writes `unit` again and again, `per_write` units at a time, until
        the hub says GOAWAY or `volume` bytes are out; then waits `wait`
        seconds at most for the GOAWAY. Its error code (None: there was
        none)."""
        chunk = unit * (per_write or max(1, 16384 // len(unit)))
        while self.sent < volume and self.write(chunk):
            pass
        return self.wait_for_goaway(wait)

    def flood_new_streams(self, volume, per_write=4, wait=10, continuations=0):
        """The HPACK amplification on new streams: the table entry in a call
        of its own, then calls of one block of references each (a HEADERS
        and `continuations` CONTINUATION frames), `per_write` at a time,
        until the GOAWAY or `volume` bytes; its error code."""
        stream_id = 1
        self.write(frame(0x1, END_HEADERS | END_STREAM, stream_id, TABLE_ENTRY))
        while self.sent < volume and stream_id < (1 << 31) - 2 * per_write - 2:
            if not self.write(new_stream_references(stream_id + 2, per_write, continuations)):
                break
            stream_id += 2 * per_write
        return self.wait_for_goaway(wait)

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


def refusal_count(found, reason):
    return found.get(("ndxp_refusals_total", (("reason", reason),)), 0)


def slow_seconds(hub):
    """A call slower than this counts as delayed. Under these attacks the
    other member's calls took 0.17 s at most here (a new connection's
    handshake included), and up to 5 s before the hub read in turns and
    counted useless frames; under a sanitizer the hub is several times
    slower."""
    return 1.0 * (4 if hub.sanitizer else 1)


class Caller(threading.Thread):
    """Another member calling Echo all along, on one connection (`fresh`:
    a new connection for each call, as a caller that connects now would);
    counts its calls, the failed ones and the slow ones."""

    def __init__(self, hub, slow_seconds, fresh=False):
        super().__init__(daemon=True)
        self.hub, self.slow_seconds, self.fresh = hub, slow_seconds, fresh
        self.stop = threading.Event()
        self.calls = self.failed = self.slow = 0
        self.slowest = 0.0
        self.start()

    def one_call(self, raw):
        answer = raw.call(ECHO, echo_request(b"good"), [("grpc-timeout", "20S")])
        return answer.grpc_status == 0 and answer.data[5:] == echo_request(b"good")

    def run(self):
        raw = None
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                if raw is None or self.fresh:
                    if raw is not None:
                        raw.close()
                    raw = RawH2Connection(self.hub.address, *self.hub.files("victim"), timeout=20)
                ok = self.one_call(raw)
            except (OSError, ssl.SSLError, ConnectionError):
                ok, raw = False, None
            took = time.monotonic() - started
            self.calls += 1
            self.failed += 0 if ok else 1
            self.slow += 1 if took > self.slow_seconds else 0
            self.slowest = max(self.slowest, took)
            self.stop.wait(0.02)
        if raw is not None:
            raw.close()

    def finish(self):
        self.stop.set()
        self.join(timeout=60)


class FloodTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, admin="127.0.0.1:0", limits="reset_burst: 20 resets_per_second: 1")
        cls.slow_seconds = slow_seconds(cls.hub)

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

    def assert_frames_read(self, attacker, frames):
        """The hub read `frames` header frames of `attacker` that it decoded
        for nothing, the last not whole (what it was sent may be megabytes
        more, unread)."""
        line = ("connection from %s (%s) ended with GOAWAY ENHANCE_YOUR_CALM: "
                "wasted_header_frames (limits.wasted_header_frames): %d header frames "
                % (attacker.address, STRANGER, frames))
        self.assertIn(line, self.hub.log())

    def test_empty_frames_of_an_unknown_type_end_with_enhance_your_calm(self):
        before = metrics(self.hub)
        attacker = self.attacker()
        goaway = attacker.flood(UNKNOWN, volume=4 << 20)  # 466,000 frames at most
        self.assert_ended_by(attacker, goaway, "useless_frames", before)

    def test_window_updates_on_the_connection_end_with_enhance_your_calm(self):
        before = metrics(self.hub)
        attacker = self.attacker()
        goaway = attacker.flood(WINDOW_UPDATE, volume=4 << 20)
        self.assert_ended_by(attacker, goaway, "useless_frames", before)

    def test_headers_on_a_closed_stream_end_with_enhance_your_calm(self):
        # Each block is decoded (HPACK must stay in step) and dropped: the
        # 11th (limits.wasted_header_frames, 10) is not read.
        before = metrics(self.hub)
        attacker = self.attacker()
        stream_id = attacker.call_refused()
        entry, references = closed_stream_headers(stream_id)
        self.assertTrue(attacker.write(entry))
        goaway = attacker.flood(references, volume=1000 * len(references), per_write=4)
        self.assert_ended_by(attacker, goaway, "wasted_header_frames", before)
        self.assert_frames_read(attacker, 11)

    def test_header_blocks_decoding_past_the_limit_on_new_streams_end_with_enhance_your_calm(self):
        # The same references on new streams: each call is refused
        # RESOURCE_EXHAUSTED and counted, and each is a useful frame, so the
        # bound on useless frames never comes; the 11th frame decoded past
        # the limit ends it: the 11th block of one frame, or the second
        # block's CONTINUATION of blocks of 9 frames (8 CONTINUATION, the
        # most nghttp2 takes), before nghttp2 reads it.
        for continuations, refused in ((0, 10), (8, 1)):
            with self.subTest(continuations=continuations):
                before = metrics(self.hub)
                attacker = self.attacker()
                goaway = attacker.flood_new_streams(volume=1000 * len(REFERENCES),
                                                    continuations=continuations)
                self.assert_ended_by(attacker, goaway, "wasted_header_frames", before)
                self.assert_frames_read(attacker, 11)
                self.assertEqual(refusal_count(metrics(self.hub), "headers_too_large"),
                                 refusal_count(before, "headers_too_large") + refused,
                                 "each call refused before the limit is counted as a refusal")

    def test_a_header_block_of_endless_continuations_ends_with_enhance_your_calm(self):
        # nghttp2 fails the session on the 9th CONTINUATION without a GOAWAY,
        # and counts one each time a read starts in a CONTINUATION's header
        # (cut into 1-byte TLS records, the first failed it): the hub stops
        # the 9th before nghttp2 reads it, and hands it each header whole.
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

    def test_zz_no_attacker_delays_another_members_calls(self):
        # Four attackers (the hub has a loop thread per core: two here, each
        # with attackers on it), each flooding until told GOAWAY, then
        # connecting again, until it has written its volume; another member
        # calls throughout on one connection, and on a new one per call.
        before = metrics(self.hub)
        goaways = attack_while_calling(self, [
            dict(closed_stream=True, volume=48 << 20, per_write=4),
            dict(closed_stream=True, volume=48 << 20, per_write=4),
            dict(closed_stream=True, volume=48 << 20, per_write=4),
            dict(unit=UNKNOWN, volume=32 << 20)])
        after = metrics(self.hub)
        self.assertEqual(set(goaways), {ENHANCE_YOUR_CALM}, "every flood ended with its GOAWAY")
        counted = sum(limit_count(after, limit) - limit_count(before, limit)
                      for limit in ("useless_frames", "wasted_header_frames"))
        self.assertEqual(counted, len(goaways), "each one counted")

    def test_zz_hpack_amplification_delays_no_other_member(self):
        # Issue 18: one 4,000-byte table entry, then 16 KiB blocks of
        # one-byte references (0.82 ms each to decode against 0.043 ms for
        # literals), on new streams and on a closed one, from four
        # connections at a time, each connecting again after its GOAWAY
        # until it has written its volume. Before the hub counted these
        # blocks, the new-stream floods were never told GOAWAY.
        before = metrics(self.hub)
        goaways = attack_while_calling(self, [
            dict(new_streams=True, volume=24 << 20),
            dict(new_streams=True, volume=24 << 20),
            dict(closed_stream=True, volume=24 << 20, per_write=4),
            dict(closed_stream=True, volume=24 << 20, per_write=4)])
        after = metrics(self.hub)
        self.assertEqual(set(goaways), {ENHANCE_YOUR_CALM}, "every flood ended with its GOAWAY")
        self.assertEqual(limit_count(after, "wasted_header_frames"),
                         limit_count(before, "wasted_header_frames") + len(goaways),
                         "each one counted as wasted_header_frames")
        self.assertGreater(refusal_count(after, "headers_too_large"),
                           refusal_count(before, "headers_too_large"))


class TurnTest(unittest.TestCase):
    """The turns alone: with the bound on useless frames out of reach, the
    floods go on to their volume, and the hub still serves other members
    between their turns."""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, admin="127.0.0.1:0",
                      limits="useless_frames: 4000000000 wasted_header_frames: 4000000000")
        cls.slow_seconds = slow_seconds(cls.hub)

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def test_a_connection_that_writes_without_pause_gets_its_turn_and_no_more(self):
        before = metrics(self.hub)
        goaways = attack_while_calling(
            self, [dict(closed_stream=True, volume=24 << 20, per_write=4, wait=0)] * 4,
            connections=1)
        self.assertEqual(goaways, [None] * 4, "no flood was cut short")
        self.assertGreater(limit_count(metrics(self.hub), "read_budget"),
                           limit_count(before, "read_budget"), "turns ended with bytes left")


def attack_while_calling(test, attacks, connections=40):
    """Runs each of `attacks` (Attacker.flood's arguments, and closed_stream:
    HEADERS on a closed stream, new_streams: Attacker.flood_new_streams) in a thread of its own, on up to
    `connections` connections one after the other, each written until its
    GOAWAY or `volume` bytes, until about `volume` bytes are out in all;
    meanwhile another member calls Echo on one connection, and on a new
    connection per call. Asserts that none of its calls failed or was slower
    than test.slow_seconds; returns the GOAWAY codes of the floods."""
    callers = [Caller(test.hub, test.slow_seconds),
               Caller(test.hub, test.slow_seconds, fresh=True)]
    test.addCleanup(lambda: [c.finish() for c in callers])
    test.assertTrue(wait_until(lambda: all(c.calls > 0 for c in callers)))
    goaways, errors = [], []

    def attack(unit=None, volume=0, per_write=None, wait=10, closed_stream=False,
               new_streams=False):
        sent = opened = 0
        try:
            while sent < volume and opened < connections:
                attacker = Attacker(test.hub)
                opened += 1
                try:
                    if new_streams:
                        goaways.append(attacker.flood_new_streams(volume, wait=wait))
                        sent += attacker.sent
                        continue
                    if closed_stream:
                        entry, unit = closed_stream_headers(attacker.call_refused())
                        attacker.write(entry)
                    goaways.append(attacker.flood(unit, volume, per_write, wait))
                    sent += attacker.sent
                finally:
                    attacker.close()
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(repr(e))

    threads = [threading.Thread(target=attack, kwargs=kwargs, daemon=True) for kwargs in attacks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    for caller in callers:
        caller.finish()
    print("\n  attackers: %d connections; calls: %s" % (
        len(goaways), ", ".join("%d, slowest %.3f s" % (c.calls, c.slowest) for c in callers)),
        file=sys.stderr)
    test.assertEqual(errors, [])
    for caller in callers:
        kind = "a new connection per call" if caller.fresh else "one connection"
        test.assertGreater(caller.calls, 0)
        test.assertEqual(caller.failed, 0, "failed calls on " + kind)
        test.assertEqual(caller.slow, 0, "calls on %s slower than %.1f s (the slowest %.2f s)"
                         % (kind, test.slow_seconds, caller.slowest))
    return goaways


if __name__ == "__main__":
    unittest.main()
