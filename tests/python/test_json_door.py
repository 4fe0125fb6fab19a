"""The JSON door on HTTP/2 and HTTP/1.1: unary Connect calls
(application/json, application/proto) through the same admission, recording
and answers as gRPC, called with curl, a client nobody here wrote; the same
tests run over each transport (one hub).

Usage: test_json_door.py BUILD_DIR [unittest args]
"""
import base64
import json
import os
import select
import socket
import ssl
import sqlite3
import subprocess
import sys
import unittest
import urllib.request

import h2.events

from hub_fixture import ECHO_SERVICE, FAKE_SERVICE, IDENTITIES, Hub, ROOT, wait_until
from raw_h2 import RawH2Connection

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO_URL = "/%s/Echo" % ECHO_SERVICE
INBOX_URL = "/%s/ReceiveInbox" % FAKE_SERVICE


HUB = None
NOTICE_DEFERRAL_SECONDS = 90 * 86400


def setUpModule():
    global HUB
    # The catalogue is granted to the caller's agency (not the stranger's).
    # The victim's calls to Echo are hidden from the people they are about
    # for 90 days (its other grant of Echo defers nothing: the longest holds).
    HUB = Hub(BUILD, recording="DURABLE", admin="127.0.0.1:0",
              extra='grants { consumer: "%s" service: "ndxp.hub.v1.Catalogue" }\n'
              'grants { consumer: "%s" service: "%s" defer_subject_notice { seconds: %d } }'
              % (IDENTITIES["caller"][0], IDENTITIES["victim"][0], ECHO_SERVICE,
                 NOTICE_DEFERRAL_SECONDS))


def tearDownModule():
    HUB.stop()


