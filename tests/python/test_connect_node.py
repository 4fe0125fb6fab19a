#!/usr/bin/env python3
"""The JSON door called with the real Connect client for Node
(@connectrpc/connect-node, package-lock.json), as an agency's Node system
would: stubs generated from proto/ by protoc-gen-es as a plugin of Debian's
protoc, the member's certificate and key, HTTP/2 and HTTP/1.1, JSON and
binary. tests/node/connect_calls.mjs makes the calls and prints each one's
outcome as a JSON line; this test starts the hub fixture and asserts on them:
answers, refusals with the hub's code and message, the purpose of personal
data, deadlines, and the door on record. Also tests/node/validate_openapi.mjs
(@apidevtools/swagger-parser) on small valid and invalid documents.

The Node packages come from scripts/install-deps (npm ci); without them
every test fails, naming it.

Usage: test_connect_node.py BUILD_DIR [unittest args, e.g. a class name]
"""
import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from hub_fixture import ECHO_SERVICE, IDENTITIES, TD, Hub, ROOT, wait_until

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
NODE_DIR = os.path.join(ROOT, "tests", "node")
RESIDENTS = "ndxp.residents.v1.ResidentRegistry"
DOCUMENTS = "ndxp.documents.v1.DocumentExchange"
PROTOS = ("ndxp/bench/v1/echo.proto", "ndxp/residents/v1/residents.proto",
          "ndxp/documents/v1/documents.proto", "google/api/annotations.proto",
          "google/api/http.proto", "ndxp/v1/options.proto")


