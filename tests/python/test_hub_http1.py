#!/usr/bin/env python3
"""HTTP/1.1 on the callers' listener (docs/design.md "Connections"): a
member's client that offers ALPN http/1.1, or no ALPN at all (Java 8 before
8u252, .NET Framework), reaches the JSON door (its calls: test_json_door.py);
here, requests for paths no method's REST rule maps, answered 404 with a
Connect JSON error that does not quote the path, keeping the connection.
Request smuggling and oversize requests are refused and the connection
closed; a head trickled a byte at a time is closed by the header timeout
while another member's gRPC calls on HTTP/2 all succeed; a client without a
certificate is still refused at the handshake. Real processes, real TLS.

Run by ctest:  test_hub_http1.py BUILD_DIR
"""

import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest

from hub_fixture import Hub, ROOT, metric
from raw_h2 import RawH2Connection

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
NO_ROUTE = {"code": "not_found", "message": "no REST mapping matches this path"}
def _sanitizer_build():
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            return any(line.startswith("NDXP_SANITIZER:STRING=") and line.strip() != "NDXP_SANITIZER:STRING="
                       for line in f)
    except FileNotFoundError:
        return False


# Short, for the tests that wait for them, yet long enough that a loaded
# machine (ctest -j, a slow Python client) does not time out an honest
# head; four times longer in a sanitizer build, whose hub is slower.
_SCALE = 4 if _sanitizer_build() else 1
HEADER_TIMEOUT_MS = 2000 * _SCALE
IDLE_TIMEOUT_MS = 2500 * _SCALE


class Response:
    def __init__(self, status, fields, body):
        self.status, self.fields, self.body = status, fields, body

    def field(self, name):
        return self.fields.get(name)


class Http1Client:
    """One TLS connection to the hub, read as HTTP/1.1 responses."""

    def __init__(self, hub, alpn=("http/1.1",), certificate=True):
        ca, cert, key = hub.files("caller")
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
        if certificate:
            context.load_cert_chain(cert, key)
        context.check_hostname = False
        if alpn:
            context.set_alpn_protocols(list(alpn))
        host, port = hub.address.rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=20)
        self.sock = context.wrap_socket(raw, server_hostname=host)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.buffer += data

    def response(self, head_request=False):
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip()
        length = 0 if head_request else int(fields.get("content-length", "0"))
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Response(status, fields, body)

    def closed_by_hub(self):
        """True once the hub ends the connection (EOF or reset) within 20 s."""
        try:
            while self.sock.recv(65536):
                pass
        except (ConnectionError, ssl.SSLError):
            pass
        except socket.timeout:
            return False
        return True


