#!/usr/bin/env python3
"""A person asks who used their data, from a hub whose recording is the
PostgreSQL of scripts/with-postgres (docs/design.md "The person asks"): calls
about X and Y recorded into PostgreSQL with their subjects' HMACs, X's token
lists X's calls (read by ListAccesses over its own "<replica>-reader"
connection), an operator's lookup is an audit row there, and PostgreSQL holds
no personal ID.

The transport fixture's hub (hub_fixture.Hub) with data_subjects configured;
ndxp.residents.v1.ResidentRegistry is routed to its scripted connector,
which answers OK (an empty message): the subjects are read off the request,
whatever the connector answers.

Run by ctest under scripts/with-postgres:  test_data_subjects_postgres.py BUILD_DIR
Exits 77 (reported as skipped) without NDXP_TEST_POSTGRES.
"""

import base64
import glob
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import grpc

import hub_fixture

sys.path.insert(0, os.path.join(hub_fixture.ROOT, "clients", "python"))
from ndxp_client import connect, generate_stubs  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(
    hub_fixture.ROOT, "build")
CONNINFO = os.environ.get("NDXP_TEST_POSTGRES", "")
DATABASE = "ndxp_data_subjects"
ISSUER, AUDIENCE = "https://id.ndxp.test", "ndxp-hub"
TOKEN_HEADER = "x-ndxp-subject-token"
PORTAL = ("000.00.00.A03", "citizen-portal")
RESIDENTS = "ndxp.residents.v1.ResidentRegistry"
KEY_ID = "pg1"
# Synthetic 12-digit personal IDs (province 001, century and sex 0, year
# 90): X and Y are called about, Z only looked up by an operator.
X, Y, Z = "001090000101", "001090000202", "001090000303"


def with_dbname(conninfo, dbname):
    return re.sub(r"dbname=\S+", "dbname=" + dbname, conninfo)


def postgres_tools_env():
    """PATH with the newest PostgreSQL's binaries first (pg_dump of the server's version)."""
    return dict(os.environ, PATH=os.pathsep.join(
        sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:] + [os.environ["PATH"]]))


