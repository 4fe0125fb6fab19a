#!/usr/bin/env python3
"""A person asks who used their data (docs/design.md "The person asks"), on
the local federation: calls about two people X and Y (by two agencies, over
the gRPC door, the REST door and the province hub), then
ndxp.hub.v1.DataSubjectAccess/ListAccesses as the public-service portal with
the identity provider's token, and as an operator with a reason; then the
subject key rotated (ndxpctl subject-key generate --rotate, SIGHUP): rows
under the old key still listed beside the new ones; and a call under a grant
that defers its notice, hidden from the person and shown to an operator with
its deferral (ndxp-hub has no injected clock: that the person sees it once
the deferral has passed is gateway/admin/subject_access_method_test.cc's).

Run by ctest:  test_data_subjects.py BUILD_DIR
"""

import base64
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.request

import grpc

import federation_fixture  # noqa: E402  (puts clients/python on the path)
from federation_fixture import ROOT  # noqa: E402
from ndxp_client import connect, connect_as, generate_stubs  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
PKI = os.path.join(ROOT, "certs", "ndxp-pki")
TOKEN_HEADER = "x-ndxp-subject-token"
TAX_OFFICE = "000.00.00.G12/tax-lookup"
COMMUNE = "000.01.05.H11/commune-office"
POPULATION = "000.00.00.G04"
VERIFY = "/ndxp.residents.v1.ResidentRegistry/VerifyCitizen"
GET = "/ndxp.residents.v1.ResidentRegistry/GetCitizen"


class DataSubjectsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.endpoints = federation_fixture.start(BUILD, "ndxp-subjects-")
        try:
            cls.set_up_calls()
        except BaseException:
            federation_fixture.stop(cls.state)
            raise

    @classmethod
    def set_up_calls(cls):
        cls.stubs = generate_stubs(os.path.join(cls.state, "python-stubs"))
        cls.pb = cls.stubs.residents_pb2
        cls.api = cls.stubs.data_subject_access_pb2
        database = cls.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            # X, Y: the people asking; Z: whom the operators look up.
            cls.x, cls.y, cls.z = db.execute(
                "SELECT personal_id, full_name, birth_date, sex FROM citizens "
                "ORDER BY personal_id LIMIT 3").fetchall()
        cls.tag = "subjects-%d-" % os.getpid()
        cls.started = time.time()
        demo = cls.stubs.residents_pb2_grpc.ResidentRegistryStub(connect_as(cls.endpoints, "demo"))
        # About X: the tax office over gRPC and over REST, and the province's
        # commune office through the province hub. About Y: the tax office.
        demo.VerifyCitizen(cls.verify_request(cls.x), timeout=10, metadata=[
            ("x-ndxp-purpose", "tax return check"), ("x-ndxp-request-id", cls.tag + "x-grpc")])
        demo_identity = cls.endpoints["identities"]["demo"]
        rest = subprocess.run(
            ["curl", "--silent", "--show-error", "--fail", "--cacert", cls.endpoints["ca"],
             "--cert", demo_identity["cert"], "--key", demo_identity["key"],
             "-H", "x-ndxp-purpose: tax address check",
             "-H", "x-ndxp-request-id: %sx-rest" % cls.tag,
             "https://localhost:%s/v1/citizens/%s" % (cls.port(), cls.x[0])],
            capture_output=True, text=True, timeout=30)
        if rest.returncode != 0:
            raise AssertionError(rest.stderr)
        province = cls.endpoints["province"]
        commune = province["identities"]["commune"]
        registry = cls.stubs.residents_pb2_grpc.ResidentRegistryStub(
            connect(province["hub"], province["ca"], commune["cert"], commune["key"]))
        registry.VerifyCitizen(cls.verify_request(cls.x), timeout=10, metadata=[
            ("x-ndxp-purpose", "commune residence check"),
            ("x-ndxp-request-id", cls.tag + "x-province")])
        demo.GetCitizen(cls.pb.GetCitizenRequest(personal_id=cls.y[0]), timeout=10, metadata=[
            ("x-ndxp-purpose", "tax household check"), ("x-ndxp-request-id", cls.tag + "y-grpc")])
        cls.finished = time.time()
        cls.portal = cls.stubs.data_subject_access_pb2_grpc.DataSubjectAccessStub(
            connect_as(cls.endpoints, "citizen-portal"))
        cls.operator = cls.stubs.data_subject_access_pb2_grpc.DataSubjectAccessStub(
            connect_as(cls.endpoints, "operator"))

    @classmethod
    def tearDownClass(cls):
        federation_fixture.stop(cls.state)

    @classmethod
    def port(cls):
        return cls.endpoints["hub"].rsplit(":", 1)[1]

    @classmethod
    def verify_request(cls, citizen):
        personal_id, name, birth, sex = citizen
        year, month, day = (int(x) for x in birth.split("-"))
        return cls.pb.VerifyCitizenRequest(
            personal_id=personal_id, full_name=name,
            date_of_birth=cls.pb.Date(year=year, month=month, day=day),
            sex=cls.pb.SEX_MALE if sex == "M" else cls.pb.SEX_FEMALE)

    # --- Tokens, from the identity provider's tool and from python3-jwt.

    def pki_token(self, sub, now=None, ttl=600):
        idp = self.endpoints["identity_provider"]
        made = subprocess.run(
            [PKI, "subject-token", "--dir", idp["dir"], "--sub", "-", "--iss", idp["issuer"],
             "--aud", idp["audience"], "--ttl", str(ttl),
             *(["--now", str(now)] if now is not None else [])],
            input=sub + "\n", capture_output=True, text=True, timeout=30)
        self.assertEqual(made.returncode, 0, made.stderr)
        return made.stdout.strip()

    def jwt_token(self, sub, key_pem=None, issuer=None):
        import jwt
        idp = self.endpoints["identity_provider"]
        if key_pem is None:
            with open(os.path.join(idp["dir"], "idp.key"), "rb") as f:
                key_pem = f.read()
        now = int(time.time())
        return jwt.encode({"iss": issuer or idp["issuer"], "aud": idp["audience"], "sub": sub,
                           "iat": now, "exp": now + 300}, key_pem, algorithm="ES256")

    def ask(self, personal_id, token, **fields):
        return self.portal.ListAccesses(
            self.api.ListAccessesRequest(personal_id=personal_id, **fields), timeout=10,
            metadata=[(TOKEN_HEADER, token)])

    def refusal(self, call):
        with self.assertRaises(grpc.RpcError) as raised:
            call()
        return raised.exception

    def assert_names_no_id(self, text):
        for citizen in (self.x, self.y, self.z):
            self.assertNotIn(citizen[0], text)

    # --- The person asks, through the portal.

    def assert_x_rows(self, accesses):
        by_request = {a.request_id: a for a in accesses}
        self.assertEqual(sorted(by_request), sorted(self.tag + suffix for suffix in
                                                    ("x-grpc", "x-rest", "x-province")))
        times = [a.time.ToMicroseconds() for a in accesses]
        self.assertEqual(times, sorted(times, reverse=True), "newest first")
        for access in accesses:
            self.assertGreaterEqual(access.time.seconds, int(self.started) - 1)
            self.assertLessEqual(access.time.seconds, int(self.finished) + 1)
            self.assertEqual(access.provider, POPULATION)
            self.assertEqual(access.provider_name, "Cơ sở dữ liệu quốc gia về dân cư")
            self.assertEqual(access.status, "OK")
            self.assertFalse(access.HasField("notice_deferred_until"), "operators only")
        grpc_call, rest_call = by_request[self.tag + "x-grpc"], by_request[self.tag + "x-rest"]
        province_call = by_request[self.tag + "x-province"]
        self.assertEqual((grpc_call.consumer, grpc_call.consumer_name, grpc_call.purpose,
                          grpc_call.method, grpc_call.door, grpc_call.via),
                         (TAX_OFFICE, "Cơ quan thuế", "tax return check", VERIFY, "grpc", ""))
        self.assertEqual((rest_call.consumer, rest_call.purpose, rest_call.method,
                          rest_call.door),
                         (TAX_OFFICE, "tax address check", GET, "rest"))
        self.assertEqual((province_call.consumer, province_call.consumer_name,
                          province_call.purpose, province_call.door, province_call.via),
                         (COMMUNE, "UBND xã (tỉnh Bắc Kạn)", "commune residence check", "grpc",
                          self.endpoints["province"]["spiffe_id"].split("/agency/")[1]))

    def test_a_persons_token_from_the_identity_providers_tool_lists_their_calls(self):
        answer = self.ask(self.x[0], self.pki_token(self.x[0]))
        self.assertEqual(answer.next_page_token, "")
        self.assert_x_rows(answer.accesses)

    def test_a_persons_token_from_python_jwt_lists_the_same_calls(self):
        # The ID as people type it, in groups: normalised like the token's sub.
        spaced = " ".join(self.x[0][i:i + 3] for i in range(0, len(self.x[0]), 3))
        answer = self.ask(spaced, self.jwt_token(self.x[0]))
        self.assert_x_rows(answer.accesses)

    def test_another_person_sees_only_their_own_call(self):
        answer = self.ask(self.y[0], self.pki_token(self.y[0]))
        self.assertEqual([(a.request_id, a.method, a.purpose, a.consumer_name)
                          for a in answer.accesses],
                         [(self.tag + "y-grpc", GET, "tax household check", "Cơ quan thuế")])

    def test_a_token_for_another_person_is_refused_without_naming_either(self):
        error = self.refusal(lambda: self.ask(self.y[0], self.pki_token(self.x[0])))
        self.assertEqual(error.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(error.details(), "the token is for another person")
        self.assert_names_no_id(error.details())

    def test_tokens_that_do_not_verify_are_refused_naming_the_check(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        forger = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        cases = {
            "expired": (self.pki_token(self.x[0], now=int(time.time()) - 7200, ttl=600),
                        "token expired"),
            "forged": (self.jwt_token(self.x[0], key_pem=forger), "signature does not verify"),
            "wrong issuer": (self.jwt_token(self.x[0], issuer="https://id.example"),
                             "token issuer"),
            "not a token": ("not-a-token", "malformed"),
        }
        for why, (token, check) in cases.items():
            with self.subTest(why):
                error = self.refusal(lambda: self.ask(self.x[0], token))
                self.assertEqual(error.code(), grpc.StatusCode.UNAUTHENTICATED)
                self.assertIn(check, error.details())
                self.assert_names_no_id(error.details())
        error = self.refusal(lambda: self.portal.ListAccesses(
            self.api.ListAccessesRequest(personal_id=self.x[0]), timeout=10))
        self.assertEqual(error.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertIn(TOKEN_HEADER, error.details())

    def test_pages_of_two_follow_one_another(self):
        token = self.pki_token(self.x[0])
        first = self.ask(self.x[0], token, page_size=2)
        self.assertEqual(len(first.accesses), 2)
        self.assertNotEqual(first.next_page_token, "")
        second = self.ask(self.x[0], token, page_size=2, page_token=first.next_page_token)
        self.assertEqual(second.next_page_token, "")
        self.assert_x_rows(list(first.accesses) + list(second.accesses))
        error = self.refusal(lambda: self.ask(self.x[0], token, page_size=101))
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("page_size", error.details())

    def test_the_period_bounds_the_calls(self):
        token = self.pki_token(self.x[0])
        from google.protobuf import timestamp_pb2
        later = timestamp_pb2.Timestamp(seconds=int(self.finished) + 2)
        self.assertEqual(len(self.ask(self.x[0], token, start_time=later).accesses), 0)
        self.assertEqual(len(self.ask(self.x[0], token, end_time=later).accesses), 3)

    def test_a_member_not_granted_the_method_is_refused(self):
        stranger = self.stubs.data_subject_access_pb2_grpc.DataSubjectAccessStub(
            connect_as(self.endpoints, "demo"))
        error = self.refusal(lambda: stranger.ListAccesses(
            self.api.ListAccessesRequest(personal_id=self.x[0]), timeout=10,
            metadata=[(TOKEN_HEADER, self.pki_token(self.x[0]))]))
        self.assertEqual(error.code(), grpc.StatusCode.PERMISSION_DENIED)

    def test_the_rest_door_answers_the_portal_too(self):
        portal = self.endpoints["identities"]["citizen-portal"]
        answer = subprocess.run(
            ["curl", "--silent", "--show-error", "--fail-with-body", "--cacert",
             self.endpoints["ca"], "--cert", portal["cert"], "--key", portal["key"],
             "-H", "%s: %s" % (TOKEN_HEADER, self.pki_token(self.y[0])),
             "-H", "content-type: application/json",
             "--data", json.dumps({"personalId": self.y[0]}),
             "https://localhost:%s/v1/data-subject/accesses:list" % self.port()],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(answer.returncode, 0, answer.stdout + answer.stderr)
        accesses = json.loads(answer.stdout)["accesses"]
        self.assertEqual([a["requestId"] for a in accesses], [self.tag + "y-grpc"])
        self.assertEqual(accesses[0]["consumerName"], "Cơ quan thuế")

    # --- An operator looks, with a reason, and is on record.

    def test_an_operators_lookup_needs_a_reason_and_is_recorded(self):
        error = self.refusal(lambda: self.operator.ListAccesses(
            self.api.ListAccessesRequest(personal_id=self.z[0]), timeout=10))
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("reason is required", error.details())
        reason = "complaint %d" % os.getpid()
        answer = self.operator.ListAccesses(self.api.ListAccessesRequest(
            personal_id=self.z[0], reason=reason), timeout=10,
            metadata=[("x-ndxp-request-id", self.tag + "lookup")])
        # The lookup is about Z too: the operator, and Z, see it listed.
        self.assertEqual([(a.request_id, a.consumer, a.purpose) for a in answer.accesses],
                         [(self.tag + "lookup", "000.00.00.A01/operator", reason)])
        with open(self.endpoints["subject_keys"]) as f:
            key_id, secret = next(line.split() for line in f
                                  if line.strip() and not line.startswith("#"))
        z_hmac = hmac.new(base64.b64decode(secret), self.z[0].encode(), hashlib.sha256).hexdigest()
        with sqlite3.connect("file:%s?mode=ro" % self.endpoints["hub_database"], uri=True) as db:
            rows = db.execute("SELECT row_kind, consumer, purpose, service, method, "
                              "subject_key_id, subjects FROM audit_log WHERE request_id = ?",
                              (self.tag + "lookup",)).fetchall()
        self.assertEqual(rows, [("operator_lookup", "000.00.00.A01/operator", reason,
                                 "ndxp.hub.v1.DataSubjectAccess", "ListAccesses", key_id,
                                 z_hmac)])
        seen_by_z = self.ask(self.z[0], self.pki_token(self.z[0]))
        self.assertIn(self.tag + "lookup", [a.request_id for a in seen_by_z.accesses])
        # The lookup row is in the chain, and the counters agree with it.
        verified = subprocess.run(
            [os.path.join(BUILD, "bin", "ndxpctl"), "audit", "verify", "--database",
             self.endpoints["hub_database"]], capture_output=True, text=True, timeout=60)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)

    def test_ndxpctl_reads_the_id_from_standard_input_and_prints_names(self):
        operator = self.endpoints["identities"]["operator"]
        argv = [os.path.join(BUILD, "bin", "ndxpctl"), "subject", "accesses",
                "--reason", "audit sample", "--page-size", "1",
                "--hub", self.endpoints["hub"], "--ca", self.endpoints["ca"],
                "--cert", operator["cert"], "--key", operator["key"]]
        # As docs/operations.md "Looking up a person's accesses" shows it: the
        # ID from a shell variable through printf (a builtin: in no argv), in
        # groups as people type it.
        spaced = " ".join(self.z[0][i:i + 3] for i in range(0, len(self.z[0]), 3))
        documented = subprocess.run(
            ["bash", "-c", 'printf \'%s\\n\' "$ID" | "$@"', "-", *argv[:4],
             "documented lookup", *argv[5:]],
            env=dict(os.environ, ID=spaced), capture_output=True, text=True, timeout=30)
        self.assertEqual(documented.returncode, 0, documented.stderr)
        self.assertIn("documented lookup", documented.stdout)
        self.assert_names_no_id(documented.stdout)
        shown = subprocess.run(argv, input=self.z[0] + "\n", capture_output=True, text=True,
                               timeout=30)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        # Every page (of one row): the earlier lookups of Z and this one, by name.
        self.assertIn("Đơn vị vận hành nền tảng", shown.stdout)
        self.assertIn("documented lookup", shown.stdout)
        self.assertIn("audit sample", shown.stdout)
        self.assertIn("accesses, newest first", shown.stdout)
        self.assert_names_no_id(shown.stdout)
        missing = subprocess.run(argv, input="", capture_output=True, text=True, timeout=30)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("standard input", missing.stderr)

    # --- The subject key rotated (docs/operations.md "Subject keys").

    def key_file(self):
        """The subject key file's keys, [(key_id, secret bytes)], the current first."""
        with open(self.endpoints["subject_keys"]) as f:
            return [(key_id, base64.b64decode(secret)) for key_id, secret in
                    (line.split() for line in f if line.strip() and not line.startswith("#"))]

    def hub_rows(self, request_id):
        with sqlite3.connect("file:%s?mode=ro" % self.endpoints["hub_database"], uri=True) as db:
            return db.execute("SELECT subject_key_id, subjects FROM audit_log "
                              "WHERE request_id = ?", (request_id,)).fetchall()

    def sighup_and_wait_for_reload(self, name):
        """SIGHUP `name` (hub, province-hub), then wait (bounded) until its log
        says it reloaded its configuration."""
        log = os.path.join(self.endpoints["logs"], name + ".log")

        def reloads():
            with open(log, errors="replace") as f:
                return f.read().count("reloaded ")
        seen = reloads()
        with open(os.path.join(self.state, "run", name + ".pid")) as f:
            os.kill(int(f.read()), signal.SIGHUP)
        deadline = time.monotonic() + 30
        while reloads() == seen:
            self.assertLess(time.monotonic(), deadline, "%s never logged a reload" % name)
            time.sleep(0.02)

    def test_the_subject_key_rotated_old_rows_still_listed(self):
        # W: a person no other case asks about (their list is this case's).
        database = self.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            w = db.execute("SELECT personal_id, full_name, birth_date, sex FROM citizens "
                           "ORDER BY personal_id LIMIT 1 OFFSET 3").fetchone()
        demo = self.stubs.residents_pb2_grpc.ResidentRegistryStub(
            connect_as(self.endpoints, "demo"))

        def call_about_w(suffix):
            demo.VerifyCitizen(self.verify_request(w), timeout=10, metadata=[
                ("x-ndxp-purpose", "tax rotation check"),
                ("x-ndxp-request-id", self.tag + suffix)])

        call_about_w("w-before")
        (old_id, old_secret), *_ = self.key_file()
        self.assertEqual(self.hub_rows(self.tag + "w-before"), [
            (old_id, hmac.new(old_secret, w[0].encode(), hashlib.sha256).hexdigest())])

        # A new current key, the old one kept; every hub of the federation reloads.
        new_id = "rotated-%d" % os.getpid()
        rotated = subprocess.run(
            [os.path.join(BUILD, "bin", "ndxpctl"), "subject-key", "generate",
             "--out", self.endpoints["subject_keys"], "--id", new_id, "--rotate"],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(rotated.returncode, 0, rotated.stdout + rotated.stderr)
        keys = self.key_file()
        self.assertEqual([key_id for key_id, _ in keys][:2], [new_id, old_id])
        for hub in ("hub", "province-hub"):
            self.sighup_and_wait_for_reload(hub)

        call_about_w("w-after")
        new_secret = keys[0][1]
        self.assertEqual(self.hub_rows(self.tag + "w-after"), [
            (new_id, hmac.new(new_secret, w[0].encode(), hashlib.sha256).hexdigest())])
        self.assertEqual(self.hub_rows(self.tag + "w-before")[0][0], old_id)

        # W's token finds both: the row under the old key and the one under the new.
        answer = self.ask(w[0], self.pki_token(w[0]))
        self.assertEqual([a.request_id for a in answer.accesses],
                         [self.tag + "w-after", self.tag + "w-before"])
        self.assertEqual({a.purpose for a in answer.accesses}, {"tax rotation check"})

    # --- A grant that defers the notice (docs/design.md "Access rights").

    def test_a_deferred_grants_call_is_hidden_from_the_person_and_shown_to_operators(self):
        # V: a person no other case asks about. Only the half before the
        # deferral passes: ndxp-hub has no injected clock (the half after it
        # is subject_access_method_test's, with a FakeClock).
        database = self.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            v = db.execute("SELECT personal_id FROM citizens "
                           "ORDER BY personal_id LIMIT 1 OFFSET 4").fetchone()[0]
        deferral = 90 * 86400
        config = self.endpoints["hub_config"]
        with open(config) as f:
            original = f.read()
        try:
            with open(config, "a") as f:
                f.write('grants { consumer: "%s" service: "ndxp.residents.v1.ResidentRegistry" '
                        'method: "GetCitizen" defer_subject_notice { seconds: %d } }\n'
                        % (TAX_OFFICE, deferral))
            self.sighup_and_wait_for_reload("hub")
            demo = self.stubs.residents_pb2_grpc.ResidentRegistryStub(
                connect_as(self.endpoints, "demo"))
            demo.GetCitizen(self.pb.GetCitizenRequest(personal_id=v), timeout=10, metadata=[
                ("x-ndxp-purpose", "tax investigation"),
                ("x-ndxp-request-id", self.tag + "v-deferred")])
        finally:
            with open(config, "w") as f:
                f.write(original)
            self.sighup_and_wait_for_reload("hub")
        # The grant's deferral is gone from the configuration now: the row's,
        # fixed at call time, still holds.
        token = self.pki_token(v)
        self.assertEqual(list(self.ask(v, token).accesses), [])
        reason = "deferral review %d" % os.getpid()
        seen = self.operator.ListAccesses(
            self.api.ListAccessesRequest(personal_id=v, reason=reason), timeout=10,
            metadata=[("x-ndxp-request-id", self.tag + "v-lookup")])
        by_request = {a.request_id: a for a in seen.accesses}
        self.assertEqual(sorted(by_request), [self.tag + "v-deferred", self.tag + "v-lookup"])
        deferred = by_request[self.tag + "v-deferred"]
        self.assertEqual((deferred.consumer, deferred.purpose, deferred.method),
                         (TAX_OFFICE, "tax investigation", GET))
        self.assertEqual(deferred.notice_deferred_until.ToMicroseconds()
                         - deferred.time.ToMicroseconds(), deferral * 10**6)
        self.assertFalse(by_request[self.tag + "v-lookup"].HasField("notice_deferred_until"))
        # V sees the operator's lookup, not the deferred call.
        self.assertEqual([a.request_id for a in self.ask(v, token).accesses],
                         [self.tag + "v-lookup"])

    # --- Nowhere the IDs.

    def test_the_hubs_database_log_and_metrics_hold_no_personal_id(self):
        self.ask(self.x[0], self.pki_token(self.x[0]))  # a lookup and a refusal at least
        self.refusal(lambda: self.ask(self.y[0], self.pki_token(self.x[0])))
        database = self.endpoints["hub_database"]
        paths = [database, database + "-wal", os.path.join(self.endpoints["logs"], "hub.log")]
        with urllib.request.urlopen("http://%s/metrics" % self.endpoints["admin"],
                                    timeout=10) as answer:
            metrics = answer.read()
        for citizen in (self.x, self.y, self.z):
            self.assertNotIn(citizen[0].encode(), metrics)
            for path in paths:
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        self.assertNotIn(citizen[0].encode(), f.read(), path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
