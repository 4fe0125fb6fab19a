#!/usr/bin/env python3
"""Witnesses' cosignatures, the log's side (docs/design.md "Transparency"),
over a real hub, real TLS, real curl and a real SQLite file. The test plays
the witness: its Ed25519 cosignature key is made here (python3-cryptography)
and its vkey listed in the hub's `transparency.witness_vkeys`; it cosigns the
hub's checkpoint as C2SP tlog-cosignature says, written again here from the
spec:

- the signed message is "cosignature/v1\\ntime <unix seconds>\\n" followed by
  the checkpoint's text; the line is "— <name> base64(key ID ‖ time as 8
  big-endian bytes ‖ Ed25519 signature)", key ID = SHA-256(name ‖ "\\n" ‖
  0x04 ‖ public key)[:4];
- AddCosignature (REST POST /v1/transparency/cosignature:add, by any
  member) keeps it and names the witness; a forged one is 401 and kept not;
- GetCheckpoint with min_cosignatures 1 is 404 before, and after it is the
  checkpoint with the witness's line appended;
- `ndxpctl audit verify --witness-vkey` reports the witness, the tree size
  it cosigned and when, its cosignature verified.

Run by ctest:  test_cosignatures.py BUILD_DIR
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import unittest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hub_fixture import Hub, ROOT, TD
from raw_h2 import RawH2Connection
from tlog import open_note

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
PAYLOAD = b"\x0a\x04ping"  # EchoRequest{payload: "ping"}
WITNESS = TD + "/witness"


class Witness:
    """A C2SP cosignature/v1 key."""

    def __init__(self, name):
        self.name = name
        self.key = Ed25519PrivateKey.generate()
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
        self.vkey = "%s+%s+%s" % (name, self.key_id.hex(),
                                  base64.b64encode(b"\x04" + public).decode())

    def cosign(self, note, when):
        """`note` with this witness's cosignature line added."""
        text = note.partition("\n\n")[0] + "\n"
        signature = self.key.sign(b"cosignature/v1\ntime %d\n" % when + text.encode())
        line = base64.b64encode(self.key_id + when.to_bytes(8, "big") + signature).decode()
        return "%s\u2014 %s %s\n" % (note, self.name, line)


class CosignatureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, recording="DURABLE")
        key = os.path.join(cls.hub.dir, "log.key")
        made = subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), "log-key", "generate",
                               "--out", key, "--name", TD + "/audit"],
                              capture_output=True, text=True, check=True)
        cls.log_vkey = made.stdout.strip()
        cls.witness = Witness(WITNESS)
        cls.hub.rewrite_config(
            'transparency { log_key: "%s" witness_vkeys: "%s" }\n'
            'grants { consumer: "*" service: "ndxp.hub.v1.Transparency" }'
            % (key, cls.witness.vkey))
        cls.hub.stop_hub()
        cls.hub.start_hub()
        with RawH2Connection(cls.hub.address, *cls.hub.files("caller")) as connection:
            for _ in range(3):
                answer = connection.call(ECHO, PAYLOAD)
                assert answer.grpc_status == 0, answer.grpc_message
        cls.hub.stop_hub()  # a stopping hub signs its last rows
        cls.hub.start_hub()

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def post(self, who, path, request):
        """(HTTP status, JSON answer) of a Transparency method over REST."""
        ca, cert, key = self.hub.files(who)
        done = subprocess.run(
            ["curl", "--silent", "--show-error", "--cacert", ca, "--cert", cert, "--key", key,
             "--data-binary", "@-", "-H", "content-type: application/json",
             "--write-out", "\n%{http_code}",
             "https://localhost:%s/v1/transparency/%s"
             % (self.hub.address.rsplit(":", 1)[1], path)],
            input=json.dumps(request).encode(), capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        body, _, status = done.stdout.decode().rpartition("\n")
        return int(status), json.loads(body)

    def test_a_witness_cosigns_and_the_hub_publishes_it(self):
        status, answer = self.post("caller", "checkpoint:get", {"min_cosignatures": 1})
        self.assertEqual(status, 404, answer)
        status, checkpoint = self.post("caller", "checkpoint:get", {})
        self.assertEqual(status, 200, checkpoint)
        note = checkpoint["checkpoint"]
        open_note(note, self.log_vkey)
        self.assertNotIn(WITNESS, note)

        # A forged cosignature (its time changed after signing) is refused.
        when = int(time.time())
        cosigned = self.witness.cosign(note, when)
        line = cosigned[len(note):].split(" ")[2]
        raw = bytearray(base64.b64decode(line))
        raw[11] ^= 1  # the time's last byte
        forged = note + "\u2014 %s %s\n" % (WITNESS, base64.b64encode(bytes(raw)).decode())
        status, answer = self.post("victim", "cosignature:add", {"checkpoint": forged})
        self.assertEqual(status, 401, answer)
        self.assertIn(WITNESS, json.dumps(answer))

        # Any member may hand it in: the signature authenticates.
        status, answer = self.post("victim", "cosignature:add", {"checkpoint": cosigned})
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer.get("accepted"), [WITNESS])
        status, again = self.post("victim", "cosignature:add", {"checkpoint": cosigned})
        self.assertEqual(status, 200, again)
        self.assertEqual(again.get("accepted", []), [], "kept once")

        status, published = self.post("caller", "checkpoint:get", {"min_cosignatures": 1})
        self.assertEqual(status, 200, published)
        self.assertEqual(published["checkpoint"], cosigned)
        self.assertEqual(open_note(published["checkpoint"], self.log_vkey),
                         note.partition("\n\n")[0] + "\n")

        vkey_file = os.path.join(self.hub.dir, "witness.vkey")
        with open(vkey_file, "w") as out:
            out.write(self.witness.vkey + "\n")
        verified = subprocess.run(
            [os.path.join(BUILD, "bin", "ndxpctl"), "audit", "verify", "--database",
             self.hub.database, "--witness-vkey", vkey_file],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        self.assertTrue(verified.stdout.startswith("audit log intact"), verified.stdout)
        size = checkpoint["treeSize"]
        stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when))
        self.assertIn("witness %s+%s cosigned replica %s up to tree size %s at %s "
                      "(1 cosignature(s) verified)"
                      % (WITNESS, self.witness.key_id.hex(), checkpoint["origin"].rsplit("/", 1)[1],
                         size, stamp),
                      verified.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