class Http1Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The least held bytes a connection may have, so a caller that
        # pipelines without reading meets back-pressure soon.
        cls.hub = Hub(BUILD, limits="http1_header_timeout_ms: %d http1_idle_timeout_ms: %d "
                      "max_held_bytes_per_connection: 65536"
                      % (HEADER_TIMEOUT_MS, IDLE_TIMEOUT_MS), admin="127.0.0.1:0")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def client(self, **kwargs):
        client = Http1Client(self.hub, **kwargs)
        self.addCleanup(client.close)
        return client

    def assert_unrouted(self, response):
        self.assertEqual(response.status, 404)
        self.assertEqual(response.field("content-type"), "application/json")
        self.assertEqual(json.loads(response.body), NO_ROUTE)
        self.assertNotEqual(response.field("connection"), "close")

    def test_alpn_http1_gets_json_answers_with_keep_alive(self):
        client = self.client()
        self.assertEqual(client.sock.selected_alpn_protocol(), "http/1.1")
        for _ in range(2):  # the same connection answers again
            client.sock.sendall(b"POST /v1/citizens/079123456789 HTTP/1.1\r\nHost: hub\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            self.assert_unrouted(client.response())

    def test_no_alpn_is_http1(self):
        client = self.client(alpn=None)
        self.assertIsNone(client.sock.selected_alpn_protocol())
        for _ in range(2):
            client.sock.sendall(b"GET /v1/status HTTP/1.1\r\nHost: hub\r\n\r\n")
            self.assert_unrouted(client.response())

    def test_pipelined_requests_are_answered_in_order(self):
        client = self.client()
        # A HEAD's answer has no body: the order of the two shows.
        client.sock.sendall(b"POST /a HTTP/1.1\r\nHost: hub\r\nContent-Length: 2\r\n\r\n{}"
                            b"HEAD /b HTTP/1.1\r\nHost: hub\r\n\r\n")
        self.assert_unrouted(client.response())
        second = client.response(head_request=True)
        self.assertEqual(second.status, 404)
        self.assertEqual(second.body, b"")
        client.sock.sendall(b"GET /c HTTP/1.1\r\nHost: hub\r\n\r\n")  # still open
        self.assert_unrouted(client.response())

    def test_a_caller_that_pipelines_without_reading_gets_every_answer_in_order(self):
        # 20,000 requests (8 MB, more than the kernel's socket buffers take)
        # sent before a byte is read: their answers pass the held-bytes
        # bound, so the hub stops reading and the sender blocks until the
        # caller reads; then the hub goes on where it stopped.
        client = self.client()
        count = 20000
        pad = b"x" * 360
        requests = b"".join(b"GET /%d HTTP/1.1\r\nHost: hub\r\nX-Pad: %s\r\n\r\n" % (i, pad)
                            for i in range(count))
        # One thread (an SSL socket is not for two): send until the socket
        # blocks, and only then read as well.
        sock, sent, blocked = client.sock, 0, False
        sock.setblocking(False)
        while sent < len(requests):
            try:
                sent += sock.send(requests[sent:sent + 16384])
                continue
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                blocked = True
            readable, _, _ = select.select([sock], [sock], [], 20)
            if readable:
                try:
                    data = sock.recv(65536)
                    if not data:
                        self.fail("the hub closed the connection")
                    client.buffer += data
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
        sock.settimeout(20)
        self.assertTrue(blocked, "the hub stopped reading at some point")
        for _ in range(count):
            self.assert_unrouted(client.response())
        client.sock.sendall(b"GET /last HTTP/1.1\r\nHost: hub\r\n\r\n")
        self.assert_unrouted(client.response())

    def test_curl_with_a_member_certificate(self):
        curl = shutil.which("curl")
        if curl is None:
            self.skipTest("curl is not installed")
        ca, cert, key = self.hub.files("caller")
        result = subprocess.run(
            [curl, "--http1.1", "-sS", "--cacert", ca, "--cert", cert, "--key", key,
             "-H", "content-type: application/json", "-d", "{}",
             "-w", "\n%{http_code} %{http_version}",
             "https://%s/v1/citizens/079123456789" % self.hub.address],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        body, status = result.stdout.rsplit("\n", 1)
        self.assertEqual(status, "404 1.1")
        self.assertEqual(json.loads(body), NO_ROUTE)

    def assert_refused(self, request, status, reason):
        before = metric(self.hub.admin_address, 'ndxp_http1_refusals_total{reason="%s"}' % reason)
        client = self.client()
        client.sock.sendall(request)
        response = client.response()
        self.assertEqual(response.status, status)
        self.assertEqual(response.field("connection"), "close")
        self.assertTrue(client.closed_by_hub(), "the hub closed the connection")
        self.assertEqual(
            metric(self.hub.admin_address, 'ndxp_http1_refusals_total{reason="%s"}' % reason),
            before + 1)

    def test_smuggling_is_refused_and_closed(self):
        cases = [
            (b"POST /a HTTP/1.1\r\nHost: hub\r\nContent-Length: 5\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "ambiguous_length"),
            (b"POST /a HTTP/1.1\r\nHost: hub\r\nContent-Length: 2\r\n"
             b"Content-Length: 2\r\n\r\n{}", "ambiguous_length"),
            (b"GET /a HTTP/1.1\r\nHost: hub\r\nX-A: 1\r\n folded\r\n\r\n", "obs_fold"),
        ]
        for request, reason in cases:
            with self.subTest(reason=reason, request=request[:60]):
                self.assert_refused(request, 400, reason)

    def test_oversize_content_length_is_refused_before_the_body(self):
        client = self.client()
        # The fixture's max_message_bytes is 1 MiB; not one body byte is sent.
        client.sock.sendall(b"POST /a HTTP/1.1\r\nHost: hub\r\nContent-Length: 2097152\r\n\r\n")
        response = client.response()
        self.assertEqual(response.status, 413)
        self.assertEqual(response.field("connection"), "close")
        self.assertTrue(client.closed_by_hub())

    def test_trickled_head_is_closed_while_other_members_calls_succeed(self):
        victim = RawH2Connection(self.hub.address, *self.hub.files("victim"))
        self.addCleanup(victim.close)
        stop = threading.Event()
        counts = {"calls": 0, "failures": 0}

        def call_all_along():
            while not stop.is_set():
                try:
                    answer = victim.call(ECHO, b"\x0a\x02ok")
                    ok = answer.grpc_status == 0
                except (OSError, ssl.SSLError):
                    ok = False
                counts["calls"] += 1
                counts["failures"] += 0 if ok else 1

        caller = threading.Thread(target=call_all_along, daemon=True)
        caller.start()
        client = self.client()
        head = b"GET /a HTTP/1.1\r\nHost: hub\r\n" + b"X-Slow: " + b"a" * 4000
        answer = b""
        try:
            # A byte every 10 ms, the head never complete: the answer is read
            # as it comes (a reset after the hub closes could discard it).
            for byte in head:
                client.sock.sendall(bytes([byte]))
                readable, _, _ = select.select([client.sock], [], [], 0.01)
                if readable:
                    data = client.sock.recv(65536)
                    answer += data
                    if not data or b"\r\n\r\n" in answer:
                        break
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        stop.set()
        caller.join(timeout=30)
        self.assertTrue(answer.startswith(b"HTTP/1.1 408 "), answer[:40])
        self.assertGreater(counts["calls"], 0)
        self.assertEqual(counts["failures"], 0)
        self.assertGreaterEqual(
            metric(self.hub.admin_address, 'ndxp_http1_refusals_total{reason="head_timeout"}'), 1)

    def test_idle_connection_is_closed_after_the_idle_timeout(self):
        client = self.client()
        client.sock.sendall(b"GET /a HTTP/1.1\r\nHost: hub\r\n\r\n")
        self.assert_unrouted(client.response())
        self.assertTrue(client.closed_by_hub(), "the idle connection was closed")

    def test_a_body_that_stalls_ends_with_its_calls_deadline(self):
        client = self.client()
        client.sock.sendall(b"POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                            b"Connect-Timeout-Ms: 300\r\nContent-Length: 10\r\n\r\n{"
                            % ECHO.encode())
        response = client.response()
        self.assertEqual(response.status, 504)
        self.assertEqual(json.loads(response.body)["code"], "deadline_exceeded")
        self.assertEqual(response.field("connection"), "close")
        self.assertTrue(client.closed_by_hub(), "the stalled request's connection was closed")

    def test_client_without_certificate_is_refused_at_the_handshake(self):
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            client = Http1Client(self.hub, certificate=False)
            self.addCleanup(client.close)
            client.sock.sendall(b"GET /a HTTP/1.1\r\nHost: hub\r\n\r\n")
            if not client.sock.recv(1):
                raise ConnectionError("closed")

    def test_request_target_is_never_logged(self):
        client = self.client()
        client.sock.sendall(b"GET /v1/citizens/079123456789?q=1 HTTP/1.1\r\nHost: hub\r\n"
                            b"X-A: 1\r\n folded\r\n\r\n")
        self.assertEqual(client.response().status, 400)
        self.assertNotIn("079123456789", self.hub.log())


class Http1DrainTest(unittest.TestCase):
    def test_sigterm_closes_an_idle_http1_connection_and_the_hub_exits_0(self):
        hub = Hub(BUILD)
        self.addCleanup(hub.stop)
        client = Http1Client(hub)
        self.addCleanup(client.close)
        client.sock.sendall(b"GET /a HTTP/1.1\r\nHost: hub\r\n\r\n")
        self.assertEqual(client.response().status, 404)
        hub.hub_process.terminate()
        self.assertTrue(client.closed_by_hub(), "the hub closed the idle connection")
        self.assertEqual(hub.hub_process.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest.main()
