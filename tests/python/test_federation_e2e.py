#!/usr/bin/env python3
"""End to end over real processes: deploy/local/federation starts the hub and
every agency's connector (real binaries, real mTLS, real SQLite files); a
Python client with stubs generated from proto/ calls through the hub, and the
connectors call each other through it (the birth registration).

Run by ctest:  test_federation_e2e.py BUILD_DIR
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

import grpc

import federation_fixture  # noqa: E402  (puts clients/python on the path)
from federation_fixture import ROOT  # noqa: E402
from ndxp_client import connect_as, field_violations, generate_stubs  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
PURPOSE = [("x-ndxp-purpose", "e2e test")]


class FederationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.endpoints = federation_fixture.start(BUILD, "ndxp-e2e-")
        stubs = generate_stubs(os.path.join(cls.state, "python-stubs"))
        cls.stubs = stubs
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
        self.assertRegex(self.endpoints["admin"], r"^127\.0\.0\.1:\d+$")
        with urllib.request.urlopen("http://%s/healthz" % self.endpoints["admin"],
                                    timeout=10) as answer:
            self.assertEqual(answer.read(), b"ok\n")
        self.assertTrue(os.path.exists(self.endpoints["ca"]))
        for name in ("demo", "unauthorized", "operator"):
            identity = self.endpoints["identities"][name]
            self.assertTrue(identity["spiffe_id"].startswith("spiffe://ndxp.gov.vn/agency/"))
            self.assertTrue(os.path.exists(identity["cert"]))
            self.assertTrue(os.path.exists(identity["key"]))

    def test_each_hub_publishes_the_vkey_of_its_own_log_key(self):
        # endpoints.json lists each hub's verifier key, checked here against
        # C2SP signed-note's vkey form (not by ndxp's code): a type 0x01
        # Ed25519 key under the trust domain's "/audit", its key ID
        # SHA-256(name || "\n" || 0x01 || key)[:4]; it is the key file the
        # hub's configuration names (ndxpctl log-key vkey reads it), and the
        # two hubs, two logs, have keys of their own.
        import base64, hashlib, re
        vkeys = {}
        for where, hub in (("nation", self.endpoints), ("province", self.endpoints["province"])):
            with self.subTest(hub=where):
                self.assertEqual(len(hub["audit_log_vkeys"]), 1, hub["audit_log_vkeys"])
                vkey = hub["audit_log_vkeys"][0]
                name, key_id, key = vkey.split("+", 2)  # base64 may hold "+"
                self.assertEqual(name, "ndxp.gov.vn/audit")
                key = base64.b64decode(key, validate=True)
                self.assertEqual((len(key), key[0]), (33, 0x01))
                self.assertEqual(key_id, hashlib.sha256(name.encode() + b"\n" + key)
                                 .hexdigest()[:8])
                with open(hub["hub_config"]) as f:
                    log_key = re.search(r'transparency \{ log_key: "([^"]+)"',
                                        f.read()).group(1)
                self.assertEqual(os.stat(log_key).st_mode & 0o777, 0o600)
                shown = subprocess.run(
                    [os.path.join(BUILD, "bin", "ndxpctl"), "log-key", "vkey", "--key", log_key],
                    capture_output=True, text=True, timeout=30)
                self.assertEqual(shown.stdout, vkey + "\n", shown.stderr)
                vkeys[where] = vkey
        self.assertNotEqual(vkeys["nation"], vkeys["province"])
        self.assertEqual(self.endpoints["audit_log_origins"], ["ndxp.gov.vn/audit/hub-1"])
        self.assertEqual(self.endpoints["province"]["audit_log_origins"],
                         ["ndxp.gov.vn/audit/province-hub"])

    def test_the_hubs_signed_tree_proves_its_rows(self):
        # The national hub signs its tree with the log key whose vkey
        # endpoints.json publishes (its first commit is signed at once). An
        # operator fetches the checkpoint and the proof of the log's first
        # row with curl over the REST door; both are checked here from the
        # specs (tlog.py), the leaf recomputed from the row's columns. A member
        # reads the checkpoint too: the federation grants the service to all.
        import base64, json, sqlite3
        from tlog import encode_v4, open_note, verify_inclusion
        self.demo.VerifyCitizen(self.verify_request(), timeout=10, metadata=PURPOSE)
        def ask(method, request, who="operator"):
            identity = self.endpoints["identities"][who]
            done = subprocess.run(
                ["curl", "--silent", "--show-error", "--fail", "--cacert", self.endpoints["ca"],
                 "--cert", identity["cert"], "--key", identity["key"], "--data-binary", "@-",
                 "-H", "content-type: application/json",
                 "https://localhost:%s/v1/transparency/%s:get"
                 % (self.endpoints["hub"].rsplit(":", 1)[1], method)],
                input=json.dumps(request), capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 0, done.stderr)
            return json.loads(done.stdout)

        checkpoint = ask("checkpoint", {})
        # Every member may read it (the federation grants the service to "*").
        self.assertEqual(ask("checkpoint", {}, who="demo")["checkpoint"],
                         checkpoint["checkpoint"])
        origin, size, _ = open_note(checkpoint["checkpoint"],
                                    self.endpoints["audit_log_vkeys"][-1]).splitlines()
        self.assertEqual(self.endpoints["audit_log_origins"], [origin])
        self.assertGreaterEqual(int(size), 1)
        with sqlite3.connect("file:%s?mode=ro" % self.endpoints["hub_database"], uri=True) as db:
            db.row_factory = sqlite3.Row
            first = dict(db.execute("SELECT * FROM audit_log WHERE replica = ? AND seq = 1",
                                    (origin.rsplit("/", 1)[1],)).fetchone())
        leaf = hashlib.sha256(b"\x00" + encode_v4(first)).digest()
        proof = ask("inclusion-proof", {"leaf_index": 0})
        self.assertEqual(base64.b64decode(proof["leafHash"]), leaf)
        self.assertEqual(int(proof["treeSize"]), int(size))
        self.assertTrue(verify_inclusion(leaf, 0, int(size),
                                         [base64.b64decode(h) for h in proof.get("hashes", [])],
                                         base64.b64decode(proof["rootHash"])))

    def test_the_province_hub_witnesses_the_national_log(self):
        # The province hub cosigns the national hub's checkpoints as a
        # witness: its own cosignature key (type 0x04, private, the vkey
        # endpoints.json publishes and the national hub lists), and, once
        # the national hub signed its tree, its state holds a checkpoint the
        # national hub signed (its own call admitted as a member's).
        import base64, json, re, sqlite3
        from hub_fixture import metric, wait_until
        province = self.endpoints["province"]
        vkey = province["witness_vkey"]
        self.assertEqual(self.endpoints["audit_log_witness_vkeys"], [vkey])
        name, _, key = vkey.split("+", 2)
        self.assertEqual(name, "ndxp.gov.vn/witness")
        self.assertEqual(base64.b64decode(key)[0], 0x04)
        with open(province["hub_config"]) as f:
            witness_key = re.search(r'witness \{\s*key: "([^"]+)"', f.read()).group(1)
        self.assertEqual(os.stat(witness_key).st_mode & 0o777, 0o600)
        shown = subprocess.run(
            [os.path.join(BUILD, "bin", "ndxpctl"), "witness-key", "vkey", "--key", witness_key],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(shown.stdout, vkey + "\n", shown.stderr)
        with open(self.endpoints["hub_config"]) as f:
            self.assertIn('witness_vkeys: "%s"' % vkey, f.read())

        self.demo.VerifyCitizen(self.verify_request(), timeout=10, metadata=PURPOSE)
        state = os.path.join(province["witness_state"], "ndxp.gov.vn%2Faudit%2Fhub-1")
        self.assertTrue(wait_until(lambda: os.path.exists(state), timeout=30),
                        "the province hub cosigned no checkpoint of the national log")
        with open(state) as f:
            cosigned = f.read()
        self.assertEqual(cosigned.splitlines()[0], "ndxp.gov.vn/audit/hub-1")
        with sqlite3.connect("file:%s?mode=ro" % self.endpoints["hub_database"], uri=True) as db:
            signed = [note.split("\n\n")[0] + "\n" for (note,) in
                      db.execute("SELECT note FROM audit_tree_checkpoints")]
        self.assertIn(cosigned, signed)
        self.assertGreaterEqual(
            metric(province["admin"],
                   'ndxp_witness_cosigned_total{origin="ndxp.gov.vn/audit/hub-1"}'), 1)
        self.assertEqual(
            metric(province["admin"], 'ndxp_witness_refused_total{origin="ndxp.gov.vn/audit/'
                                      'hub-1",reason="inconsistent"}'), 0)
        # The national hub publishes the province's cosignature with its
        # checkpoint (AddCosignature), verified here from the C2SP spec.
        from tlog import cosignature_time
        operator = self.endpoints["identities"]["operator"]

        def published():
            done = subprocess.run(
                ["curl", "--silent", "--show-error", "--fail", "--cacert", self.endpoints["ca"],
                 "--cert", operator["cert"], "--key", operator["key"], "--data-binary",
                 '{"min_cosignatures": 1}', "-H", "content-type: application/json",
                 "https://localhost:%s/v1/transparency/checkpoint:get"
                 % self.endpoints["hub"].rsplit(":", 1)[1]],
                capture_output=True, text=True, timeout=30)
            return (done.returncode == 0 and
                    cosignature_time(json.loads(done.stdout)["checkpoint"], vkey) is not None)
        self.assertTrue(wait_until(published, timeout=30),
                        "no checkpoint of the national hub carries the province's cosignature")

        # An operator proves the log's first call against a checkpoint the
        # province cosigned, and anyone holding the two published vkeys
        # verifies the proof offline with a quorum of one witness; without
        # the witness's key the quorum cannot be met.
        ndxpctl = os.path.join(BUILD, "bin", "ndxpctl")
        proof_file = os.path.join(self.state, "first-call.proof.json")
        proved = subprocess.run(
            [ndxpctl, "audit", "prove", "hub-1:0", "--min-cosignatures", "1", "--format", "json",
             "--out", proof_file, "--hub", self.endpoints["hub"], "--ca", self.endpoints["ca"],
             "--cert", operator["cert"], "--key", operator["key"]],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(proved.returncode, 0, proved.stderr)
        log_vkey = os.path.join(self.state, "national-log.vkey")
        witness_vkey = os.path.join(self.state, "province-witness.vkey")
        for path, text in ((log_vkey, self.endpoints["audit_log_vkeys"][-1]),
                           (witness_vkey, vkey)):
            with open(path, "w") as f:
                f.write(text + "\n")
        verified = subprocess.run(
            [ndxpctl, "audit", "verify-receipt", proof_file, "--vkey", log_vkey,
             "--witness-vkey", witness_vkey, "--quorum", "1"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        self.assertIn("receipt verified: hub-1:0", verified.stdout)
        self.assertIn("ndxp.gov.vn/witness", verified.stdout)
        self.assertNotIn("only the hub's word", verified.stdout)
        # A witness that never saw this log: its quorum of one is not met.
        stranger_key = os.path.join(self.state, "stranger-witness.key")
        stranger = subprocess.run(
            [ndxpctl, "witness-key", "generate", "--force", "--out", stranger_key, "--name",
             "elsewhere.example/witness"], capture_output=True, text=True, timeout=60)
        self.assertEqual(stranger.returncode, 0, stranger.stderr)
        stranger_vkey = os.path.join(self.state, "stranger-witness.vkey")
        with open(stranger_vkey, "w") as f:
            f.write(stranger.stdout)
        unwitnessed = subprocess.run(
            [ndxpctl, "audit", "verify-receipt", proof_file, "--vkey", log_vkey,
             "--witness-vkey", stranger_vkey, "--quorum", "1"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(unwitnessed.returncode, 1, unwitnessed.stdout + unwitnessed.stderr)

    def test_verify_citizen_matches_every_field(self):
        answer, call = self.demo.VerifyCitizen.with_call(
            self.verify_request(), metadata=PURPOSE, timeout=10)
        self.assertTrue(answer.found)
        self.assertTrue(answer.full_name_match and answer.date_of_birth_match and answer.sex_match)
        self.assertIn("x-ndxp-request-id", dict(call.initial_metadata()))

    def test_calls_are_recorded_with_their_subject_as_an_hmac_never_the_id(self):
        # Each door and the province's path: the national hub's row for the
        # call holds HMAC-SHA256 of the personal ID under the hubs' current
        # key, computed here from the key file (not by the hub); the ID is
        # nowhere in the hub's database, its WAL or its log.
        import base64, hashlib, hmac, sqlite3
        personal_id = self.citizen[0]
        tag = "e2e-subject-%d-" % os.getpid()
        self.demo.VerifyCitizen(self.verify_request(), timeout=10,
                                metadata=PURPOSE + [("x-ndxp-request-id", tag + "grpc")])
        demo = self.endpoints["identities"]["demo"]
        rest = subprocess.run(
            ["curl", "--silent", "--show-error", "--fail", "--cacert", self.endpoints["ca"],
             "--cert", demo["cert"], "--key", demo["key"], "-H", "x-ndxp-purpose: e2e test",
             "-H", "x-ndxp-request-id: %srest" % tag,
             "https://localhost:%s/v1/citizens/%s" % (self.endpoints["hub"].rsplit(":", 1)[1],
                                                     personal_id)],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(rest.returncode, 0, rest.stderr)
        province = self.endpoints["province"]
        self.commune_stub(province["hub"], province["ca"]).VerifyCitizen(
            self.verify_request(), timeout=10,
            metadata=PURPOSE + [("x-ndxp-request-id", tag + "province")])

        with open(self.endpoints["subject_keys"]) as f:
            key_id, secret = next(line.split() for line in f
                                  if line.strip() and not line.startswith("#"))
        expected = hmac.new(base64.b64decode(secret), personal_id.encode(),
                            hashlib.sha256).hexdigest()
        database = self.endpoints["hub_database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            rows = db.execute("SELECT request_id, door, via != '', subject_key_id, subjects "
                              "FROM audit_log WHERE request_id LIKE ? ORDER BY request_id",
                              (tag + "%",)).fetchall()
        self.assertEqual(rows, [(tag + "grpc", "grpc", 0, key_id, expected),
                                (tag + "province", "grpc", 1, key_id, expected),
                                (tag + "rest", "rest", 0, key_id, expected)])
        for path in (database, database + "-wal", os.path.join(self.endpoints["logs"], "hub.log")):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    self.assertNotIn(personal_id.encode(), f.read(), path)

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
        self.assertRegex(result.stdout, r"Summary: (\d+) of \1 exchanges")
        self.assertIn("RegisterBirth", result.stdout)

    def test_demo_shows_the_province_exchange_and_both_records(self):
        result = subprocess.run(
            [sys.executable, os.path.join(ROOT, "clients", "python", "demo.py"),
             "--endpoints", os.path.join(self.state, "endpoints.json")],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("through its province hub", result.stdout)
        self.assertRegex(result.stdout, r"the province hub recorded: consumer "
                                        r"000\.01\.05\.H11/commune-office, "
                                        r"ndxp\.residents\.v1\.ResidentRegistry/GetCitizen")
        self.assertRegex(result.stdout, r"the national hub recorded: consumer "
                                        r"000\.01\.05\.H11/commune-office, via "
                                        r"000\.00\.00\.H11/lgsp")

    def commune_stub(self, hub, ca):
        commune = self.endpoints["province"]["identities"]["commune"]
        from ndxp_client import connect
        channel = connect(hub, ca, commune["cert"], commune["key"])
        return self.stubs.residents_pb2_grpc.ResidentRegistryStub(channel)

    def test_each_hubs_ca_verifies_it_and_members_ca_issues_its_members(self):
        # A client of a hub takes that hub's "ca" as its CA (grpcurl's
        # -cacert): the province hub's certificate is the national CA's, so a
        # commune's handshake with its province hub needs that one.
        province = self.endpoints["province"]
        answer = self.commune_stub(province["hub"], province["ca"]).VerifyCitizen(
            self.verify_request(), metadata=PURPOSE, timeout=10)
        self.assertTrue(answer.found)
        # "members_ca" is the CA that issued the members' certificates.
        for hub, who in ((self.endpoints, self.endpoints["identities"]["demo"]),
                         (province, province["identities"]["commune"])):
            verified = subprocess.run(["openssl", "verify", "-CAfile", hub["members_ca"],
                                       who["cert"]], capture_output=True, text=True)
            self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        self.assertNotEqual(province["members_ca"], self.endpoints["members_ca"])

    def test_commune_reaches_the_national_registry_through_its_province_hub(self):
        before = self.audit_rows(self.endpoints["hub_database"], "000.01.05.H11/commune-office")
        province = self.endpoints["province"]
        self.commune_stub(province["hub"], province["ca"]).VerifyCitizen(
            self.verify_request(), metadata=PURPOSE, timeout=10)
        import sqlite3
        database = self.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            consumer, purpose = db.execute(
                "SELECT consumer, purpose FROM access_log ORDER BY id DESC LIMIT 1").fetchone()
        # The registry sees the commune, not the province hub.
        self.assertEqual(consumer, self.endpoints["province"]["identities"]["commune"]["spiffe_id"])
        self.assertEqual(purpose, "e2e test")
        self.assertEqual(
            self.audit_rows(self.endpoints["hub_database"], "000.01.05.H11/commune-office"),
            before + 1)

    def test_a_commune_cannot_bypass_its_province_hub(self):
        # The national hub does not trust the province CA: no handshake.
        with self.assertRaises(grpc.RpcError) as raised:
            self.commune_stub(self.endpoints["hub"], self.endpoints["ca"]).VerifyCitizen(
                self.verify_request(), metadata=PURPOSE, timeout=10)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE)

    @staticmethod
    def audit_rows(database, consumer):
        import sqlite3
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM audit_log WHERE consumer = ? AND refusal = ''",
                              (consumer,)).fetchone()[0]

    def parents(self):
        import sqlite3
        database = self.endpoints["connectors"]["residents"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            return db.execute(
                "SELECT c.father_id, c.mother_id FROM citizens c "
                "JOIN citizens f ON c.father_id = f.personal_id "
                "JOIN citizens m ON c.mother_id = m.personal_id "
                "WHERE f.death_date IS NULL AND m.death_date IS NULL "
                "ORDER BY c.personal_id LIMIT 1").fetchone()

    def test_birth_registration_across_three_agencies(self):
        civ, res, ins = self.stubs.civil_status_pb2, self.pb, self.stubs.insurance_pb2
        registrar = self.stubs.civil_status_pb2_grpc.CivilStatusRegistryStub(
            connect_as(self.endpoints, "registrar"))
        father, mother = self.parents()
        request = civ.RegisterBirthRequest(
            request_id="e2e-birth-1", child_full_name="Lê Thị Hoa",
            date_of_birth=res.Date(year=2024, month=2, day=29), sex=res.SEX_FEMALE,
            birth_province_code="079", father_personal_id=father, mother_personal_id=mother,
            registration_office="UBND phường Bến Nghé")
        first = registrar.RegisterBirth(request, metadata=PURPOSE, timeout=30).registration
        self.assertEqual(first.state, civ.BIRTH_REGISTRATION_STATE_COMPLETED)
        # 079: Ho Chi Minh City; 3: a woman born in the 2000s; 24: the birth year.
        self.assertRegex(first.personal_id, r"^079324\d{6}$")
        self.assertEqual(first.health_insurance_card_code,
                         "TE179" + first.social_insurance_code)
        again = registrar.RegisterBirth(request, metadata=PURPOSE, timeout=30)
        self.assertFalse(again.newly_completed)
        self.assertEqual(again.registration.personal_id, first.personal_id)
        self.assertEqual(again.registration.certificate_number.formatted,
                         first.certificate_number.formatted)

        lookup = res.GetCitizenRequest(personal_id=first.personal_id)
        lookup.read_mask.paths.extend(["full_name", "father_personal_id", "mother_personal_id"])
        citizen = self.demo.GetCitizen(lookup, metadata=PURPOSE, timeout=10).citizen
        self.assertEqual((citizen.full_name, citizen.father_personal_id,
                          citizen.mother_personal_id), ("Lê Thị Hoa", father, mother))
        insurance = self.stubs.insurance_pb2_grpc.InsuranceRegistryStub(self.channel)
        person = insurance.GetInsuredPerson(
            ins.GetInsuredPersonRequest(personal_id=first.personal_id), metadata=PURPOSE,
            timeout=10).person
        self.assertEqual(person.card.card_code, first.health_insurance_card_code)

    def test_only_civil_status_may_issue_personal_ids(self):
        registrar = self.stubs.residents_pb2_grpc.ResidentRegistryStub(
            connect_as(self.endpoints, "registrar"))
        for stub in (registrar, self.demo):
            with self.assertRaises(grpc.RpcError) as caught:
                stub.IssuePersonalId(self.pb.IssuePersonalIdRequest(request_id="x"),
                                     metadata=PURPOSE, timeout=10)
            self.assertEqual(caught.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

    def test_bad_identifier_carries_a_bad_request_a_python_client_can_read(self):
        insurance = self.stubs.insurance_pb2_grpc.InsuranceRegistryStub(self.channel)
        with self.assertRaises(grpc.RpcError) as caught:
            insurance.GetInsuredPerson(
                self.stubs.insurance_pb2.GetInsuredPersonRequest(social_insurance_code="7912"),
                metadata=PURPOSE, timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual([field for field, _ in field_violations(caught.exception)],
                         ["social_insurance_code"])

    def test_business_search_streams_through_the_hub(self):
        import sqlite3
        database = self.endpoints["connectors"]["business"]["database"]
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            prefix, count = db.execute(
                "SELECT substr(search_key, 1, 3) AS p, COUNT(*) FROM enterprises "
                "GROUP BY p ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
        self.assertGreater(count, 1)
        biz = self.stubs.business_pb2
        business = self.stubs.business_pb2_grpc.BusinessRegistryStub(self.channel)
        found = list(business.SearchEnterprises(
            biz.SearchEnterprisesRequest(name_prefix=prefix, max_results=count),
            metadata=PURPOSE, timeout=10))
        self.assertEqual(len(found), count)
        first = business.GetEnterprise(
            biz.GetEnterpriseRequest(enterprise_code=found[0].enterprise_code),
            metadata=PURPOSE, timeout=10).enterprise
        self.assertEqual(first.name, found[0].name)

    def test_echo_connector_answers_the_loadtest_identity_only(self):
        # The benchmark route: raw bytes (an EchoRequest with payload b"ping").
        request = b"\x0a\x04ping"
        echo = connect_as(self.endpoints, "loadtest").unary_unary("/ndxp.bench.v1.Echo/Echo")
        self.assertEqual(echo(request, timeout=10), request)
        with self.assertRaises(grpc.RpcError) as caught:
            self.channel.unary_unary("/ndxp.bench.v1.Echo/Echo")(request, timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

    def ndxpctl(self, identity, *args, from_environment=False):
        who = self.endpoints["identities"][identity]
        connection = {"hub": self.endpoints["hub"], "ca": self.endpoints["ca"],
                      "cert": who["cert"], "key": who["key"]}
        env = dict(os.environ)
        flags = []
        for name, value in connection.items():
            if from_environment:
                env["NDXP_" + name.upper()] = value
            else:
                flags += ["--" + name, value]
        return subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), *args, *flags],
                              capture_output=True, text=True, timeout=60, env=env)

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
        # The status by name, not its number ("the hub answered 7: ...").
        self.assertIn("the hub answered PERMISSION_DENIED: ", refused.stderr)

    def test_ndxpctl_csv_carries_the_total_and_flags_come_from_the_environment(self):
        self.demo.VerifyCitizen(self.verify_request(), metadata=PURPOSE, timeout=10)
        period = ["--period", "cumulative", "--anchor", "2999-12-31"]
        csv = self.ndxpctl("operator", "stats", *period, "--format", "csv",
                           from_environment=True)
        self.assertEqual(csv.returncode, 0, csv.stderr)
        header, total = csv.stdout.splitlines()  # before: the header only
        self.assertEqual(header, "COUNT")
        self.assertGreaterEqual(int(total), 1)
        grouped = self.ndxpctl("operator", "stats", *period, "--group-by", "status",
                               "--format", "csv").stdout.splitlines()
        self.assertEqual(grouped[-1].split(","), ["TOTAL", grouped[-1].split(",")[1]])
        self.assertEqual(sum(int(line.split(",")[1]) for line in grouped[1:-1]),
                         int(grouped[-1].split(",")[1]))

    def test_statistics_stubs_come_with_the_client(self):
        # ndxp_client.PROTOS includes the hub's own Statistics API.
        statistics = self.stubs.statistics_pb2
        stub = self.stubs.statistics_pb2_grpc.StatisticsStub(
            connect_as(self.endpoints, "operator"))
        self.demo.VerifyCitizen(self.verify_request(), metadata=PURPOSE, timeout=10)
        answer = stub.Count(statistics.CountRequest(period=statistics.Period(
            kind=statistics.Period.CUMULATIVE, anchor=statistics.Day(year=2999, month=12,
                                                                     day=31))), timeout=10)
        self.assertGreaterEqual(answer.total, 1)
        self.assertEqual(self.stubs.echo_pb2.EchoRequest(payload=b"ping").SerializeToString(),
                         b"\x0a\x04ping")

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

    def federation(self, *args):
        subprocess.run([sys.executable, federation_fixture.FEDERATION, *args, "--state",
                        self.state, "--bin", os.path.join(BUILD, "bin")], check=True)

    def test_zz_connector_down_is_unavailable_then_back(self):
        # Runs last (name order): stops the residents connector.
        with open(os.path.join(self.state, "run", "residents.pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGKILL)
        with self.assertRaises(grpc.RpcError) as caught:
            for _ in range(50):  # until the hub's connection notices the process is gone
                self.demo.VerifyCitizen(self.verify_request(), metadata=PURPOSE, timeout=30)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertNotIn("127.0.0.1", caught.exception.details(),
                         "no internal connector address reaches the caller")

        # `up` on a half-running federation starts what is missing, on its port:
        # the hub, untouched, routes to it again.
        hub_pid = open(os.path.join(self.state, "run", "hub.pid")).read()
        self.federation("up", "--descriptors",
                        os.path.join(BUILD, "share", "ndxp", "services.binpb"))
        self.assertEqual(open(os.path.join(self.state, "run", "hub.pid")).read(), hub_pid)
        answer = self.demo.VerifyCitizen(self.verify_request(), metadata=PURPOSE, timeout=30)
        self.assertTrue(answer.found and answer.full_name_match)

        # And one connector restarted by name: the hub follows by itself.
        self.federation("restart", "residents")
        results = [self.demo.VerifyCitizen(self.verify_request(), metadata=PURPOSE,
                                           timeout=30).found for _ in range(25)]
        self.assertEqual(results, [True] * 25)


if __name__ == "__main__":
    unittest.main(verbosity=2)
