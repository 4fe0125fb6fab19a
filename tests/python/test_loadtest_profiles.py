#!/usr/bin/env python3
"""The ghz profiles of deploy/loadtest against a real local federation.

Every profile's request data (its own "data", and what ghz-run draws from the
federation's databases) must parse as the method's request message under the
JSON mapping ghz uses (protobuf's, with well-known types such as FieldMask in
their object form), and one call of each must succeed through the hub with
the profile's identity and metadata. ghz itself is not packaged by Debian:
ghz-run is run with a fake that records its command line, or with the ghz
stand-in (standins/ghz), which reads flags, profile and files as ghz does and
makes the calls.

The federation has the population `make run` makes (100,000 citizens), so the
profiles' own examples name records that exist there.

Run by ctest:  test_loadtest_profiles.py BUILD_DIR
"""

import importlib.machinery
import importlib.util
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

import federation_fixture  # noqa: E402  (puts clients/python on the path)
from federation_fixture import ROOT  # noqa: E402
from ndxp_client import connect_as, generate_stubs  # noqa: E402
from grpc_json import call, find_method, parse_request, render  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
LOADTEST = os.path.join(ROOT, "deploy", "loadtest")
GHZ_RUN = os.path.join(LOADTEST, "ghz-run")
STANDINS = os.path.join(ROOT, "tests", "python", "standins")
# The profiles a load tester is promised (deploy/loadtest/README.md).
EXPECTED_PROFILES = {"residents-verify", "residents-get", "echo-reflection", "business-search",
                     "insurance-lookup", "land-parcel", "documents-send"}
# What ghz reads from a profile (its config file keys).
GHZ_KEYS = {"name", "proto", "import-paths", "call", "data", "metadata", "concurrency",
            "connections", "duration", "timeout", "total", "rps"}