def node():
    """The node binary and the pinned packages in node_modules, or a failure
    saying to run scripts/install-deps (never a skip: CI has Node)."""
    program = shutil.which("node")
    if program is None:
        raise AssertionError("node is not installed: Node 20 or later is needed, "
                             "then run scripts/install-deps")
    version = subprocess.run([program, "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        raise AssertionError("node %s is too old: Node 20 or later is needed "
                             "(@connectrpc/connect-node 2.1.1)" % version)
    with open(os.path.join(ROOT, "package.json")) as f:
        wanted = json.load(f)["dependencies"]
    for name, version in sorted(wanted.items()):
        try:
            with open(os.path.join(ROOT, "node_modules", name, "package.json")) as f:
                installed = json.load(f)["version"]
        except FileNotFoundError:
            installed = None
        if installed != version:
            raise AssertionError(
                "node_modules does not hold %s %s (%s): run scripts/install-deps"
                % (name, version, "found %s" % installed if installed else "missing"))
    return program


def generate_stubs(directory):
    """protoc-gen-es's JavaScript (ES modules) for the services the hub
    fixture routes, as an agency would generate them: Debian's protoc, the
    include path CMake gives it (proto/; google/protobuf from protoc's own)."""
    subprocess.run(
        ["protoc", "--plugin=protoc-gen-es=%s" % os.path.join(ROOT, "node_modules", ".bin",
                                                              "protoc-gen-es"),
         "--es_out=%s" % directory, "--es_opt=target=js,import_extension=js",
         "-I%s" % os.path.join(ROOT, "proto"), *PROTOS], check=True)
    with open(os.path.join(directory, "package.json"), "w") as f:
        json.dump({"type": "module"}, f)
    # The stubs import @bufbuild/protobuf: the same copy as the client's.
    os.symlink(os.path.join(ROOT, "node_modules"), os.path.join(directory, "node_modules"))


class ResidentsHub(Hub):
    """The hub fixture, plus ResidentRegistry routed to the scripted
    connector with GetCitizen marked as personal data, granted to the
    caller: the purpose is checked by the hub before any connector."""

    def _hub_config(self, limits):
        return super()._hub_config(limits) + "\n".join([
            'routes { service: "%s" provider: "%s" endpoint: "%s" '
            'personal_data_methods: "GetCitizen" }'
            % (RESIDENTS, IDENTITIES["fake"][0], self.fake.address),
            'grants { consumer: "%s" service: "%s" }' % (IDENTITIES["caller"][0], RESIDENTS),
            ""])


_hub = None
_stubs = None


def fixture():
    """(hub, stubs directory), started by the first test that needs them."""
    global _hub, _stubs
    if _stubs is None:
        _stubs = tempfile.mkdtemp(prefix="ndxp-connect-node-")
        generate_stubs(_stubs)
    if _hub is None:
        _hub = ResidentsHub(BUILD, recording="DURABLE")
    return _hub, _stubs


def tearDownModule():
    if _hub is not None:
        _hub.stop()
    if _stubs is not None:
        shutil.rmtree(_stubs, ignore_errors=True)


def spiffe_id(who):
    return "spiffe://%s/agency/%s/%s" % (TD, *IDENTITIES[who][:2])


def grpc_timeout_ms(value):
    """A grpc-timeout header value (b"499m", b"499870u") in milliseconds."""
    units = {b"H": 3600e3, b"M": 60e3, b"S": 1e3, b"m": 1, b"u": 1e-3, b"n": 1e-6}
    return int(value[:-1]) * units[value[-1:]]


class ConnectNodeCases:
    """The calls, made over HTTP version HTTP_VERSION."""

    HTTP_VERSION = None

    @classmethod
    def setUpClass(cls):
        cls.node = node()
        cls.hub, cls.stubs = fixture()

    def calls(self, *calls):
        """Makes `calls` (dicts of connect_calls.mjs, filled in by call())
        in one Node process: {name: outcome}."""
        done = subprocess.run(
            [self.node, os.path.join(NODE_DIR, "connect_calls.mjs"), self.stubs,
             "https://" + self.hub.address],
            input=json.dumps(list(calls)).encode(), capture_output=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        outcomes = [json.loads(line) for line in done.stdout.decode().splitlines()]
        self.assertEqual([o["name"] for o in outcomes], [c["name"] for c in calls],
                         done.stderr.decode())
        return {o["name"]: o for o in outcomes}

    def call(self, name, request, who="caller", binary=False, file="ndxp/bench/v1/echo_pb.js",
             service="Echo", method="echo", headers=None, timeout_ms=None):
        ca, cert, key = self.hub.files(who)
        call = {"name": name, "ca": ca, "cert": cert, "key": key,
                "httpVersion": self.HTTP_VERSION, "binary": binary, "file": file,
                "service": service, "method": method, "request": request,
                "headers": headers or {}}
        if timeout_ms is not None:
            call["timeoutMs"] = timeout_ms
        return call

    def request_id(self, what):
        return "node-h%s-%s" % (self.HTTP_VERSION.replace(".", ""), what)

    def audit(self, request_id):
        with sqlite3.connect(self.hub.database) as db:
            return db.execute("SELECT door, status_code, refusal, consumer FROM audit_log "
                              "WHERE request_id = ?", (request_id,)).fetchone()

    def test_a_granted_call_in_json_and_in_binary_returns_the_connectors_answer(self):
        payload = base64.b64encode(b"hello from node over HTTP/" + self.HTTP_VERSION.encode())
        payload = payload.decode()
        ids = {"json": self.request_id("json"), "proto": self.request_id("proto")}
        outcomes = self.calls(
            self.call("json", {"payload": payload},
                      headers={"x-ndxp-request-id": ids["json"]}),
            self.call("proto", {"payload": payload}, binary=True,
                      headers={"x-ndxp-request-id": ids["proto"]}))
        for codec in ("json", "proto"):
            with self.subTest(codec=codec):
                outcome = outcomes[codec]
                self.assertTrue(outcome["ok"], outcome)
                self.assertEqual(outcome["response"], {"payload": payload})
                self.assertEqual(outcome["headers"]["content-type"], "application/" + codec)
                self.assertEqual(outcome["headers"]["x-ndxp-request-id"], ids[codec])
                self.assertEqual(self.audit(ids[codec]),
                                 ("connect", 0, "", "%s/%s" % IDENTITIES["caller"][:2]))

    def test_a_member_without_the_grant_is_permission_denied_with_the_hubs_message(self):
        outcomes = self.calls(
            self.call("json", {"payload": ""}, who="stranger"),
            self.call("proto", {"payload": ""}, who="stranger", binary=True))
        for codec in ("json", "proto"):
            with self.subTest(codec=codec):
                outcome = outcomes[codec]
                self.assertFalse(outcome["ok"], outcome)
                self.assertEqual(outcome["code"], "PermissionDenied", outcome)
                self.assertEqual(outcome["message"], "%s is not granted /%s/Echo"
                                 % (spiffe_id("stranger"), ECHO_SERVICE))

    def test_a_personal_data_method_needs_a_purpose(self):
        get_citizen = dict(file="ndxp/residents/v1/residents_pb.js", service="ResidentRegistry",
                           method="getCitizen")
        request = {"personalId": "001099012345", "readMask": "fullName"}
        reached = self.hub.fake.requests
        outcomes = self.calls(
            self.call("no purpose", request, **get_citizen),
            self.call("no purpose, binary", request, binary=True, **get_citizen),
            # With a purpose the call goes on to the connector, whose
            # answer comes back (the scripted one's "details": NOT_FOUND).
            self.call("purpose", request, headers={"x-ndxp-purpose": "node client test",
                                                   "x-fake": "details"}, **get_citizen))
        for name in ("no purpose", "no purpose, binary"):
            with self.subTest(name=name):
                outcome = outcomes[name]
                self.assertEqual(outcome["code"], "InvalidArgument", outcome)
                self.assertEqual(outcome["message"],
                                 "x-ndxp-purpose metadata is required: /%s/GetCitizen "
                                 "returns personal data" % RESIDENTS)
        self.assertEqual((outcomes["purpose"]["code"], outcomes["purpose"]["message"]),
                         ("NotFound", "not here"), outcomes["purpose"])
        self.assertEqual(self.hub.fake.requests, reached + 1, "only the call with a purpose")

    def test_a_deadline_is_carried_to_the_connector_and_ends_the_call(self):
        """A connector that never answers: DeadlineExceeded at timeoutMs.

        The hub gave the connector the caller's deadline (its default would
        be 30 s) and reset the connector's stream."""
        resets, reached = self.hub.fake.resets, self.hub.fake.requests
        self.hub.fake.last_timeout = None
        outcomes = self.calls(self.call(
            "hang", {"messageId": self.request_id("deadline")}, file="ndxp/documents/v1/documents_pb.js",
            service="DocumentExchange", method="sendDocument", headers={"x-fake": "hang"},
            timeout_ms=700))
        self.assertEqual(outcomes["hang"]["code"], "DeadlineExceeded", outcomes["hang"])
        self.assertEqual(self.hub.fake.requests, reached + 1)
        self.assertIsNotNone(self.hub.fake.last_timeout, "the hub forwarded no grpc-timeout")
        self.assertGreater(grpc_timeout_ms(self.hub.fake.last_timeout), 0)
        self.assertLessEqual(grpc_timeout_ms(self.hub.fake.last_timeout), 700)
        self.assertTrue(wait_until(lambda: self.hub.fake.resets > resets),
                        "the connector's stream was never reset")


    def test_a_server_stream_and_its_error(self):
        """ReceiveInbox, server streaming: the scripted connector sends three
        items and a trailer, or one item and NOT_FOUND."""
        inbox = dict(file="ndxp/documents/v1/documents_pb.js", service="DocumentExchange",
                     method="receiveInbox")
        outcomes = self.calls(
            self.call("stream", {}, headers={"x-fake": "stream"}, **inbox),
            self.call("fails", {}, headers={"x-fake": "stream-fail"}, **inbox),
            self.call("stranger", {}, who="stranger", **inbox))
        stream = outcomes["stream"]
        self.assertTrue(stream["ok"], stream)
        self.assertEqual(stream["responses"], [{"cursor": "1"}, {"cursor": "2"}, {"cursor": "3"}])
        self.assertEqual(stream["headers"]["content-type"], "application/connect+json")
        self.assertEqual(stream["trailers"].get("x-count"), "3")
        fails = outcomes["fails"]
        self.assertEqual((fails["code"], fails["message"]), ("NotFound", "not here"), fails)
        self.assertEqual(fails["responses"], [{"cursor": "1"}])
        self.assertEqual(outcomes["stranger"]["code"], "PermissionDenied", outcomes["stranger"])
        self.assertIn("is not granted", outcomes["stranger"]["message"])


class Http2Test(ConnectNodeCases, unittest.TestCase):
    HTTP_VERSION = "2"


class Http11Test(ConnectNodeCases, unittest.TestCase):
    """The same calls over HTTP/1.1 (connect-node's https.request, no ALPN)."""
    HTTP_VERSION = "1.1"


VALID_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "ndxp", "version": "1"},
    "paths": {"/v1/echo": {"post": {
        "requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/EchoRequest"}}}},
        "responses": {"200": {"description": "the payload, echoed"}}}}},
    "components": {"schemas": {"EchoRequest": {
        "type": "object", "properties": {"payload": {"type": "string",
                                                     "contentEncoding": "base64"}}}}},
}


