#!/usr/bin/env python3
"""Every ndxp binary parses its flags the same way (CLI11): "--config FILE"
and "--config=FILE" alike, a meaningful --help, --version, exit status 2 on a
usage error or an invalid configuration. Runs the built binaries; no
federation needed.

Run by ctest:  test_command_lines.py BUILD_DIR
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
BIN = os.path.join(BUILD, "bin")
PKI = os.path.join(ROOT, "certs", "ndxp-pki")
CONNECTORS = ["residents", "insurance", "business", "land", "civil-status", "documents", "echo"]
# Every program of the build (build/bin less the tests) and the scripts with
# a --help: what each prints as its name with --version.
PROGRAMS = ["ndxp-hub", *("ndxp-" + name for name in CONNECTORS), "ndxpctl", "ndxp-bench"]
SCRIPTS = {"deploy/local/federation": "federation", "deploy/loadtest/ghz-run": "ghz-run",
           "certs/ndxp-pki": "ndxp-pki", "bench/run": "bench/run", "bench/soak": "bench/soak",
           "bench/flood": "bench/flood", "deploy/make-pki": "make-pki",
           "scripts/with-postgres": "with-postgres"}
TEST_BINARY = re.compile(r"_(test|tests|fuzzer)$")


def untimed(log):
    """A log without its lines' timestamps, to compare two runs."""
    return re.sub(r"^\S+Z ", "", log, flags=re.M)


def run(binary, *args):
    return subprocess.run([os.path.join(BIN, binary), *args], capture_output=True, text=True,
                          timeout=60)


class CommandLinesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ndxp-flags-")
        pki = os.path.join(cls.dir, "pki")
        for args in (["init-ca", "--dir", pki, "--trust-domain", "ndxp.gov.vn",
                      "--name", "Flags Test CA"],
                     ["issue", "--dir", pki, "--agency", "000.00.00.A01", "--subsystem", "hub",
                      "--out", os.path.join(pki, "hub"), "--server"]):
            subprocess.run([PKI, *args], check=True, capture_output=True)
        cls.hub_config = os.path.join(cls.dir, "hub.textproto")
        with open(cls.hub_config, "w") as f:
            f.write('listen: "127.0.0.1:0"\ntrust_domain: "ndxp.gov.vn"\n'
                    'tls { ca_cert: "pki/ca.pem" cert: "pki/hub.pem" key: "pki/hub.key" }\n'
                    'recording { mode: OFF }\n')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_hub_takes_both_flag_forms(self):
        for args in (["--config", self.hub_config, "--check-config"],
                     ["--config=" + self.hub_config, "--check-config"],
                     ["--check-config", "--config=" + self.hub_config]):
            with self.subTest(args=args):
                checked = run("ndxp-hub", *args)
                self.assertEqual(checked.returncode, 0, checked.stderr)
                self.assertEqual(checked.stdout, "ndxp-hub: %s is valid\n" % self.hub_config)

    def test_hub_usage_errors_and_invalid_configuration_exit_2(self):
        missing = os.path.join(self.dir, "missing.textproto")
        for args, message in (([], "--config FILE is required"),
                              (["--check-config"], "--config FILE is required"),
                              (["--config"], "--config"),
                              (["--config", self.hub_config, "--listen", "x"], "--listen"),
                              (["--config=" + missing], "invalid configuration"),
                              (["--config", missing], "invalid configuration")):
            with self.subTest(args=args):
                done = run("ndxp-hub", *args)
                self.assertEqual(done.returncode, 2)
                self.assertIn(message, done.stderr)
        self.assertIn(missing, run("ndxp-hub", "--config=" + missing).stderr)

    def test_hub_help(self):
        for flag in ("--help", "-h"):
            helped = run("ndxp-hub", flag)
            self.assertEqual(helped.returncode, 0)
            self.assertTrue(helped.stdout.startswith(
                "Usage: ndxp-hub --config FILE [--ready-file FILE] [--check-config]"))
            for text in ("--ready-file FILE", "--admin-ready-file FILE", "SIGHUP reloads",
                         "Exit status", "--config=FILE"):
                self.assertIn(text, helped.stdout)

    def test_connectors_take_both_flag_forms(self):
        missing = os.path.join(self.dir, "connector.textproto")
        for name in CONNECTORS:
            with self.subTest(connector=name):
                binary = "ndxp-" + name
                helped = run(binary, "--help")
                self.assertEqual(helped.returncode, 0)
                self.assertIn("usage: %s --config FILE [--ready-file FILE]" % binary,
                              helped.stdout)
                spaced = run(binary, "--config", missing)
                equals = run(binary, "--config=" + missing)
                self.assertEqual(spaced.returncode, 2)
                self.assertEqual(equals.returncode, 2)
                self.assertIn(missing, spaced.stderr)
                self.assertEqual(untimed(spaced.stderr), untimed(equals.stderr))
                unknown = run(binary, "--config", missing, "--verbose")
                self.assertEqual(unknown.returncode, 2)
                self.assertIn('unknown argument "--verbose"', unknown.stderr)

    def test_bench_flags(self):
        helped = run("ndxp-bench", "--help")
        self.assertEqual(helped.returncode, 0)
        for text in ("--target HOST:PORT", "--concurrency", "--metadata KEY=VALUE",
                     "--rate N", "requests/s"):
            self.assertIn(text, helped.stdout)
        tls = ["--ca", "ca.pem", "--cert", "c.pem", "--key", "c.key"]
        for args, message in ((tls, "--target is required"),
                              (["--target=127.0.0.1:1", *tls, "--concurrency=0"],
                               "--concurrency"),
                              (["--target", "127.0.0.1:1", *tls, "--metadata", "novalue"],
                               "is not KEY=VALUE"),
                              (["--target", "127.0.0.1:1", *tls, "--rate", "-5"], "--rate"),
                              (["--target", "127.0.0.1:1", *tls, "--qps", "5"], "--qps")):
            with self.subTest(args=args):
                done = run("ndxp-bench", *args)
                self.assertEqual(done.returncode, 2)
                self.assertIn(message, done.stderr)
        # Both forms reach the same place: reading the request file.
        for args in (["--request-file", "/nonexistent/request.bin"],
                     ["--request-file=/nonexistent/request.bin"]):
            done = run("ndxp-bench", "--target=127.0.0.1:1", *tls, *args)
            self.assertEqual(done.returncode, 2)
            self.assertIn("/nonexistent/request.bin", done.stderr)

    def test_log_flags_on_every_long_running_binary(self):
        missing = os.path.join(self.dir, "missing.textproto")
        for binary in ["ndxp-hub", "ndxp-bench"] + ["ndxp-" + name for name in CONNECTORS]:
            with self.subTest(binary=binary):
                self.assertIn("--log-format text|json", run(binary, "--help").stdout)
                config = [] if binary == "ndxp-bench" else ["--config", missing]
                refused = run(binary, *config, "--log-format", "xml")
                self.assertEqual(refused.returncode, 2)
                self.assertIn("--log-format", refused.stderr)
        # A configuration error is a log line like any other: JSON when asked.
        failed = run("ndxp-residents", "--config", missing, "--log-format=json")
        self.assertEqual(failed.returncode, 2)
        line = json.loads(failed.stderr)
        self.assertEqual((line["level"], line["program"], line["component"]),
                         ("error", "ndxp-residents", "config"))
        self.assertIn(missing, line["message"])

    def test_every_program_answers_version_with_the_one_version(self):
        with open(os.path.join(ROOT, "VERSION")) as f:
            version = f.readline().strip()
        self.assertRegex(version, r"^\d+\.\d+\.\d+$")
        built = {name for name in os.listdir(BIN)
                 if os.access(os.path.join(BIN, name), os.X_OK) and not TEST_BINARY.search(name)}
        self.assertEqual(built, set(PROGRAMS), "a program missing from this table, or a test "
                                               "named unlike the others")
        table = [(os.path.join(BIN, name), name) for name in PROGRAMS] + \
                [(os.path.join(ROOT, path), name) for path, name in SCRIPTS.items()]
        for path, name in table:
            with self.subTest(program=name):
                done = subprocess.run([path, "--version"], capture_output=True, text=True,
                                      timeout=60, stdin=subprocess.DEVNULL)
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(done.stdout, "%s %s\n" % (name, version))
                helped = subprocess.run([path, "--help"], capture_output=True, text=True,
                                        timeout=60, stdin=subprocess.DEVNULL)
                self.assertIn("--version", helped.stdout)

    def test_make_run_builds_every_program_and_no_test(self):
        # `make run` builds the ndxp_programs target only: the programs of
        # the table above and the services' descriptors, none of the tests.
        if not os.path.exists(os.path.join(BUILD, "build.ninja")):
            self.skipTest("not a Ninja build")
        query = subprocess.run(["ninja", "-C", BUILD, "-t", "query", "ndxp_programs"],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(query.returncode, 0, query.stderr)
        inputs = query.stdout.split("input:", 1)[1].split("outputs:", 1)[0].split()
        programs = {os.path.basename(i) for i in inputs if i.startswith("bin/")}
        self.assertEqual(programs, set(PROGRAMS))
        self.assertIn("ndxp_service_descriptors", {os.path.basename(i) for i in inputs})
        self.assertFalse([i for i in inputs if TEST_BINARY.search(i)])

    def test_ndxpctl_help_and_version(self):
        for args in (["--help"], ["stats", "--help"], ["growth", "--help"],
                     ["stats", "import", "--help"], ["audit", "verify", "--help"],
                     ["openapi", "--help"]):
            with self.subTest(args=args):
                helped = run("ndxpctl", *args)
                self.assertEqual(helped.returncode, 0, helped.stderr)
                self.assertIn("Usage: ndxpctl " + " ".join(a for a in args if a != "--help"),
                              helped.stdout)
        self.assertRegex(run("ndxpctl", "--version").stdout, r"^ndxpctl \S+\n$")
        refused = run("ndxpctl", "stats", "--period", "day", "--anchor", "2026-06-30",
                      "--format", "yaml")
        self.assertEqual(refused.returncode, 2)
        self.assertIn('unknown format "yaml"', refused.stderr)

    def test_ndxpctl_openapi(self):
        helped = run("ndxpctl", "openapi", "--help")
        for text in ("--config FILE", "--output FILE", "/openapi.json", "Exit status"):
            self.assertIn(text, helped.stdout)
        missing = run("ndxpctl", "openapi")
        self.assertEqual(missing.returncode, 2)
        self.assertIn("--config is required", missing.stderr)
        absent = os.path.join(self.dir, "absent.textproto")
        invalid = run("ndxpctl", "openapi", "--config", absent)
        self.assertEqual(invalid.returncode, 1)
        self.assertIn("invalid configuration", invalid.stderr)
        self.assertIn(absent, invalid.stderr)
        # A configuration that routes nothing: a document without paths, on
        # stdout; the same bytes into --output.
        written = run("ndxpctl", "openapi", "--config", self.hub_config)
        self.assertEqual(written.returncode, 0, written.stderr)
        document = json.loads(written.stdout)
        self.assertEqual((document["openapi"], document["paths"]), ("3.1.0", {}))
        output = os.path.join(self.dir, "openapi.json")
        self.assertEqual(run("ndxpctl", "openapi", "--config=" + self.hub_config,
                             "--output", output).returncode, 0)
        with open(output) as f:
            self.assertEqual(f.read(), written.stdout)
        unwritable = run("ndxpctl", "openapi", "--config", self.hub_config, "--output",
                         os.path.join(self.dir, "no-such-dir", "openapi.json"))
        self.assertEqual(unwritable.returncode, 1)
        self.assertIn("cannot write", unwritable.stderr)


if __name__ == "__main__":
    unittest.main()