class ConnectOverHttp2Test(unittest.TestCase):
    CURL_HTTP = "--http2"
    STATUS_LINE = "HTTP/2 "
    QUIET_MEMBER = "victim"  # refused by no other test of the module

    @classmethod
    def setUpClass(cls):
        cls.hub = HUB

    def curl(self, who, path, body, content_type="application/json", headers=(), method=None):
        """(HTTP status, headers dict, body bytes) of a POST (or `method`, with
        no body) over the class's HTTP."""
        ca, cert, key = self.hub.files(who)
        argv = ["curl", "--silent", "--show-error", self.CURL_HTTP, "--cacert", ca, "--cert", cert,
                "--key", key, "--dump-header", "-"]
        if method is None:
            argv += ["--data-binary", "@-", "-H", "content-type: " + content_type]
        else:
            argv += ["--request", method]
        for header in headers:
            argv += ["-H", header]
        argv.append("https://localhost:%s%s" % (self.hub.address.rsplit(":", 1)[1], path))
        done = subprocess.run(argv, input=body, capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.assertTrue(lines[0].startswith(self.STATUS_LINE), lines[0])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        return int(lines[0].split()[1]), fields, payload

    def request_id(self, name):
        """A request id of this class's own (the classes share one hub)."""
        return "%s-%s" % (name, self.CURL_HTTP.strip("-").replace(".", ""))

    def audit(self, request_id):
        with sqlite3.connect(self.hub.database) as db:
            return db.execute("SELECT door, status_code, refusal, consumer FROM audit_log "
                              "WHERE request_id = ?", (request_id,)).fetchone()

    def test_a_json_call_is_answered_in_json_and_recorded_with_its_door(self):
        payload = base64.b64encode(b"hello, json door").decode()
        status, headers, body = self.curl("caller", ECHO_URL,
                                          json.dumps({"payload": payload}).encode(),
                                          headers=["x-ndxp-request-id: json-1"])
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["x-ndxp-request-id"], "json-1")
        self.assertEqual(json.loads(body), {"payload": payload})
        self.assertEqual(self.audit("json-1"), ("connect", 0, "", "%s/%s" % IDENTITIES["caller"][:2]))

    def test_a_deferred_grant_fixes_the_rows_visible_after_at_call_time(self):
        calls = {"victim": self.request_id("deferred"), "caller": self.request_id("not-deferred")}
        for who, request_id in calls.items():
            status, _, body = self.curl(who, ECHO_URL, b"{}",
                                        headers=["x-ndxp-request-id: " + request_id])
            self.assertEqual(status, 200, body)
        with sqlite3.connect(self.hub.database) as db:
            def visible_after(request_id):
                return db.execute("SELECT visible_after - time_micros, visible_after FROM "
                                  "audit_log WHERE request_id = ?", (request_id,)).fetchone()
            self.assertEqual(visible_after(calls["victim"])[0], NOTICE_DEFERRAL_SECONDS * 10**6)
            self.assertEqual(visible_after(calls["caller"])[1], 0)

    def test_a_binary_call_is_answered_in_binary(self):
        message = b"\x0a\x03abc"  # EchoRequest{payload: "abc"}
        status, headers, body = self.curl("caller", ECHO_URL, message,
                                          content_type="application/proto")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "application/proto")
        self.assertEqual(body, message)

    def test_a_refusal_is_a_connect_error_and_an_audit_row_with_its_door(self):
        status, headers, body = self.curl("stranger", ECHO_URL, b"{}",
                                          headers=["x-ndxp-request-id: json-refused"])
        self.assertEqual(status, 403, body)
        self.assertEqual(headers["content-type"], "application/json")
        error = json.loads(body)
        self.assertEqual(error["code"], "permission_denied")
        self.assertIn("is not granted", error["message"])
        self.assertTrue(wait_until(lambda: self.audit("json-refused") is not None))
        self.assertEqual(self.audit("json-refused")[:2], ("connect", 7))

    def test_bad_json_names_the_position_and_never_echoes_values(self):
        for bad, says in ((b'{"payload": "c2VjcmV0"', "malformed JSON at the end"),
                          (b'{"payload": "c2VjcmV0" x}', "malformed JSON at byte 23")):
            status, _, body = self.curl("caller", ECHO_URL, bad)
            self.assertEqual(status, 400, body)
            error = json.loads(body)
            self.assertEqual(error["code"], "invalid_argument")
            self.assertIn(says, error["message"])
            self.assertNotIn("c2VjcmV0", error["message"])
        status, _, body = self.curl("caller", ECHO_URL, b'{"personalId": "001099012345"}')
        self.assertEqual(status, 400, body)
        self.assertIn("personalId", json.loads(body)["message"], "the unknown field is named")
        self.assertNotIn("001099012345", body.decode())

    def test_an_unknown_method_and_a_streaming_type_are_unimplemented(self):
        status, _, body = self.curl("caller", "/%s/Nope" % ECHO_SERVICE, b"{}")
        self.assertEqual((status, json.loads(body)["code"]), (501, "unimplemented"))

    def test_a_rest_call_by_its_google_api_http_rule(self):
        """POST /v1/echo is Echo's rule (body "*"): the same call, door rest."""
        payload = base64.b64encode(b"hello, rest").decode()
        status, headers, body = self.curl("caller", "/v1/echo",
                                          json.dumps({"payload": payload}).encode(),
                                          headers=["x-ndxp-request-id: " + self.request_id("rest")])
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(json.loads(body), {"payload": payload})
        self.assertTrue(wait_until(lambda: self.audit(self.request_id("rest")) is not None))
        self.assertEqual(self.audit(self.request_id("rest"))[:2], ("rest", 0))

    def test_rest_refusals(self):
        cases = [  # (who, method, path, body, content type, status, code, message has)
            ("stranger", None, "/v1/echo", b"{}", "application/json", 403, "permission_denied",
             "is not granted"),
            ("caller", "GET", "/v1/echo", None, None, 404, "not_found", "mapped for POST, not GET"),
            ("caller", None, "/v1/nothing/079123456789", b"{}", "application/json", 404,
             "not_found", "no REST mapping"),
            ("caller", None, "/v1/echo?payload=eA", b"{}", "application/json", 400,
             "invalid_argument", "no query parameters"),
            ("caller", None, "/v1/echo", b'{"personalId": "079123456789"}', "application/json",
             400, "invalid_argument", "personalId"),
            ("caller", None, "/v1/echo", b"{}", "text/plain", 415, "invalid_argument",
             "application/json"),
        ]
        for who, method, path, body, content_type, status, code, says in cases:
            with self.subTest(path=path, who=who, content_type=content_type):
                got, _, answer = self.curl(who, path, body, content_type=content_type or "",
                                           method=method)
                self.assertEqual(got, status, answer)
                error = json.loads(answer)
                self.assertEqual(error["code"], code)
                self.assertIn(says, error["message"])
                self.assertNotIn("079123456789", error["message"])

    @staticmethod
    def envelopes(body):
        """[(flags, JSON)] of a Connect streaming body."""
        out = []
        while body:
            flags, length = body[0], int.from_bytes(body[1:5], "big")
            out.append((flags, json.loads(body[5:5 + length])))
            body = body[5 + length:]
        return out

    def test_a_server_stream_in_envelopes(self):
        request = b"\x00" + (2).to_bytes(4, "big") + b"{}"
        status, headers, body = self.curl("caller", INBOX_URL, request,
                                          content_type="application/connect+json",
                                          headers=["x-fake: stream"])
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "application/connect+json")
        self.assertEqual(headers["x-stream"], "yes")
        self.assertNotIn("x-ndxp-consumer", headers, "a connector's x-ndxp-* is dropped")
        envelopes = self.envelopes(body)
        # The end's metadata: the connector's trailer, and the hub's receipt
        # (durable recording) in place of the connector's forged one.
        receipts = envelopes[-1][1]["metadata"].pop("x-ndxp-receipt")
        self.assertEqual(len(receipts), 1, receipts)
        self.assertRegex(receipts[0], r"^[^:]+:\d+:[0-9a-f]{64}$")
        self.assertEqual(envelopes, [
            (0, {"cursor": "1"}), (0, {"cursor": "2"}), (0, {"cursor": "3"}),
            (2, {"metadata": {"x-count": ["3"]}})])
        status, _, body = self.curl("caller", INBOX_URL, request,
                                    content_type="application/connect+json",
                                    headers=["x-fake: stream-fail"])
        self.assertEqual(status, 200, body)
        messages = self.envelopes(body)
        self.assertEqual(messages[0], (0, {"cursor": "1"}))
        self.assertEqual(messages[1][0], 2)
        self.assertEqual(messages[1][1]["error"]["code"], "not_found")
        self.assertEqual(messages[1][1]["error"]["message"], "not here")
        # A stream that ends before its first message: the hub's deadline.
        status, _, body = self.curl("caller", INBOX_URL, request,
                                    content_type="application/connect+json",
                                    headers=["x-fake: hang", "connect-timeout-ms: 300"])
        self.assertEqual(status, 200, body)
        [(flags, end)] = self.envelopes(body)
        self.assertEqual((flags, end["error"]["code"]), (2, "deadline_exceeded"))

    def test_a_refused_stream_ends_with_its_error_and_shapes_are_checked(self):
        request = b"\x00" + (2).to_bytes(4, "big") + b"{}"
        status, _, body = self.curl("stranger", INBOX_URL, request,
                                    content_type="application/connect+json")
        self.assertEqual(status, 200, body)
        [(flags, end)] = self.envelopes(body)
        self.assertEqual((flags, end["error"]["code"]), (2, "permission_denied"))
        # A unary content type for a streaming method, and the other way round.
        status, _, body = self.curl("caller", INBOX_URL, b"{}")
        self.assertEqual((status, json.loads(body)["code"]), (501, "unimplemented"))
        self.assertIn("application/connect+json", json.loads(body)["message"])
        status, _, body = self.curl("caller", ECHO_URL, request,
                                    content_type="application/connect+json")
        [(flags, end)] = self.envelopes(body)
        self.assertEqual(end["error"]["code"], "unimplemented")
        # Client streaming is for the gRPC door.
        status, _, body = self.curl("caller", "/%s/Collect" % ECHO_SERVICE, request,
                                    content_type="application/connect+json")
        [(flags, end)] = self.envelopes(body)
        self.assertEqual(end["error"]["code"], "unimplemented")
        self.assertIn("gRPC door", end["error"]["message"])

    def test_the_catalogue_is_served_to_members_granted_it(self):
        """GET /openapi.json: the admin listener's document, to a granted member."""
        status, headers, body = self.curl("caller", "/openapi.json", None, method="GET")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "application/json")
        document = json.loads(body)
        with urllib.request.urlopen("http://%s/openapi.json" % self.hub.admin_address) as page:
            self.assertEqual(document, json.loads(page.read()))
        self.assertEqual(document["openapi"], "3.1.0")
        self.assertIn("/v1/echo", document["paths"])
        # Through Connect too; and a member not granted it is refused.
        status, _, body = self.curl(
            "caller", "/ndxp.hub.v1.Catalogue/GetOpenApiDocument", b"{}")
        self.assertEqual((status, json.loads(body)), (200, document))
        status, _, body = self.curl("stranger", "/openapi.json", None, method="GET")
        self.assertEqual((status, json.loads(body)["code"]), (403, "permission_denied"))

    def test_a_content_type_the_door_does_not_read_is_415(self):
        # gRPC-Web is not gRPC: on HTTP/2 it comes to the JSON door too.
        for content_type in ("text/xml", "application/grpc-web"):
            status, headers, body = self.curl("caller", ECHO_URL, b"<x/>",
                                              content_type=content_type)
            self.assertEqual(status, 415, body)
            self.assertEqual(json.loads(body)["code"], "invalid_argument")
            self.assertIn("content-type", json.loads(body)["message"])

    def test_a_refused_path_with_a_personal_id_leaves_it_nowhere(self):
        """No audit row, log line or metric keeps a path the hub does not route."""
        personal_id = "079%09d" % (os.getpid() * 7 % 10**9)
        # A member no other test here refuses: the hub records the first
        # refusal of a kind as its own row and folds repeats within a second
        # into a summary row, which keeps no request id.
        status, _, body = self.curl(self.QUIET_MEMBER,
                                    "/v1/citizens/%s?x=%s" % (personal_id, personal_id),
                                    b"{}", headers=["x-ndxp-request-id: " + self.request_id("pid")])
        self.assertEqual(status, 404, body)
        self.assertNotIn(personal_id, body.decode())
        self.assertTrue(wait_until(lambda: self.audit(self.request_id("pid")) is not None))
        with sqlite3.connect(self.hub.database) as db:
            rows = db.execute("SELECT * FROM audit_log").fetchall()
        self.assertNotIn(personal_id, repr(rows))
        self.assertNotIn(personal_id, self.hub.log())
        with urllib.request.urlopen("http://%s/metrics" % self.hub.admin_address) as page:
            self.assertNotIn(personal_id, page.read().decode())

    def test_a_body_over_the_limit_is_refused_before_it_is_all_sent(self):
        """Raw HTTP/2: the hub answers resource_exhausted once the body passes
        max_message_bytes (1 MiB here), while the caller is still sending."""
        raw = RawH2Connection(self.hub.address, *self.hub.files("caller"))
        self.addCleanup(raw.close)
        stream_id = raw.conn.get_next_available_stream_id()
        raw.conn.send_headers(stream_id, [
            (":method", "POST"), (":scheme", "https"), (":path", ECHO_URL),
            (":authority", "hub"), ("content-type", "application/json")])
        chunk = b" " * 16384
        sent, status, data, ended = 0, None, b"", False
        while not ended and sent <= (2 << 20):
            room = min(raw.conn.local_flow_control_window(stream_id), len(chunk))
            if room > 0 and status is None:
                raw.conn.send_data(stream_id, chunk[:room])
                raw._flush()
                sent += room
                continue
            for event in raw.events(timeout=1):
                if getattr(event, "stream_id", None) != stream_id:
                    continue
                if isinstance(event, h2.events.ResponseReceived):
                    status = dict(event.headers)[b":status"]
                elif isinstance(event, h2.events.DataReceived):
                    data += event.data
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    ended = True
        self.assertEqual(status, b"429")
        self.assertEqual(json.loads(data)["code"], "resource_exhausted")
        self.assertLess(sent, 2 << 20, "refused before the whole body was sent")
        status, _, _ = self.curl("caller", ECHO_URL, b"{}")
        self.assertEqual(status, 200, "the hub serves on")


