#!/usr/bin/env python3
"""End to end over real processes: deploy/local/federation starts the hub and
the residents connector (real binaries, real mTLS, a real SQLite file); a
Python client with stubs generated from proto/ calls through the hub.

Run by ctest:  test_federation_e2e.py BUILD_DIR
"""

import os
import signal
import subprocess
import sys
import time
import unittest

import grpc

import federation_fixture  # noqa: E402  (puts clients/python on the path)
from federation_fixture import ROOT  # noqa: E402
from ndxp_client import connect_as, generate_stubs  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
PURPOSE = [("x-ndxp-purpose", "e2e test")]


class FederationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.endpoints = federation_fixture.start(BUILD, "ndxp-e2e-")
        stubs = generate_stubs(os.path.join(cls.state, "python-stubs"))
        cls.pb = stubs.residents_pb2
        cls.channel = connect_as(cls.endpoints, "demo")
        cls.demo = stubs.residents_pb2_grpc.ResidentRegistryStub(cls.channel)
        cls.stranger = stubs.residents_pb2_grpc.ResidentRegistryStub(
            connect_as(cls.endpoints, "unauthorized"))
        import sqlite3
        database = cls.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            cls.citizen = db.execute(
                "SELECT personal_id, full_name, birth_date, sex FROM citizens "
                "WHERE father_id IS NOT NULL ORDER BY personal_id LIMIT 1").fetchone()

    @classmethod
    def tearDownClass(cls):
        federation_fixture.stop(cls.state)

    def verify_request(self, day_offset=0):
        personal_id, name, birth, sex = self.citizen
        year, month, day = (int(x) for x in birth.split("-"))
        return self.pb.VerifyCitizenRequest(
            personal_id=personal_id, full_name=name,
            date_of_birth=self.pb.Date(year=year, month=month, day=(day + day_offset - 1) % 28 + 1),
            sex=self.pb.SEX_MALE if sex == "M" else self.pb.SEX_FEMALE)

    def test_endpoints_json_lists_hub_ca_and_identities(self):
        self.assertRegex(self.endpoints["hub"], r"^127\.0\.0\.1:\d+$")
        self.assertTrue(os.path.exists(self.endpoints["ca"]))
        for name in ("demo", "unauthorized", "operator"):
            identity = self.endpoints["identities"][name]
            self.assertTrue(identity["spiffe_id"].startswith("spiffe://ndxp.gov.vn/agency/"))
            self.assertTrue(os.path.exists(identity["cert"]))
            self.assertTrue(os.path.exists(identity["key"]))

    def test_verify_citizen_matches_every_field(self):
        answer, call = self.demo.VerifyCitizen.with_call(
            self.verify_request(), metadata=PURPOSE, timeout=10)
        self.assertTrue(answer.found)
        self.assertTrue(answer.full_name_match and answer.date_of_birth_match and answer.sex_match)
        self.assertIn("x-ndxp-request-id", dict(call.initial_metadata()))

    def test_verify_citizen_flags_a_wrong_birth_day(self):
        answer = self.demo.VerifyCitizen(self.verify_request(day_offset=1), metadata=PURPOSE,
                                         timeout=10)
        self.assertTrue(answer.found and answer.full_name_match)
        self.assertFalse(answer.date_of_birth_match)

    def test_get_citizen_returns_only_the_masked_fields(self):
        request = self.pb.GetCitizenRequest(personal_id=self.citizen[0])
        request.read_mask.paths.append("full_name")
        answer = self.demo.GetCitizen(request, metadata=PURPOSE, timeout=10)
        self.assertEqual(answer.citizen.full_name, self.citizen[1])
        self.assertEqual(answer.citizen.permanent_address, "")
        self.assertFalse(answer.citizen.HasField("date_of_birth"))

    def test_list_relatives_streams_through_the_hub(self):
        relatives = list(self.demo.ListRelatives(
            self.pb.ListRelativesRequest(personal_id=self.citizen[0]), metadata=PURPOSE,
            timeout=10))
        self.assertIn(self.pb.RELATION_FATHER, [r.relation for r in relatives])

    def test_malformed_personal_id_is_invalid_argument_naming_the_field(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.demo.GetCitizen(self.pb.GetCitizenRequest(personal_id="07909000123"),
                                 metadata=PURPOSE, timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("personal_id", caught.exception.details())

    def test_missing_purpose_is_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.demo.GetCitizen(self.pb.GetCitizenRequest(personal_id=self.citizen[0]),
                                 timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("x-ndxp-purpose", caught.exception.details())

    def test_member_without_grants_is_permission_denied(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.stranger.VerifyCitizen(self.verify_request(), metadata=PURPOSE, timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn(self.endpoints["identities"]["unauthorized"]["spiffe_id"],
                      caught.exception.details())

    def test_connector_sees_the_hub_verified_consumer_and_purpose(self):
        spoofed = PURPOSE + [("x-ndxp-consumer", "spiffe://ndxp.gov.vn/agency/000.00.00.G01/x")]
        self.demo.VerifyCitizen(self.verify_request(), metadata=spoofed, timeout=10)
        import sqlite3
        database = self.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            consumer, purpose = db.execute(
                "SELECT consumer, purpose FROM access_log ORDER BY id DESC LIMIT 1").fetchone()
        self.assertEqual(consumer, self.endpoints["identities"]["demo"]["spiffe_id"])
        self.assertEqual(purpose, "e2e test")

    def test_demo_script_runs_clean(self):
        result = subprocess.run(
            [sys.executable, os.path.join(ROOT, "clients", "python", "demo.py"),
             "--endpoints", os.path.join(self.state, "endpoints.json")],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("Summary: 8 of 8", result.stdout)

    def test_echo_connector_answers_the_loadtest_identity_only(self):
        # The benchmark route: raw bytes (an EchoRequest with payload b"ping").
        request = b"\x0a\x04ping"
        echo = connect_as(self.endpoints, "loadtest").unary_unary("/ndxp.bench.v1.Echo/Echo")
        self.assertEqual(echo(request, timeout=10), request)
        with self.assertRaises(grpc.RpcError) as caught:
            self.channel.unary_unary("/ndxp.bench.v1.Echo/Echo")(request, timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

    def ndxpctl(self, identity, *args):
        who = self.endpoints["identities"][identity]
        return subprocess.run(
            [os.path.join(BUILD, "bin", "ndxpctl"), *args, "--hub", self.endpoints["hub"],
             "--ca", self.endpoints["ca"], "--cert", who["cert"], "--key", who["key"]],
            capture_output=True, text=True, timeout=60)

    def test_ndxpctl_reads_statistics_as_operator_only(self):
        self.demo.VerifyCitizen(self.verify_request(), metadata=PURPOSE, timeout=10)
        period = ["--period", "cumulative", "--anchor", "2999-12-31"]
        table = self.ndxpctl("operator", "stats", *period, "--group-by", "method,status")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("ndxp.residents.v1.ResidentRegistry/VerifyCitizen", table.stdout)
        as_json = self.ndxpctl("operator", "growth", *period[:2], "--anchor", "2026-06-30",
                               "--format", "json")
        self.assertEqual(as_json.returncode, 0, as_json.stderr)
        self.assertIn("baselinePeriod", as_json.stdout)
        refused = self.ndxpctl("demo", "stats", *period)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("is not an operator", refused.stderr)

    def hub_log(self):
        with open(os.path.join(self.state, "logs", "hub.log")) as f:
            return f.read()

    def sighup_and_wait_for(self, text):
        """SIGHUP the hub, then wait (bounded) until its log says `text`."""
        seen = self.hub_log().count(text)
        with open(os.path.join(self.state, "run", "hub.pid")) as f:
            os.kill(int(f.read()), signal.SIGHUP)
        deadline = time.monotonic() + 30
        while self.hub_log().count(text) == seen:
            self.assertLess(time.monotonic(), deadline, "hub log never said " + text)
            time.sleep(0.02)

    def test_sighup_reloads_grants_and_keeps_the_config_on_error(self):
        config = os.path.join(self.state, "config", "hub.textproto")
        with open(config) as f:
            original = f.read()
        unauthorized = self.endpoints["identities"]["unauthorized"]["spiffe_id"]
        consumer = unauthorized.split("/agency/", 1)[1]
        try:
            with open(config, "a") as f:
                f.write('grants { consumer: "%s" service: "ndxp.residents.v1.ResidentRegistry" '
                        'method: "VerifyCitizen" }\n' % consumer)
            self.sighup_and_wait_for("reloaded")
            self.assertTrue(self.stranger.VerifyCitizen(
                self.verify_request(), metadata=PURPOSE, timeout=10).found)

            with open(config, "a") as f:
                f.write("this is not a hub configuration\n")
            self.sighup_and_wait_for("reload failed")
            self.assertIn("hub.textproto:", self.hub_log().rsplit("reload failed", 1)[1])
            self.assertTrue(self.stranger.VerifyCitizen(
                self.verify_request(), metadata=PURPOSE, timeout=10).found)
        finally:
            with open(config, "w") as f:
                f.write(original)
            self.sighup_and_wait_for("reloaded")
        with self.assertRaises(grpc.RpcError) as caught:
            self.stranger.VerifyCitizen(self.verify_request(), metadata=PURPOSE, timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

    def test_zz_connector_down_is_unavailable_then_back(self):
        # Runs last (name order): stops the residents connector.
        with open(os.path.join(self.state, "run", "residents.pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGKILL)
        with self.assertRaises(grpc.RpcError) as caught:
            for _ in range(50):  # until the hub's connection notices the process is gone
                self.demo.VerifyCitizen(self.verify_request(), metadata=PURPOSE, timeout=30)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)


if __name__ == "__main__":
    unittest.main(verbosity=2)
