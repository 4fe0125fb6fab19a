#!/usr/bin/env python3
"""A hub as the witness of another hub's audit log (docs/design.md
"Transparency"), with two real hubs, real TLS and a real SQLite file:

- the log's hub signs its replica's tree (transparency { log_key }); the
  witness hub (config `witness`, its key from `ndxpctl witness-key
  generate`) polls its checkpoints over mutual TLS with its own certificate
  and cosigns each that extends the last it cosigned: its state file holds
  the log's newest checkpoint as the log grows, across the restarts of both
  hubs, and /metrics counts what it cosigned;
- the test plays the dishonest operator of the log's hub: between runs it
  changes one byte of a row, drops a row (renumbering the rest), swaps two
  rows or rewrites the tail in the SQLite file, drops the tree's tiles and
  signed checkpoints so that the hub rebuilds its tree at open and re-signs
  checkpoints with its own log key over the forged history, and makes a
  call so that it signs one. The witness, restarted meanwhile, must refuse:
  its state still holds the honest checkpoint, its log says TWO HISTORIES
  naming the origin, ndxp_witness_refused_total{reason="inconsistent"}
  counts it, and nothing was cosigned. A witness that cosigned without the
  consistency check would take each forgery (its state would move on).

When the log's hub takes cosignatures (ndxp.hub.v1.Transparency
AddCosignature), its checkpoints carry the witness's cosignature, checked
here with the C2SP cosignature/v1 algorithm (python3-cryptography), and the
forged ones carry none.

Run by ctest:  test_witness.py BUILD_DIR
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from hub_fixture import Hub, ROOT, TD, metric, wait_until, _wait_for_file
from raw_h2 import RawH2Connection
from tlog import cosignature_time, open_note

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
PAYLOAD = b"\x0a\x04ping"  # EchoRequest{payload: "ping"}
ORIGIN = TD + "/audit/hub-1"
# Witness.StatePath: the origin with every byte but [A-Za-z0-9._-] as %XX.
STATE_FILE = ORIGIN.replace("/", "%2F")
LOG_HUB_ID = "spiffe://%s/agency/000.00.00.A01/hub" % TD
WITNESS = ("000.00.00.H11", "lgsp")
WITNESS_KEY_NAME = TD + "/witness"
REFUSED = 'ndxp_witness_refused_total{origin="%s",reason="inconsistent"}' % ORIGIN
COSIGNED = 'ndxp_witness_cosigned_total{origin="%s"}' % ORIGIN


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ndxpctl(*args):
    return subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


class LogHub(Hub):
    """The fixture's hub on a port of its own, kept across its restarts:
    the witness is configured with its address."""

    def __init__(self, build, **kwargs):
        self.port = free_port()
        super().__init__(build, **kwargs)

    def _hub_config(self, limits):
        return super()._hub_config(limits).replace('listen: "127.0.0.1:0"',
                                                   'listen: "127.0.0.1:%d"' % self.port)


class WitnessHub:
    """A second ndxp-hub, the witness: no routes, no recording, its admin
    listener for /metrics, its identity from the log hub's CA."""

    def __init__(self, log_hub, key, log_vkey, state_dir, log_hub_id=LOG_HUB_ID,
                 poll_interval_ms=100):
        self.log_hub = log_hub
        self.dir = tempfile.mkdtemp(prefix="witness-", dir=log_hub.dir)
        self.state_dir = state_dir
        pki = log_hub.pki
        self.config = os.path.join(self.dir, "witness.textproto")
        with open(self.config, "w") as f:
            f.write("\n".join([
                'listen: "127.0.0.1:0"',
                'trust_domain: "%s"' % TD,
                'tls { ca_cert: "%s" cert: "%s" key: "%s" }'
                % tuple(os.path.join(pki, n) for n in ("ca.pem", "witness.pem", "witness.key")),
                'admin { listen: "127.0.0.1:0" }',
                "witness {",
                '  key: "%s"' % key,
                '  state_dir: "%s"' % state_dir,
                "  poll_interval_ms: %d" % poll_interval_ms,
                '  logs { endpoint: "%s" spiffe_id: "%s" replica: "hub-1" origin: "%s" '
                'log_vkeys: "%s" }' % (log_hub.address, log_hub_id, ORIGIN, log_vkey),
                "}", ""]))
        self.process = None

    def start(self):
        ready, admin_ready = (os.path.join(self.dir, n) for n in ("ready", "admin.ready"))
        for path in (ready, admin_ready):
            if os.path.exists(path):
                os.remove(path)
        self.log_path = os.path.join(self.dir, "witness.log")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [os.path.join(BUILD, "bin", "ndxp-hub"), "--config", self.config,
                 "--ready-file", ready, "--admin-ready-file", admin_ready], stdout=log,
                stderr=log, stdin=subprocess.DEVNULL)
        self.log_hub.processes.append(self.process)  # stopped with the fixture at the latest
        _wait_for_file(ready, self.process, "the witness hub")
        self.admin = _wait_for_file(admin_ready, self.process, "the witness hub's admin")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def state(self):
        """The checkpoint text the witness last cosigned; None before any."""
        try:
            with open(os.path.join(self.state_dir, STATE_FILE)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def state_size(self):
        state = self.state()
        return int(state.splitlines()[1]) if state else 0

    def metric(self, sample):
        return metric(self.admin, sample)


class WitnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = LogHub(BUILD, recording="DURABLE")
        cls.hub._pki("issue", "--dir", cls.hub.pki, "--agency", WITNESS[0], "--subsystem",
                     WITNESS[1], "--out", os.path.join(cls.hub.pki, "witness"), "--server")
        log_key = os.path.join(cls.hub.dir, "log.key")
        cls.log_vkey = ndxpctl("log-key", "generate", "--out", log_key, "--name", TD + "/audit")
        cls.witness_key = os.path.join(cls.hub.dir, "witness.key")
        cls.witness_vkey = ndxpctl("witness-key", "generate", "--out", cls.witness_key,
                                   "--name", WITNESS_KEY_NAME)
        # Every member may read the log's checkpoints and proofs: the witness
        # hub is a member (its own identity, no peer assertion).
        cls.hub.rewrite_config(
            'transparency { log_key: "%s" witness_vkeys: "%s" }\n'
            'grants { consumer: "*" service: "ndxp.hub.v1.Transparency" }'
            % (log_key, cls.witness_vkey))
        cls.hub.stop_hub()
        cls.hub.start_hub()
        cls.states = 0

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def calls(self, count):
        with RawH2Connection(self.hub.address, *self.hub.files("caller")) as connection:
            for _ in range(count):
                answer = connection.call(ECHO, PAYLOAD)
                self.assertEqual(answer.grpc_status, 0, answer.grpc_message)

    def checkpoint(self):
        """The log hub's newest checkpoint note (GetCheckpoint over REST)."""
        ca, cert, key = self.hub.files("caller")
        done = subprocess.run(
            ["curl", "--silent", "--show-error", "--cacert", ca, "--cert", cert, "--key", key,
             "--data-binary", "{}", "-H", "content-type: application/json",
             "https://localhost:%d/v1/transparency/checkpoint:get" % self.hub.port],
            capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        return json.loads(done.stdout).get("checkpoint", "")

    def checkpoint_text(self):
        note = self.checkpoint()
        return open_note(note, self.log_vkey) if note else ""

    def grow(self, count):
        """Makes `count` calls and restarts the log hub: a stopping hub signs
        its last rows, so its checkpoint holds them."""
        self.calls(count)
        self.hub.stop_hub()
        self.hub.start_hub()

    def wait_for_cosigned(self, witness):
        """Waits until the witness has cosigned the checkpoint the log's hub
        serves; its text. (Each call of the witness is a row of the log too,
        and the hub signs a new checkpoint within a minute: the log moves.)"""
        latest = []

        def caught_up():
            latest[:] = [self.checkpoint_text()]
            return witness.state() == latest[0]
        self.assertTrue(wait_until(caught_up), witness.log())
        return latest[0]

    def new_witness(self, **kwargs):
        WitnessTest.states += 1
        witness = WitnessHub(self.hub, self.witness_key, self.log_vkey,
                             os.path.join(self.hub.dir, "witness-state-%d" % self.states),
                             **kwargs)
        witness.start()
        self.addCleanup(lambda: witness.process.poll() is not None or witness.stop())
        return witness

    def takes_cosignatures(self, witness):
        """Whether the log's hub takes the witness's cosignatures: it then
        publishes them with its checkpoint; one that predates AddCosignature
        answers UNIMPLEMENTED, which the witness logs."""
        published = []

        def settled():
            note = self.checkpoint()
            if cosignature_time(note, self.witness_vkey) is not None:
                published.append(note)
                return True
            return "AddCosignature failed: UNIMPLEMENTED" in witness.log()
        self.assertTrue(wait_until(settled), witness.log())
        return bool(published)

    def test_cosigns_the_log_as_it_grows_and_remembers_across_restarts(self):
        self.grow(2)
        witness = self.new_witness()
        first = self.wait_for_cosigned(witness)
        # Counted once the state file is written.
        self.assertTrue(wait_until(lambda: witness.metric(COSIGNED) >= 1))
        self.assertEqual(witness.metric('ndxp_witness_tree_size{origin="%s"}' % ORIGIN),
                         int(first.splitlines()[1]))
        self.assertEqual(
            os.stat(witness.state_dir).st_mode & 0o777, 0o700, "the state directory is private")
        if self.takes_cosignatures(witness):
            note = self.checkpoint()
            self.assertIsNotNone(cosignature_time(note, self.witness_vkey))

        # The log grows: each next checkpoint extends the last, cosigned.
        cosigned = witness.metric(COSIGNED)
        self.grow(3)
        grown = self.wait_for_cosigned(witness)
        self.assertGreater(int(grown.splitlines()[1]), int(first.splitlines()[1]))
        self.assertTrue(wait_until(lambda: witness.metric(COSIGNED) > cosigned))

        # The witness restarts and the log grows meanwhile: it continues from
        # its state (a consistency proof from it), not from scratch.
        witness.stop()
        self.assertEqual(witness.state(), grown)
        self.grow(2)
        witness.start()
        regrown = self.wait_for_cosigned(witness)
        self.assertGreater(int(regrown.splitlines()[1]), int(grown.splitlines()[1]))
        self.assertTrue(wait_until(lambda: witness.metric(COSIGNED) >= 1))
        self.assertEqual(witness.metric(REFUSED), 0)
        self.assertNotIn("TWO HISTORIES", witness.log())

    def test_a_log_hub_that_is_not_the_one_named_is_not_witnessed(self):
        # The log hub's certificate must carry the configured SPIFFE ID: here
        # another's, so the handshake is refused and nothing is cosigned.
        self.grow(1)
        witness = self.new_witness(log_hub_id="spiffe://%s/agency/000.00.00.B01/echo" % TD)
        self.assertTrue(wait_until(lambda: "GetCheckpoint failed" in witness.log()),
                        witness.log())
        self.assertIsNone(witness.state())
        self.assertEqual(witness.metric(COSIGNED), 0)

    def test_a_reload_that_changes_the_witness_is_refused(self):
        witness = self.new_witness()
        with open(witness.config) as f:
            config = f.read()
        with open(witness.config, "w") as f:
            f.write(config.replace("poll_interval_ms: 100", "poll_interval_ms: 200"))
        witness.process.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "take effect only on a restart" in witness.log()),
                        witness.log())
        self.assertIn("witness", [line for line in witness.log().splitlines()
                                  if "reload failed" in line][0])

    # The dishonest operator's forgeries, each on the SQLite file of the
    # stopped log hub, within the `size` rows the witness cosigned. `db` is
    # open for writing; every row is replica hub-1's.
    def forge_one_byte(self, db, size):
        seq, method = db.execute("SELECT seq, method FROM audit_log ORDER BY seq LIMIT 1 "
                                 "OFFSET 1").fetchone()
        forged = chr(ord(method[-1]) ^ 1)
        db.execute("UPDATE audit_log SET method = ? WHERE seq = ?", (method[:-1] + forged, seq))

    def forge_dropped_row(self, db, size):
        # The rows after it renumbered, so the log has no gap to show.
        db.execute("DELETE FROM audit_log WHERE seq = 2")
        db.execute("UPDATE audit_log SET seq = -seq WHERE seq > 2")
        db.execute("UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0")

    def forge_reordered_pair(self, db, size):
        columns = [c[1] for c in db.execute("PRAGMA table_info(audit_log)")
                   if c[1] not in ("id", "seq", "replica")]
        first, second = (db.execute("SELECT %s FROM audit_log WHERE seq = ?" % ", ".join(columns),
                                    (seq,)).fetchone() for seq in (2, 3))
        self.assertNotEqual(first, second)
        assignments = ", ".join("%s = ?" % c for c in columns)
        db.execute("UPDATE audit_log SET %s WHERE seq = 2" % assignments, second)
        db.execute("UPDATE audit_log SET %s WHERE seq = 3" % assignments, first)

    def forge_rewritten_tail(self, db, size):
        # The last two rows cosigned rewritten, those after them gone.
        db.execute("DELETE FROM audit_log WHERE seq > ?", (size,))
        for seq in (size - 1, size):
            db.execute("UPDATE audit_log SET request_id = ?, time_micros = time_micros + 1 "
                       "WHERE seq = ?", ("forged-%d" % seq, seq))

    def assert_forgery_refused(self, forge):
        self.grow(3)
        witness = self.new_witness()
        self.wait_for_cosigned(witness)
        cosigns = self.takes_cosignatures(witness)
        self.wait_for_cosigned(witness)

        # The operator rewrites history while both are down; the witness
        # knows it only from its state file.
        witness.stop()
        honest = witness.state()
        size = int(honest.splitlines()[1])
        self.hub.stop_hub()
        with sqlite3.connect(self.hub.database) as db:
            forge(db, size)
            # The tree rebuilt at open from the forged rows, and no honest
            # checkpoint left to serve.
            db.execute("DELETE FROM audit_tiles")
            db.execute("DELETE FROM audit_tree_checkpoints")
            # And the witnesses' cosignatures of the honest ones (kept by tree
            # size: left, they would be published with a forged checkpoint of
            # the same size, failing to verify).
            if db.execute("SELECT name FROM sqlite_master WHERE name = "
                          "'audit_tree_cosignatures'").fetchone():
                db.execute("DELETE FROM audit_tree_cosignatures")
        self.hub.start_hub()
        self.calls(1)  # the first commit after a start signs the tree
        forged = []
        self.assertTrue(wait_until(lambda: forged.append(self.checkpoint_text()) or forged[-1]),
                        "the log hub signs the forged history")
        forged = forged[-1]
        self.assertGreaterEqual(int(forged.splitlines()[1]), size)
        self.assertNotEqual(forged, honest)

        witness.start()
        self.assertTrue(wait_until(lambda: witness.metric(REFUSED) == 1), witness.log())
        self.assertEqual(witness.state(), honest, "the witness still holds the honest checkpoint")
        self.assertEqual(witness.metric(COSIGNED), 0)
        errors = [line for line in witness.log().splitlines() if "TWO HISTORIES" in line]
        self.assertTrue(errors, witness.log())
        self.assertIn("ERROR", errors[0].upper())
        self.assertIn(ORIGIN, errors[0])
        if cosigns:
            self.assertIsNone(cosignature_time(self.checkpoint(), self.witness_vkey),
                              "no cosignature on the forged checkpoint")
        witness.stop()

    def test_a_changed_byte_is_refused(self):
        self.assert_forgery_refused(self.forge_one_byte)

    def test_a_dropped_row_is_refused(self):
        self.assert_forgery_refused(self.forge_dropped_row)

    def test_a_reordered_pair_is_refused(self):
        self.assert_forgery_refused(self.forge_reordered_pair)

    def test_a_rewritten_tail_is_refused(self):
        self.assert_forgery_refused(self.forge_rewritten_tail)


if __name__ == "__main__":
    unittest.main()