class ConnectOverHttp11Test(ConnectOverHttp2Test):
    """The same calls over HTTP/1.1 (keep-alive: curl reuses nothing across
    runs, so the raw tests below pipeline on one connection)."""
    CURL_HTTP = "--http1.1"
    STATUS_LINE = "HTTP/1.1 "
    QUIET_MEMBER = "operator"

    def raw(self, who="caller"):
        ca, cert, key = self.hub.files(who)
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
        context.load_cert_chain(cert, key)
        context.check_hostname = False
        context.set_alpn_protocols(["http/1.1"])
        host, port = self.hub.address.rsplit(":", 1)
        sock = context.wrap_socket(socket.create_connection((host, int(port)), timeout=20),
                                   server_hostname=host)
        self.addCleanup(sock.close)
        return sock

    @staticmethod
    def read_response(sock, buffer=b""):
        """(status, fields, body, rest) of the next response on `sock`."""
        while b"\r\n\r\n" not in buffer:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("closed after %r" % buffer[:80])
            buffer += data
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        fields = dict((k.strip().lower(), v.strip())
                      for k, v in (line.split(":", 1) for line in lines[1:]))
        length = int(fields.get("content-length", "0"))
        while len(buffer) < length:
            buffer += sock.recv(65536)
        return int(lines[0].split()[1]), fields, buffer[:length], buffer[length:]

    def test_a_body_over_the_limit_is_refused_before_it_is_all_sent(self):
        sock = self.raw()
        # Content-Length over max_message_bytes (1 MiB): refused on its head.
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 2097152\r\n\r\n" % ECHO_URL.encode())
        status, fields, _, _ = self.read_response(sock)
        self.assertEqual((status, fields.get("connection")), (413, "close"))
        # Chunked: 1.5 MiB of chunks and no last chunk; the body never ends,
        # so an answer shows the hub refused it once it passed the limit.
        sock = self.raw()
        head = (b"POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" % ECHO_URL.encode())
        try:
            sock.sendall(head + (b"4000\r\n" + b" " * 16384 + b"\r\n") * 96)
        except (ConnectionError, ssl.SSLError):
            pass  # the hub closed after its answer
        status, fields, _, _ = self.read_response(sock)
        self.assertIn(status, (413, 429))
        self.assertEqual(fields.get("connection"), "close")
        status, _, _ = self.curl("caller", ECHO_URL, b"{}")
        self.assertEqual(status, 200, "the hub serves on")

    def test_pipelined_calls_are_answered_in_order_on_one_connection(self):
        sock = self.raw()
        requests = b""
        for i in range(5):
            body = json.dumps({"payload": base64.b64encode(b"call %d" % i).decode()}).encode()
            requests += (b"POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (ECHO_URL.encode(), len(body), body))
        sock.sendall(requests)
        rest = b""
        for i in range(5):
            status, fields, body, rest = self.read_response(sock, rest)
            self.assertEqual(status, 200, body)
            self.assertNotEqual(fields.get("connection"), "close")
            self.assertEqual(base64.b64decode(json.loads(body)["payload"]), b"call %d" % i)

    def test_expect_100_continue_is_answered_once_the_call_is_admitted(self):
        body = b'{"payload": "YWJj"}'
        sock = self.raw()
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                     b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n"
                     % (ECHO_URL.encode(), len(body)))
        status, _, _, rest = self.read_response(sock)
        self.assertEqual(status, 100)
        sock.sendall(body)
        status, _, answer, _ = self.read_response(sock, rest)
        self.assertEqual((status, json.loads(answer)), (200, {"payload": "YWJj"}))
        # A stranger's is refused at once, without 100 Continue.
        sock = self.raw("stranger")
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                     b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n"
                     % (ECHO_URL.encode(), len(body)))
        status, fields, answer, _ = self.read_response(sock)
        self.assertEqual((status, json.loads(answer)["code"]), (403, "permission_denied"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