class OpenApiValidatorTest(unittest.TestCase):
    """tests/node/validate_openapi.mjs FILE: exit 0 for a valid OpenAPI 3.1
    document, 1 and the validator's message otherwise."""

    @classmethod
    def setUpClass(cls):
        cls.node = node()

    def validate(self, document):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            f.write(document if isinstance(document, str) else json.dumps(document))
            f.flush()
            done = subprocess.run([self.node, os.path.join(NODE_DIR, "validate_openapi.mjs"),
                                   f.name], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout + done.stderr

    def broken(self, change):
        document = json.loads(json.dumps(VALID_OPENAPI))
        change(document)
        return document

    def test_a_valid_document_passes(self):
        status, output = self.validate(VALID_OPENAPI)
        self.assertEqual(status, 0, output)
        self.assertIn("valid OpenAPI 3.1.0", output)

    def test_an_invalid_document_fails_with_the_validators_message(self):
        cases = (
            ("a response without its description",
             lambda d: d["paths"]["/v1/echo"]["post"]["responses"]["200"].pop("description"),
             "must have required property 'description'"),
            ("info without a version", lambda d: d["info"].pop("version"),
             "#/info must have required property 'version'"),
            ("a $ref to nothing",
             lambda d: d["components"]["schemas"].pop("EchoRequest"),
             'Missing $ref pointer "#/components/schemas/EchoRequest"'),
            # Valid as 3.0 (contentEncoding is 3.1's JSON Schema), but not 3.1.
            ("OpenAPI 3.0",
             lambda d: (d.update(openapi="3.0.3"), d["components"]["schemas"]["EchoRequest"]
                        ["properties"]["payload"].pop("contentEncoding")),
             "not an OpenAPI 3.1 document (it says openapi 3.0.3)"),
        )
        for name, change, says in cases:
            with self.subTest(name):
                status, output = self.validate(self.broken(change))
                self.assertEqual(status, 1, output)
                self.assertIn(says, output)
        status, output = self.validate('{"openapi": "3.1.0",')
        self.assertEqual(status, 1, output)
        self.assertIn("Error parsing", output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