def psql(conninfo, sql):
    return subprocess.run(["psql", "-X", "-q", "-t", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1",
                           conninfo, "-c", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


class SubjectsHub(hub_fixture.Hub):
    """The transport fixture's hub, recording to PostgreSQL, with the identity
    provider's key and the subject keys in `secrets`, the residents' service
    routed to the scripted connector, and the portal granted ListAccesses."""

    def __init__(self, build, postgres, secrets):
        self.postgres = postgres
        self.secrets = secrets
        super().__init__(build)

    def _hub_config(self, limits):
        return super()._hub_config(limits) + "\n".join([
            'recording { mode: DURABLE postgres: "%s" }' % self.postgres,
            'data_subjects { provider_public_key: "%s" issuer: "%s" audience: "%s" '
            'subject_keys: "%s" }' % (os.path.join(self.secrets, "idp", "idp.pem"), ISSUER,
                                     AUDIENCE, os.path.join(self.secrets, "subject-keys")),
            'routes { service: "%s" provider: "%s" endpoint: "%s" }'
            % (RESIDENTS, hub_fixture.IDENTITIES["fake"][0], self.fake.address),
            'grants { consumer: "%s" service: "%s" }'
            % (hub_fixture.IDENTITIES["caller"][0], RESIDENTS),
            'grants { consumer: "%s/%s" service: "ndxp.hub.v1.DataSubjectAccess" '
            'method: "ListAccesses" }' % PORTAL,
            ""])


class DataSubjectsPostgresTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = with_dbname(CONNINFO, DATABASE)
        psql(CONNINFO, "DROP DATABASE IF EXISTS %s" % DATABASE)
        psql(CONNINFO, "CREATE DATABASE %s" % DATABASE)
        cls.secrets = tempfile.mkdtemp(prefix="ndxp-subjects-pg-")
        cls.addClassCleanup(shutil.rmtree, cls.secrets, ignore_errors=True)
        subprocess.run([hub_fixture.PKI, "init-idp", "--dir", os.path.join(cls.secrets, "idp")],
                       check=True, stdout=subprocess.DEVNULL)
        keys = os.path.join(cls.secrets, "subject-keys")
        subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), "subject-key", "generate",
                        "--out", keys, "--id", KEY_ID], check=True, stdout=subprocess.DEVNULL)
        with open(keys) as f:
            key_id, secret = next(line.split() for line in f
                                  if line.strip() and not line.startswith("#"))
        assert key_id == KEY_ID
        cls.secret = base64.b64decode(secret)
        cls.hub = SubjectsHub(BUILD, cls.pg, cls.secrets)
        cls.addClassCleanup(cls.hub.stop)
        hub = cls.hub
        hub._pki("issue", "--dir", hub.pki, "--agency", PORTAL[0], "--subsystem", PORTAL[1],
                 "--out", os.path.join(hub.pki, "portal"))
        cls.stubs = generate_stubs(os.path.join(hub.dir, "python-stubs"))
        cls.api = cls.stubs.data_subject_access_pb2
        ca = os.path.join(hub.pki, "ca.pem")

        def stub(module, name, identity):
            channel = connect(hub.address, ca, os.path.join(hub.pki, identity + ".pem"),
                              os.path.join(hub.pki, identity + ".key"))
            cls.addClassCleanup(channel.close)
            return getattr(module, name)(channel)
        cls.portal = stub(cls.stubs.data_subject_access_pb2_grpc, "DataSubjectAccessStub",
                          "portal")
        cls.operator = stub(cls.stubs.data_subject_access_pb2_grpc, "DataSubjectAccessStub",
                            "operator")
        registry = stub(cls.stubs.residents_pb2_grpc, "ResidentRegistryStub", "caller")
        cls.tag = "subjects-pg-%d-" % os.getpid()
        pb = cls.stubs.residents_pb2
        # The scripted connector answers "slow" calls OK after x-fake-delay.
        answer_ok = [("x-fake", "slow"), ("x-fake-delay", "0")]
        for personal_id, suffix, purpose in ((X, "x-1", "tax return check"),
                                             (X, "x-2", "tax address check"),
                                             (Y, "y-1", "tax household check")):
            registry.VerifyCitizen(pb.VerifyCitizenRequest(personal_id=personal_id), timeout=10,
                                   metadata=[("x-ndxp-purpose", purpose),
                                             ("x-ndxp-request-id", cls.tag + suffix),
                                             *answer_ok])

    def hmac_of(self, personal_id):
        return hmac.new(self.secret, personal_id.encode(), hashlib.sha256).hexdigest()

    def token(self, sub):
        made = subprocess.run(
            [hub_fixture.PKI, "subject-token", "--dir", os.path.join(self.secrets, "idp"),
             "--sub", "-", "--iss", ISSUER, "--aud", AUDIENCE, "--ttl", "600"],
            input=sub + "\n", capture_output=True, text=True, timeout=30)
        self.assertEqual(made.returncode, 0, made.stderr)
        return made.stdout.strip()

    def ask(self, personal_id, token):
        return self.portal.ListAccesses(self.api.ListAccessesRequest(personal_id=personal_id),
                                        timeout=10, metadata=[(TOKEN_HEADER, token)])

    def test_calls_are_recorded_in_postgres_with_their_subjects(self):
        calls = ", ".join("'%s%s'" % (self.tag, suffix) for suffix in ("x-1", "x-2", "y-1"))
        rows = psql(self.pg, "SELECT request_id, subject_key_id, subjects FROM audit_log "
                             "WHERE request_id IN (%s) ORDER BY request_id" % calls)
        self.assertEqual(rows.splitlines(), [
            "%s%s|%s|%s" % (self.tag, suffix, KEY_ID, self.hmac_of(personal_id))
            for suffix, personal_id in (("x-1", X), ("x-2", X), ("y-1", Y))])
        # The subject index beside them, one row per subject.
        indexed = psql(self.pg, "SELECT count(*) FROM audit_subjects WHERE subject = '%s' "
                                "AND key_id = '%s'" % (self.hmac_of(X), KEY_ID))
        self.assertEqual(indexed, "2")

    def test_a_persons_token_lists_their_calls_from_postgres(self):
        answer = self.ask(X, self.token(X))
        self.assertEqual([(a.request_id, a.purpose, a.method, a.consumer, a.status)
                          for a in answer.accesses],
                         [(self.tag + "x-2", "tax address check",
                           "/%s/VerifyCitizen" % RESIDENTS, "000.00.00.G12/caller", "OK"),
                          (self.tag + "x-1", "tax return check",
                           "/%s/VerifyCitizen" % RESIDENTS, "000.00.00.G12/caller", "OK")])
        self.assertEqual([a.request_id for a in self.ask(Y, self.token(Y)).accesses],
                         [self.tag + "y-1"])
        with self.assertRaises(grpc.RpcError) as refused:
            self.ask(Y, self.token(X))
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

    def test_an_operators_lookup_is_recorded_in_postgres(self):
        reason = "complaint %d" % os.getpid()
        answer = self.operator.ListAccesses(
            self.api.ListAccessesRequest(personal_id=Z, reason=reason), timeout=10,
            metadata=[("x-ndxp-request-id", self.tag + "lookup")])
        # Answered once on record: the lookup lists itself.
        self.assertEqual([(a.request_id, a.consumer, a.purpose) for a in answer.accesses],
                         [(self.tag + "lookup", "000.00.00.A01/ops", reason)])
        row = psql(self.pg, "SELECT row_kind, consumer, purpose, service, method, "
                            "subject_key_id, subjects FROM audit_log WHERE request_id = '%s'"
                            % (self.tag + "lookup"))
        self.assertEqual(row, "|".join(["operator_lookup", "000.00.00.A01/ops", reason,
                                        "ndxp.hub.v1.DataSubjectAccess", "ListAccesses",
                                        KEY_ID, self.hmac_of(Z)]))
        # Z sees that an operator looked, and why.
        self.assertEqual([(a.request_id, a.purpose) for a in self.ask(Z, self.token(Z)).accesses],
                         [(self.tag + "lookup", reason)])
        error = None
        try:
            self.operator.ListAccesses(self.api.ListAccessesRequest(personal_id=Z), timeout=10)
        except grpc.RpcError as refused:
            error = refused
        self.assertIsNotNone(error, "a lookup without a reason is refused")
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_postgres_holds_no_personal_id(self):
        self.ask(X, self.token(X))
        dump = subprocess.run(["pg_dump", "--data-only", self.pg], capture_output=True,
                              text=True, timeout=60, env=postgres_tools_env())
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn(self.hmac_of(X), dump.stdout)
        for personal_id in (X, Y, Z):
            self.assertNotIn(personal_id, dump.stdout)


if __name__ == "__main__":
    if not CONNINFO:
        print("skipped: NDXP_TEST_POSTGRES is not set (run under scripts/with-postgres)")
        sys.exit(77)
    unittest.main(verbosity=2)