def load_ghz_run():
    loader = importlib.machinery.SourceFileLoader("ghz_run", GHZ_RUN)
    spec = importlib.util.spec_from_loader("ghz_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class LoadtestProfilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state, cls.endpoints = federation_fixture.start(BUILD, "ndxp-loadtest-",
                                                            population=100000)
        try:
            cls.stubs = generate_stubs(os.path.join(cls.state, "python-stubs"))
            cls.ghz_run = load_ghz_run()
            cls.profiles = cls.ghz_run.profiles()
            cls.channel = connect_as(cls.endpoints, "loadtest")  # ghz-run's default identity
        except BaseException:
            federation_fixture.stop(cls.state)  # tearDownClass does not run after this
            raise

    @classmethod
    def tearDownClass(cls):
        federation_fixture.stop(cls.state)

    def method(self, profile):
        """(method descriptor, request class, response class) of a profile's call."""
        return find_method(self.profiles[profile]["call"])

    def parse(self, profile, data, request_number=0):
        """A request message from ghz JSON, the way ghz reads it."""
        return parse_request(self.profiles[profile]["call"], data, request_number)

    def call(self, profile, request):
        """One call through the hub as ghz makes it; the answers (a list)."""
        config = self.profiles[profile]
        metadata = render(config.get("metadata", {}), 0).items()
        timeout = float(config.get("timeout", "10s").rstrip("s"))
        return call(self.channel, config["call"], request, metadata, timeout)

    def check_answers(self, profile, answers):
        self.assertTrue(answers, "%s: no answer" % profile)
        first = answers[0]
        if profile == "residents-verify":
            self.assertTrue(first.found and first.full_name_match and first.date_of_birth_match)
        elif profile == "residents-get":
            self.assertTrue(first.citizen.full_name and first.citizen.date_of_birth.year)
            self.assertFalse(first.citizen.permanent_address, "the mask was not applied")
        elif profile == "insurance-lookup":
            self.assertTrue(first.person.social_insurance_code)
        elif profile == "land-parcel":
            self.assertTrue(first.parcel.parcel_id)
        elif profile == "documents-send":
            self.assertTrue(first.document_id.startswith("DOC-"))
        else:
            self.assertGreater(first.ByteSize(), 0, profile)

    def test_the_promised_profiles_exist_and_are_ghz_configs(self):
        self.assertEqual(set(self.profiles), EXPECTED_PROFILES)
        for name, config in self.profiles.items():
            with self.subTest(profile=name):
                self.assertLessEqual(set(config), GHZ_KEYS)
                if "proto" in config:
                    self.assertTrue(os.path.exists(os.path.join(ROOT, config["proto"])))
                self.method(name)  # the call names a real method
                self.assertTrue("data" in config or
                                name in self.ghz_run.DATA_FROM_FEDERATION, name)

    def test_every_profiles_own_data_parses_and_its_call_succeeds(self):
        for name, config in sorted(self.profiles.items()):
            if "data" not in config:
                continue
            with self.subTest(profile=name):
                request = self.parse(name, config["data"])
                self.check_answers(name, self.call(name, request))

    def test_ghz_run_data_from_the_federation_parses_and_succeeds(self):
        for name in sorted(self.ghz_run.DATA_FROM_FEDERATION):
            with self.subTest(profile=name):
                data = self.ghz_run.request_data(name, self.endpoints)
                self.assertEqual(len(data), 200)
                requests = [self.parse(name, item) for item in data]
                self.assertEqual(len({r.SerializeToString() for r in requests}), 200,
                                 "ghz-run repeats requests")
                for request in requests[:3]:
                    self.check_answers(name, self.call(name, request))

    def test_residents_get_uses_the_object_form_of_its_field_mask(self):
        # The string form ("fullName,dateOfBirth") is what ghz and grpcurl refuse.
        data = self.profiles["residents-get"]["data"]
        self.assertEqual(data["read_mask"], {"paths": ["full_name", "date_of_birth"]})
        for item in self.ghz_run.request_data("residents-get", self.endpoints, count=5):
            self.assertIsInstance(item["read_mask"], dict)

    def run_ghz_run(self, args, ghz="record", cwd=None):
        """ghz-run with a ghz on PATH and its own TMPDIR: "record" (a fake
        that records its command line), "standin" (tests/python/standins/ghz,
        which makes the calls as ghz would) or None (no ghz at all):
        (completed process, the fake's record or None, leftovers in TMPDIR)."""
        work = tempfile.mkdtemp(prefix="ndxp-ghz-test-")
        self.addCleanup(shutil.rmtree, work, True)
        bin_dir, tmp = os.path.join(work, "bin"), os.path.join(work, "tmp")
        os.mkdir(bin_dir)
        os.mkdir(tmp)
        record = os.path.join(work, "ghz-argv.json")
        if ghz == "record":
            fake = os.path.join(bin_dir, "ghz")
            with open(fake, "w") as f:
                f.write("#!/usr/bin/python3\nimport json, sys\nargv = sys.argv[1:]\n"
                        "data = argv[argv.index('--data-file') + 1] if '--data-file' in argv "
                        "else None\n"
                        "json.dump({'argv': argv, 'data': json.load(open(data)) if data "
                        "else None}, open(%r, 'w'))\n" % record)
            os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
        elif ghz == "standin":
            os.symlink(os.path.join(STANDINS, "ghz"), os.path.join(bin_dir, "ghz"))
        env = dict(os.environ, PATH=bin_dir + os.pathsep + "/usr/bin:/bin", TMPDIR=tmp,
                   NDXP_STANDIN_STUBS=os.path.join(self.state, "standin-stubs"))
        done = subprocess.run([sys.executable, GHZ_RUN, *args], capture_output=True, text=True,
                              env=env, timeout=120, cwd=cwd)
        recorded = None
        if os.path.exists(record):
            with open(record) as f:
                recorded = json.load(f)
        return done, recorded, os.listdir(tmp)

    def test_ghz_run_takes_its_options_in_any_order(self):
        who = self.endpoints["identities"]["loadtest"]
        for args in (["residents-verify", "--state", self.state, "--", "-z", "3s"],
                     ["--state", self.state, "residents-verify", "--", "-z", "3s"]):
            with self.subTest(args=args):
                done, ghz, leftovers = self.run_ghz_run(args)
                self.assertEqual(done.returncode, 0, done.stderr)
                argv = ghz["argv"]
                self.assertEqual(argv[argv.index("--config") + 1],
                                 os.path.join(self.state, "loadtest", "residents-verify.json"))
                self.assertEqual(argv[argv.index("--cert") + 1], who["cert"])
                self.assertEqual(argv[argv.index("--key") + 1], who["key"])
                self.assertEqual(argv[-3:], ["-z", "3s", self.endpoints["hub"]])
                self.assertEqual(len(ghz["data"]), 200)
                self.assertEqual(leftovers, [], "ghz-run left its temporary files")

    def test_ghz_run_cleans_up_without_ghz_too(self):
        done, _, leftovers = self.run_ghz_run(["land-parcel", "--state", self.state], ghz=None)
        self.assertEqual(done.returncode, 127)
        self.assertIn("ghz is not on PATH", done.stderr)
        self.assertIn("--data-file", done.stdout)
        self.assertEqual(leftovers, [])

    def test_flags_after_the_double_dash_replace_the_profiles_run_length(self):
        # ghz lets each flag replace its key of --config, but a run with a
        # duration ignores its total: the profile ghz-run hands ghz has no
        # run length, and the command line has the caller's or the profile's.
        profile = self.profiles["business-search"]
        self.assertEqual(profile["duration"], "30s")
        for ghz_args, length in (([], ["--duration", "30s"]),
                                 (["-n", "200"], ["-n", "200"]),
                                 (["--total=50", "-x", "5s"], ["--total=50", "-x", "5s"]),
                                 (["-z3s", "-c", "10"], ["-z3s"])):
            with self.subTest(ghz_args=ghz_args):
                done, ghz, _ = self.run_ghz_run(
                    ["business-search", "--state", self.state, "--", *ghz_args])
                self.assertEqual(done.returncode, 0, done.stderr)
                argv = ghz["argv"]
                for flag in ("--duration", "--total", "--max-duration", "-n", "-z", "-x"):
                    if flag not in length:
                        self.assertNotIn(flag, argv)
                with open(argv[argv.index("--config") + 1]) as f:
                    handed = json.load(f)
                self.assertFalse({"duration", "total", "max-duration"} & set(handed), handed)
                self.assertEqual(handed["call"], profile["call"])
                self.assertEqual(argv[-1], self.endpoints["hub"])

    def test_the_printed_command_makes_its_calls_and_runs_again_from_anywhere(self):
        # With the ghz stand-in, which reads the flags, files and data as ghz
        # does: -n 7 is 7 calls, not the profile's 30 s.
        done, _, _ = self.run_ghz_run(["business-search", "--state", self.state, "--", "-n", "7"],
                                      ghz="standin")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertRegex(done.stdout, r"(?m)^\s*Count:\s+7$")
        printed = shlex.split(done.stdout.splitlines()[0])
        self.assertEqual(printed[0], "ghz")
        # Copied and run again later, from another directory: what it reads
        # is still there and its paths do not depend on where it runs.
        elsewhere = tempfile.mkdtemp(prefix="ndxp-ghz-elsewhere-")
        self.addCleanup(shutil.rmtree, elsewhere, True)
        again = subprocess.run(
            printed, cwd=elsewhere, capture_output=True, text=True, timeout=120,
            env=dict(os.environ, PATH=STANDINS + os.pathsep + "/usr/bin:/bin",
                     NDXP_STANDIN_STUBS=os.path.join(self.state, "standin-stubs")))
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertRegex(again.stdout, r"(?m)^\s*Count:\s+7$")

    def test_the_callers_data_and_credentials_replace_ghz_runs(self):
        # ghz refuses a flag given twice: ghz-run leaves out what the caller gives.
        who = self.endpoints["identities"]["demo"]
        done, ghz, _ = self.run_ghz_run(
            ["residents-verify", "--state", self.state, "--", "--cert", who["cert"],
             "--key=" + who["key"], "-d", '{"personal_id": "001048034213"}'])
        self.assertEqual(done.returncode, 0, done.stderr)
        argv = ghz["argv"]
        self.assertEqual(argv.count("--cert"), 1)
        self.assertEqual(argv[argv.index("--cert") + 1], who["cert"])
        self.assertNotIn("--data-file", argv)
        self.assertIn("--cacert", argv)

    def test_ghz_run_refuses_an_unknown_profile(self):
        done, _, _ = self.run_ghz_run(["residents-everything", "--state", self.state])
        self.assertEqual(done.returncode, 2)
        self.assertIn("invalid choice", done.stderr)


if __name__ == "__main__":
    unittest.main()
