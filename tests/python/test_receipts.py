#!/usr/bin/env python3
"""Receipts (docs/design.md "Transparency"): a durably recorded call's answer
says where its audit row is, `x-ndxp-receipt: <replica>:<leaf index>:<leaf
hash>`, on every door, over a real hub, real TLS, real curl and a real SQLite
file:

- gRPC unary and server streams carry it in their trailers, Connect unary as
  `trailer-x-ndxp-receipt`, REST as a header;
- it names the call's own row: the replica and seq - 1 of the row with the
  call's request id, and the leaf hash SHA-256(0x00 || encoding) recomputed
  here from the row's columns with the encoding of
  gateway/recording/audit_chain.h written again from its comment (the same
  encoding's chain hash is checked against the row's `hash` too);
- a connector's own x-ndxp-receipt never reaches the caller (the scripted
  connector sends "forged");
- FAST recording and recording off give no receipt: nothing is on record
  when their answers leave;
- with a log key (`transparency { log_key }`), the hub signs its replica's
  Merkle tree as a C2SP checkpoint: the note's Ed25519 signature verifies
  with the vkey `ndxpctl log-key generate` printed (python3-cryptography),
  its root is RFC 9162's MTH of the rows' leaves computed here, and every
  receipt's leaf is in it at its index;
- `ndxpctl audit prove` fetches a call's proof (by REPLICA:INDEX, by its
  receipt, or by the request id the caller made it with, among the asker's
  own calls) and `ndxpctl audit verify-receipt` checks the proof file
  offline with the log's vkey: an edited hash is named, a request id used
  twice is listed, another member's is answered as an unused one;
- the recorder's group commit never waits for open server streams.

Run by ctest:  test_receipts.py BUILD_DIR
"""

import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import unittest
import urllib.request

from hub_fixture import Hub, ROOT, TD, metric, wait_until
from tlog import encode_v4, merkle_root, open_note, verify_consistency, verify_inclusion
from raw_h2 import RawH2Connection, grpc_frame

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
INBOX = "/ndxp.documents.v1.DocumentExchange/ReceiveInbox"
PAYLOAD = b"\x0a\x04ping"  # EchoRequest{payload: "ping"}
RECEIPT = b"x-ndxp-receipt"


def parse_receipt(value):
    replica, index, leaf = value.rsplit(":", 2)
    return replica, int(index), leaf


class ReceiptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, recording="DURABLE")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def connect(self):
        connection = RawH2Connection(self.hub.address, *self.hub.files("caller"))
        self.addCleanup(connection.close)
        return connection

    def row(self, request_id):
        with sqlite3.connect("file:%s?mode=ro" % self.hub.database, uri=True) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM audit_log WHERE request_id = ?",
                              (request_id,)).fetchall()
        self.assertEqual(len(rows), 1, "one row for request id %s" % request_id)
        return dict(rows[0])

    def assert_receipt_names_its_row(self, receipt, request_id):
        self.assertIsNotNone(receipt, "no x-ndxp-receipt")
        replica, index, leaf = parse_receipt(receipt)
        row = self.row(request_id)
        self.assertEqual(row["encoding"], 4)
        self.assertEqual((replica, index), (row["replica"], row["seq"] - 1))
        encoding = encode_v4(row)
        self.assertEqual(hashlib.sha256(row["prev_hash"] + encoding).digest(), row["hash"],
                         "the encoding written again here is the hub's")
        self.assertEqual(leaf, hashlib.sha256(b"\x00" + encoding).hexdigest())

    def curl(self, path, body, content_type, request_id):
        """The answer's header fields (lower-case names) of a POST over HTTP/2."""
        ca, cert, key = self.hub.files("caller")
        argv = ["curl", "--silent", "--show-error", "--http2", "--cacert", ca, "--cert", cert,
                "--key", key, "--dump-header", "-", "--output", os.devnull,
                "--data-binary", "@-", "-H", "content-type: " + content_type,
                "-H", "x-ndxp-request-id: " + request_id,
                "https://localhost:%s%s" % (self.hub.address.rsplit(":", 1)[1], path)]
        done = subprocess.run(argv, input=body, capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        fields = {}
        for line in done.stdout.decode().split("\r\n")[1:]:
            name, _, value = line.partition(":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())
        return fields

    def test_a_grpc_answer_carries_its_receipt_in_its_trailers(self):
        answer = self.connect().call(ECHO, PAYLOAD,
                                     [("x-ndxp-request-id", "receipt-grpc")])
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assertNotIn(RECEIPT, dict(answer.headers), "after the commit: not in the headers")
        receipts = [v.decode() for k, v in answer.trailers if k == RECEIPT]
        self.assertEqual(len(receipts), 1, answer.trailers)
        self.assert_receipt_names_its_row(receipts[0], "receipt-grpc")

    def test_two_calls_have_two_rows(self):
        first = self.connect().call(ECHO, PAYLOAD, [("x-ndxp-request-id", "two-1")])
        second = self.connect().call(ECHO, PAYLOAD, [("x-ndxp-request-id", "two-2")])
        one, other = parse_receipt(first.header(RECEIPT)), parse_receipt(second.header(RECEIPT))
        self.assertGreater(other[1], one[1])
        self.assertNotEqual(one[2], other[2])

    def test_a_server_stream_ends_with_the_hubs_receipt_not_the_connectors(self):
        answer = self.connect().call(INBOX, b"",
                                     [("x-fake", "stream"), ("x-ndxp-request-id", "receipt-stream")])
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        receipts = [v.decode() for k, v in answer.headers + answer.trailers if k == RECEIPT]
        self.assertEqual(len(receipts), 1, "the connector's \"forged\" is dropped: %s" % receipts)
        self.assertNotEqual(receipts[0], "forged")
        self.assert_receipt_names_its_row(receipts[0], "receipt-stream")

    def test_a_connect_unary_answer_carries_it_as_a_trailer_header(self):
        fields = self.curl(ECHO, b'{"payload": "cGluZw=="}', "application/json", "receipt-connect")
        self.assertNotIn("x-ndxp-receipt", fields)
        self.assertEqual(len(fields.get("trailer-x-ndxp-receipt", [])), 1, fields)
        self.assert_receipt_names_its_row(fields["trailer-x-ndxp-receipt"][0], "receipt-connect")

    def test_a_rest_answer_carries_it_as_a_header(self):
        fields = self.curl("/v1/echo", b'{"payload": "cGluZw=="}', "application/json",
                           "receipt-rest")
        self.assertEqual(len(fields.get("x-ndxp-receipt", [])), 1, fields)
        self.assert_receipt_names_its_row(fields["x-ndxp-receipt"][0], "receipt-rest")



class GroupCommitTest(unittest.TestCase):
    """The recorder's group commit (docs/design.md "Recording") waits for
    durable unary calls on their way, never for server streams, which may
    stay open for minutes: with streams open, lone unary calls are committed
    without a hold (ndxp_recorder_held_commits_total)."""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, recording="DURABLE", admin="127.0.0.1:0")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def test_open_server_streams_hold_no_commit(self):
        streams = RawH2Connection(self.hub.address, *self.hub.files("caller"))
        self.addCleanup(streams.close)
        reached = self.hub.fake.requests
        for i in range(3):  # the connector answers nothing: they stay open
            stream_id = streams.request_headers(INBOX, [("x-fake", "hang"),
                                                        ("x-ndxp-request-id", "open-%d" % i)])
            streams.send_body(stream_id, grpc_frame(b""), end_stream=True)
        self.assertTrue(wait_until(lambda: self.hub.fake.requests >= reached + 3),
                        "the three streams reached the connector: forwarded")
        with urllib.request.urlopen("http://%s/metrics" % self.hub.admin_address) as page:
            self.assertIn("ndxp_recorder_held_commits_total ", page.read().decode())
        held = metric(self.hub.admin_address, "ndxp_recorder_held_commits_total")
        caller = RawH2Connection(self.hub.address, *self.hub.files("caller"))
        self.addCleanup(caller.close)
        for i in range(5):
            answer = caller.call(ECHO, PAYLOAD, [("x-ndxp-request-id", "lone-%d" % i)])
            self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        self.assertEqual(metric(self.hub.admin_address, "ndxp_recorder_held_commits_total"),
                         held, "no unary commit waited for the open streams")

class SignedTreeTest(unittest.TestCase):
    """A hub with a log key signs its tree; the receipts are leaves of it, and
    ndxp.hub.v1.Transparency proves each to its caller (over the REST door,
    with curl), checked here with RFC 9162's algorithm."""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, recording="DURABLE")
        key = os.path.join(cls.hub.dir, "log.key")
        made = subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), "log-key", "generate",
                               "--out", key, "--name", TD + "/audit"],
                              capture_output=True, text=True, check=True)
        cls.vkey = made.stdout.strip()
        cls.hub.rewrite_config('transparency { log_key: "%s" }\n'
                               'grants { consumer: "*" service: "ndxp.hub.v1.Transparency" }'
                               % key)
        cls.hub.stop_hub()
        cls.hub.start_hub()
        cls.receipts = []
        # Calls by request id, for `ndxpctl audit prove --request-id`: one
        # made once, one twice (request ids are the caller's own).
        cls.named = {}
        with RawH2Connection(cls.hub.address, *cls.hub.files("caller")) as connection:
            for _ in range(5):
                answer = connection.call(ECHO, PAYLOAD)
                assert answer.grpc_status == 0, answer.grpc_message
                cls.receipts.append(parse_receipt(answer.header(RECEIPT)))
            for request_id in ("prove-once", "prove-twice", "prove-twice"):
                answer = connection.call(ECHO, PAYLOAD, [("x-ndxp-request-id", request_id)])
                assert answer.grpc_status == 0, answer.grpc_message
                cls.named.setdefault(request_id, []).append(answer.header(RECEIPT))
        cls.hub.stop_hub()  # a stopping hub signs its last rows
        cls.hub.start_hub()
        with sqlite3.connect("file:%s?mode=ro" % cls.hub.database, uri=True) as db:
            db.row_factory = sqlite3.Row
            cls.rows = [dict(r) for r in db.execute("SELECT * FROM audit_log ORDER BY seq")]
            cls.note = db.execute("SELECT note FROM audit_tree_checkpoints "
                                  "ORDER BY tree_size DESC LIMIT 1").fetchone()[0]

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def ask(self, who, method, request):
        """(HTTP status, JSON answer) of a Transparency method over REST."""
        ca, cert, key = self.hub.files(who)
        done = subprocess.run(
            ["curl", "--silent", "--show-error", "--cacert", ca, "--cert", cert, "--key", key,
             "--data-binary", "@-", "-H", "content-type: application/json",
             "--write-out", "\n%{http_code}",
             "https://localhost:%s/v1/transparency/%s:get"
             % (self.hub.address.rsplit(":", 1)[1], method)],
            input=json.dumps(request).encode(), capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        body, _, status = done.stdout.decode().rpartition("\n")
        return int(status), json.loads(body)

    def test_the_signed_tree_holds_every_receipt(self):
        origin, size, root = open_note(self.note, self.vkey).splitlines()
        replica = self.rows[0]["replica"]
        self.assertEqual(origin, "%s/audit/%s" % (TD, replica))
        self.assertEqual(int(size), len(self.rows))
        leaves = [hashlib.sha256(b"\x00" + encode_v4(row)).digest() for row in self.rows]
        self.assertEqual(base64.b64decode(root), merkle_root(leaves))
        for receipt_replica, index, leaf in self.receipts:
            self.assertEqual(receipt_replica, replica)
            self.assertEqual(leaves[index].hex(), leaf, "receipt %d is a leaf of the tree" % index)
        # A forged note does not open.
        with self.assertRaises(Exception):
            open_note(self.note.replace("\n%s\n" % size, "\n%d\n" % (int(size) + 1)),
                      self.vkey)

    def test_the_caller_gets_each_receipts_proof(self):
        status, checkpoint = self.ask("caller", "checkpoint", {})
        self.assertEqual(status, 200, checkpoint)
        self.assertEqual(checkpoint["checkpoint"], self.note)
        _, size, root = open_note(checkpoint["checkpoint"], self.vkey).splitlines()
        for _, index, leaf in self.receipts:
            status, proof = self.ask("caller", "inclusion-proof", {"leaf_index": index})
            self.assertEqual(status, 200, proof)
            self.assertEqual(int(proof["treeSize"]), int(size))
            self.assertEqual(base64.b64decode(proof["leafHash"]).hex(), leaf)
            hashes = [base64.b64decode(h) for h in proof.get("hashes", [])]
            self.assertTrue(verify_inclusion(bytes.fromhex(leaf), index, int(size), hashes,
                                             base64.b64decode(root)),
                            "receipt %d's proof" % index)

    def test_another_member_gets_no_proof_of_the_callers_call(self):
        index = self.receipts[0][1]
        status, answer = self.ask("victim", "inclusion-proof", {"leaf_index": index})
        self.assertEqual(status, 403, answer)
        status, answer = self.ask("operator", "inclusion-proof", {"leaf_index": index})
        self.assertEqual(status, 200, answer)

    def ndxpctl(self, who, *args):
        """`ndxpctl ARGS`, `audit prove` with `who`'s certificate for the hub:
        (exit code, stdout, stderr)."""
        argv = [os.path.join(BUILD, "bin", "ndxpctl")] + list(args)
        if args[:2] == ("audit", "prove"):
            ca, cert, key = self.hub.files(who)
            argv += ["--hub", self.hub.address, "--ca", ca, "--cert", cert, "--key", key]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    def vkey_file(self):
        path = os.path.join(self.hub.dir, "log.vkey")
        with open(path, "w") as f:
            f.write(self.vkey + "\n")
        return path

    def test_ndxpctl_proves_a_call_and_verify_receipt_checks_it_offline(self):
        replica, index, leaf = parse_receipt(self.named["prove-once"][0])
        # By REPLICA:INDEX, and by the whole receipt, for people.
        for row in ("%s:%d" % (replica, index), self.named["prove-once"][0]):
            code, out, err = self.ndxpctl("caller", "audit", "prove", row)
            self.assertEqual(code, 0, err)
            self.assertIn("receipt %s:%d:%s" % (replica, index, leaf), out)
            self.assertIn(self.note.splitlines()[0], out, "the checkpoint note is shown")
        # By the request id the caller made it with: the proof file.
        proof_file = os.path.join(self.hub.dir, "receipt.json")
        code, out, err = self.ndxpctl("caller", "audit", "prove", "--request-id", "prove-once",
                                      "--format", "json", "--out", proof_file)
        self.assertEqual(code, 0, err)
        self.assertIn("written to " + proof_file, out)
        with open(proof_file) as f:
            proof = json.load(f)
        self.assertEqual((proof["replica"], proof["leaf_index"], proof["leaf_hash"]),
                         (replica, index, leaf))
        self.assertEqual(proof["checkpoint"], self.note)
        _, size, root = open_note(proof["checkpoint"], self.vkey).splitlines()
        self.assertEqual((proof["tree_size"], proof["root_hash"]),
                         (int(size), base64.b64decode(root).hex()))
        self.assertTrue(verify_inclusion(bytes.fromhex(leaf), index, int(size),
                                         [bytes.fromhex(h) for h in proof["hashes"]],
                                         base64.b64decode(root)),
                        "the file's proof, checked here with RFC 9162's algorithm")

        vkey = self.vkey_file()
        code, out, err = self.ndxpctl("caller", "audit", "verify-receipt", proof_file,
                                      "--vkey", vkey)
        self.assertEqual(code, 0, err)
        self.assertIn("receipt verified: %s:%d" % (replica, index), out)
        self.assertIn("only the hub's word is proven", out)

        # One hex digit of one of the proof's hashes changed: not verified,
        # and the check that failed is named.
        hashes = proof["hashes"]
        self.assertTrue(hashes, "a tree of several leaves has a proof")
        hashes[0] = ("0" if hashes[0][0] != "0" else "1") + hashes[0][1:]
        with open(proof_file, "w") as f:
            json.dump(proof, f)
        code, out, err = self.ndxpctl("caller", "audit", "verify-receipt", proof_file,
                                      "--vkey", vkey)
        self.assertEqual(code, 1, out)
        self.assertIn("receipt NOT verified: leaf %d" % index, err)
        self.assertIn("is not in the tree", err)

    def test_a_receipt_of_another_leaf_is_refused(self):
        replica, index, leaf = parse_receipt(self.named["prove-once"][0])
        other = "%s:%d:%s" % (replica, index, parse_receipt(self.named["prove-twice"][0])[2])
        code, _, err = self.ndxpctl("caller", "audit", "prove", other)
        self.assertEqual(code, 1)
        self.assertIn("is not the one the hub proves at %s:%d" % (replica, index), err)

    def test_no_checkpoint_with_the_cosignatures_asked_gives_no_proof(self):
        # No witness cosigns this hub's checkpoints.
        code, out, err = self.ndxpctl("caller", "audit", "prove", "--request-id", "prove-once",
                                      "--min-cosignatures", "1")
        self.assertEqual(code, 1, out)
        self.assertEqual(out, "")

    def test_a_request_id_used_twice_lists_both_rows(self):
        rows = ["%s:%d" % parse_receipt(receipt)[:2] for receipt in self.named["prove-twice"]]
        code, _, err = self.ndxpctl("caller", "audit", "prove", "--request-id", "prove-twice")
        self.assertEqual(code, 1)
        self.assertIn("FAILED_PRECONDITION", err)
        self.assertIn(", ".join(rows), err)

    def test_another_member_proving_the_callers_request_id_is_told_none_is_theirs(self):
        code, _, theirs = self.ndxpctl("victim", "audit", "prove", "--request-id", "prove-once")
        self.assertEqual(code, 1)
        code, _, unused = self.ndxpctl("victim", "audit", "prove", "--request-id", "never-used")
        self.assertEqual(code, 1)
        self.assertIn("NOT_FOUND", theirs)
        self.assertEqual(theirs.replace("prove-once", "ID"), unused.replace("never-used", "ID"),
                         "the same answer whether or not the caller used that id")
        # An operator may prove anyone's call by its request id.
        code, out, err = self.ndxpctl("operator", "audit", "prove", "--request-id", "prove-once")
        self.assertEqual(code, 0, err)
        self.assertIn(self.named["prove-once"][0], out)

    def test_consistency_between_two_sizes_verifies(self):
        status, proof = self.ask("victim", "consistency-proof", {"first": 2, "second": 5})
        self.assertEqual(status, 200, proof)
        leaves = [hashlib.sha256(b"\x00" + encode_v4(row)).digest() for row in self.rows]
        hashes = [base64.b64decode(h) for h in proof.get("hashes", [])]
        self.assertTrue(verify_consistency(2, 5, merkle_root(leaves[:2]), merkle_root(leaves[:5]),
                                           hashes))


class NoReceiptTest(unittest.TestCase):
    """Without durable recording the answer leaves before its row exists."""

    def call(self, recording):
        hub = Hub(BUILD, recording=recording)
        try:
            with RawH2Connection(hub.address, *hub.files("caller")) as connection:
                answer = connection.call(ECHO, PAYLOAD)
        finally:
            hub.stop()
        self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
        return answer

    def test_fast_recording_gives_no_receipt(self):
        self.assertIsNone(self.call("FAST").header(RECEIPT))

    def test_recording_off_gives_no_receipt(self):
        self.assertIsNone(self.call(None).header(RECEIPT))


if __name__ == "__main__":
    unittest.main(verbosity=2)
