"""The JSON door on HTTP/2: unary Connect calls (application/json,
application/proto) through the same admission, recording and answers as
gRPC, called with curl, a client nobody here wrote.

Usage: test_json_door.py BUILD_DIR [unittest args]
"""
import base64
import json
import os
import sqlite3
import subprocess
import sys
import unittest

import h2.events

from hub_fixture import ECHO_SERVICE, IDENTITIES, Hub, ROOT, wait_until
from raw_h2 import RawH2Connection

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO_URL = "/%s/Echo" % ECHO_SERVICE


class ConnectOverHttp2Test(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, recording="DURABLE")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def curl(self, who, path, body, content_type="application/json", headers=()):
        """(HTTP status, headers dict, body bytes) of a POST over HTTP/2."""
        ca, cert, key = self.hub.files(who)
        argv = ["curl", "--silent", "--show-error", "--http2", "--cacert", ca, "--cert", cert,
                "--key", key, "--dump-header", "-", "--data-binary", "@-",
                "-H", "content-type: " + content_type]
        for header in headers:
            argv += ["-H", header]
        argv.append("https://localhost:%s%s" % (self.hub.address.rsplit(":", 1)[1], path))
        done = subprocess.run(argv, input=body, capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.assertTrue(lines[0].startswith("HTTP/2 "), lines[0])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        return int(lines[0].split()[1]), fields, payload

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
        status, _, body = self.curl("caller", ECHO_URL, b"",
                                    content_type="application/connect+json")
        self.assertEqual((status, json.loads(body)["code"]), (501, "unimplemented"))

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
