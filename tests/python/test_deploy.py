#!/usr/bin/env python3
"""The deployment files of deploy/systemd, deploy/docker and deploy/k8s,
validated with what Debian ships: no container engine or cluster runs here.

- every hub configuration is checked by the hub itself (ndxp-hub
  --check-config, through hub-entrypoint for the containers' template) against
  certificates made by deploy/make-pki, its routes are the local federation's,
  and every connector configuration parses as ndxp.config.v1.ConnectorConfig
  for the right agency;
- systemd units pass `systemd-analyze verify` with the built binaries;
- the compose file passes `docker-compose config` (Debian's docker-compose),
  the Dockerfile builds on Debian 12, runs as a non-root user and installs
  the package of every shared library the binaries load;
- the Kubernetes manifests parse (python3-yaml), name only files, Secrets and
  ConfigMaps that exist or are documented, and agree with the configurations
  on ports, paths and probes;
- every flag a unit, compose service or manifest passes to a binary is one its
  --help documents.

Run by ctest:  test_deploy.py BUILD_DIR
"""

import glob
import json
import importlib.machinery
import importlib.util
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.request

import yaml
from google.protobuf import text_format

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from ndxp_client import generate_stubs  # noqa: E402

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
BIN = os.path.join(BUILD, "bin")
DEPLOY = os.path.join(ROOT, "deploy")
ADMIN_PORT = 9090
HUB_PORT = 8443
# Where every deployment puts things (the image's layout, Dockerfile).
INSTALLED_BIN = "/usr/local/bin/"
INSTALLED_TLS = "/etc/ndxp/tls/"
INSTALLED_DESCRIPTORS = "/usr/local/share/ndxp/services.binpb"
# Libraries of a debian:12-slim image already (apt itself needs them).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
# A sanitizer build's own runtimes (make test-asan runs this test on
# build-asan's binaries): never in the image, which ships the release build.
SANITIZER_RUNTIMES = {"libasan8", "libubsan1", "liblsan0", "libtsan2"}


def load_federation():
    path = os.path.join(DEPLOY, "local", "federation")
    loader = importlib.machinery.SourceFileLoader("federation", path)
    spec = importlib.util.spec_from_loader("federation", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


FEDERATION = load_federation()
# The deployed connectors: every agency's (the echo connector is for benchmarks).
CONNECTORS = {name: c for name, c in FEDERATION.CONNECTORS.items() if name != "echo"}


def documented_flags(binary):
    helped = subprocess.run([os.path.join(BIN, binary), "--help"], capture_output=True,
                            text=True, timeout=30)
    assert helped.returncode == 0, helped.stderr
    return set(re.findall(r"--[a-z][a-z-]+", helped.stdout))


def yaml_documents(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


class DeployTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ndxp-deploy-")
        cls.pki = os.path.join(cls.dir, "pki")
        subprocess.run([os.path.join(DEPLOY, "make-pki"), cls.pki], check=True,
                       stdout=subprocess.DEVNULL)
        stubs = generate_stubs(os.path.join(cls.dir, "stubs"), protos=[
            "ndxp/config/v1/common.proto", "ndxp/config/v1/hub.proto",
            "ndxp/config/v1/connector.proto"])
        cls.hub_pb2, cls.connector_pb2 = stubs.hub_pb2, stubs.connector_pb2
        cls.flags = {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def assert_flags_documented(self, argv):
        binary = os.path.basename(argv[0])
        if binary not in self.flags:
            self.flags[binary] = documented_flags(binary)
        for arg in argv[1:]:
            if arg.startswith("--"):
                self.assertIn(arg.split("=", 1)[0], self.flags[binary],
                              "%s does not document %s" % (binary, arg))

    # ------------------------------------------------------ configurations

    def config_text(self, path):
        """A configuration file's text, as the schema in this tree reads it."""
        with open(path) as f:
            text = f.read()
        if "admin" not in self.hub_pb2.HubConfig.DESCRIPTOR.fields_by_name:
            # Until the admin listener lands the schema has no `admin`; the
            # block is checked by the hub from then on.
            text = re.sub(r"^admin \{[^}]*\}\n", "", text, flags=re.M)
        return text

    def local_copy(self, where, path):
        """The configuration with the install paths mapped to this test's
        PKI and build, so the hub can check it here."""
        text = self.config_text(path).replace(INSTALLED_TLS, self.pki + "/")
        text = text.replace(INSTALLED_DESCRIPTORS,
                            os.path.join(BUILD, "share", "ndxp", "services.binpb"))
        copy = os.path.join(self.dir, "%s-%s" % (where, os.path.basename(path)))
        with open(copy, "w") as f:
            f.write(text)
        return copy

    def hub_configs(self):
        return {"systemd": os.path.join(DEPLOY, "systemd", "config", "hub.textproto"),
                "docker": os.path.join(DEPLOY, "docker", "config", "hub.textproto"),
                "k8s": os.path.join(DEPLOY, "k8s", "base", "config", "hub.textproto")}

    def parse(self, path, message):
        return text_format.Parse(self.config_text(path), message)

    def test_local_federation_ports_are_distinct_kept_and_outside_the_ephemeral_range(self):
        # A port of the ephemeral range could be taken by any process binding
        # port 0 between the choice and the bind (a test beside this one):
        # the local federation's ports are chosen below it, all different.
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_low = int(f.read().split()[0])
        state = tempfile.mkdtemp(dir=self.dir)
        ports = FEDERATION.stable_ports(state)
        self.assertEqual(len(set(ports.values())), len(ports), ports)
        self.assertTrue(all(p < ephemeral_low for p in ports.values()), ports)
        self.assertEqual(FEDERATION.stable_ports(state), ports, "kept in the state directory")

    def test_local_federation_starts_again_on_new_ports_when_one_is_taken(self):
        # A port chosen free can be taken before the process binds it (by
        # another federation choosing at the same moment, or a test's
        # server): `up` failed with "cannot listen". The hub's admin port
        # here is held by a socket before `up` runs.
        state = tempfile.mkdtemp(dir=self.dir)
        ports = FEDERATION.stable_ports(state)
        with socket.create_server(("127.0.0.1", ports["hub-admin"])):
            up = subprocess.run(
                [sys.executable, os.path.join(DEPLOY, "local", "federation"), "up",
                 "--state", state, "--bin", BIN, "--population", "20",
                 "--descriptors", os.path.join(BUILD, "share", "ndxp", "services.binpb")],
                capture_output=True, text=True, timeout=300)
            try:
                self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
                self.assertIn("its port was taken meanwhile: starting again on new ports",
                              up.stdout)
                with open(os.path.join(state, "endpoints.json")) as f:
                    admin = json.load(f)["admin"]
                self.assertNotEqual(admin, "127.0.0.1:%d" % ports["hub-admin"])
                with urllib.request.urlopen("http://%s/healthz" % admin, timeout=10) as r:
                    self.assertEqual(r.status, 200)
            finally:
                subprocess.run([sys.executable, os.path.join(DEPLOY, "local", "federation"),
                                "down", "--state", state], capture_output=True, timeout=120)

    def test_local_federation_down_stops_every_process_together(self):
        # Each stand-in for a hub or connector, on SIGTERM, finishes only
        # once every other one has been told to stop too (as a hub's drain
        # overlaps the others'). Stopped one after another, the first would
        # wait for the rest and be killed after 10 s; together, each exits
        # by itself.
        state = tempfile.mkdtemp(dir=self.dir)
        os.makedirs(os.path.join(state, "run"))
        names = ["hub", "residents", "province-hub"]
        stand_in = (
            "import os, signal, sys, time\n"
            "state, name, names = sys.argv[1], sys.argv[2], sys.argv[3:]\n"
            "told = lambda n: os.path.join(state, n + '.told')\n"
            "def stop(*_):\n"
            "    open(told(name), 'w').close()\n"
            "    while not all(os.path.exists(told(n)) for n in names):\n"
            "        time.sleep(0.01)\n"
            "    open(os.path.join(state, name + '.exited'), 'w').close()\n"
            "    sys.exit(0)\n"
            "signal.signal(signal.SIGTERM, stop)\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    signal.pause()\n")
        processes = {}
        for name in names:
            processes[name] = subprocess.Popen(
                [sys.executable, "-c", stand_in, state, name, *names], stdout=subprocess.PIPE,
                text=True)
            self.addCleanup(processes[name].kill)
            self.assertEqual(processes[name].stdout.readline(), "ready\n")
            with open(os.path.join(state, "run", name + ".pid"), "w") as f:
                f.write("%d\n" % processes[name].pid)
        down = subprocess.run([sys.executable, os.path.join(DEPLOY, "local", "federation"),
                               "down", "--state", state], capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(down.returncode, 0, down.stderr)
        # The same order and words as ever: the last started first.
        self.assertEqual(down.stdout, "federation: stopped province-hub, residents, hub\n")
        for name, process in processes.items():
            with self.subTest(process=name):
                self.assertEqual(process.wait(timeout=60), 0, "killed, not stopped")
                self.assertTrue(os.path.exists(os.path.join(state, name + ".exited")))
                self.assertFalse(os.path.exists(os.path.join(state, "run", name + ".pid")))
            process.stdout.close()
        again = subprocess.run([sys.executable, os.path.join(DEPLOY, "local", "federation"),
                                "down", "--state", state], capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(again.stdout,
                         "federation: stopped nothing (no process was running)\n")

    def test_hub_configurations_pass_the_hubs_own_check(self):
        for where, path in self.hub_configs().items():
            with self.subTest(where=where):
                copy = self.local_copy(where, path)
                if where == "systemd":
                    checked = subprocess.run(
                        [os.path.join(BIN, "ndxp-hub"), "--check-config", "--config", copy],
                        capture_output=True, text=True, timeout=60)
                else:  # the containers' template, through their entrypoint
                    env = dict(os.environ, PATH=BIN + ":" + os.environ["PATH"],
                               NDXP_REPLICA="hub-0", NDXP_HUB_CONFIG_TEMPLATE=copy,
                               NDXP_HUB_CONFIG=copy + ".filled")
                    checked = subprocess.run(
                        [os.path.join(DEPLOY, "docker", "hub-entrypoint"), "--check-config"],
                        capture_output=True, text=True, timeout=60, env=env)
                    with open(copy + ".filled") as f:
                        self.assertIn('replica: "hub-0"', f.read())
                self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
                self.assertIn("is valid", checked.stdout)

    def test_hub_configurations_route_every_agency_as_the_federation_does(self):
        for where, path in self.hub_configs().items():
            with self.subTest(where=where):
                config = self.parse(path, self.hub_pb2.HubConfig())
                self.assertEqual(config.listen, "0.0.0.0:%d" % HUB_PORT)
                self.assertTrue(config.tls.crl_dir, "revocation needs a CRL directory")
                routes = {r.service: r for r in config.routes}
                self.assertEqual(set(routes), {c["service"] for c in CONNECTORS.values()})
                for name, connector in CONNECTORS.items():
                    route = routes[connector["service"]]
                    self.assertEqual(route.provider, connector["agency"], name)
                    self.assertEqual(list(route.personal_data_methods),
                                     connector["personal_data"], name)
                    port = self.connector_port(where, name)
                    self.assertEqual(route.endpoint.rsplit(":", 1)[1], str(port), name)
                if "admin" in self.hub_pb2.HubConfig.DESCRIPTOR.fields_by_name:
                    self.assertEqual(config.admin.listen, "127.0.0.1:%d" % ADMIN_PORT)
                else:
                    with open(path) as f:
                        self.assertIn('admin { listen: "127.0.0.1:%d" }' % ADMIN_PORT, f.read())

    def test_the_local_federation_names_every_agency(self):
        # Both hubs `federation up` configures name every agency of the federation
        # (deploy/local/agency-names.csv) in both languages, and the hub takes it.
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        descriptors = os.path.join(BUILD, "share", "ndxp", "services.binpb")
        text = FEDERATION.hub_config(self.dir, self.pki, descriptors, "hub", 50500, 50501,
                                     "DURABLE", [], [])
        config = text_format.Parse(text, self.hub_pb2.HubConfig())
        named = {a.code: a for a in config.agencies}
        members = [FEDERATION.HUB, FEDERATION.PROVINCE_HUB, *FEDERATION.CONNECTORS.values(),
                   *FEDERATION.CLIENTS.values(), *FEDERATION.PROVINCE_CONNECTORS.values(),
                   *FEDERATION.PROVINCE_CLIENTS.values()]
        for agency in sorted({m["agency"] for m in members}):
            with self.subTest(agency=agency):
                self.assertIn(agency, named)
                self.assertTrue(named[agency].name_vi and named[agency].name_en)
        self.assertEqual(named["000.00.00.G22"].name_en, "Social insurance, health insurance")
        path = os.path.join(self.dir, "federation-hub.textproto")
        with open(path, "w") as f:
            f.write(text)
        checked = subprocess.run([os.path.join(BIN, "ndxp-hub"), "--check-config", "--config",
                                  path], capture_output=True, text=True, timeout=60)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)

    def connector_config_path(self, where, name):
        base = {"systemd": ("systemd", "config"), "docker": ("docker", "config"),
                "k8s": ("k8s", "base", "config")}[where]
        return os.path.join(DEPLOY, *base, name + ".textproto")

    def connector_port(self, where, name):
        config = self.parse(self.connector_config_path(where, name),
                            self.connector_pb2.ConnectorConfig())
        return int(config.listen.rsplit(":", 1)[1])

    def test_connector_configurations_name_their_agency_and_the_hub(self):
        hub = "spiffe://%s/agency/%s/%s" % (FEDERATION.TRUST_DOMAIN, FEDERATION.HUB["agency"],
                                            FEDERATION.HUB["subsystem"])
        for where in ("systemd", "docker", "k8s"):
            for name, connector in CONNECTORS.items():
                with self.subTest(where=where, connector=name):
                    config = self.parse(self.connector_config_path(where, name),
                                        self.connector_pb2.ConnectorConfig())
                    self.assertEqual(config.agency, connector["agency"])
                    self.assertEqual(config.trust_domain, FEDERATION.TRUST_DOMAIN)
                    self.assertEqual(list(config.allowed_callers), [hub])
                    self.assertTrue(config.hub_endpoint.endswith(":%d" % HUB_PORT))
                    self.assertEqual(bool(config.database), connector["database"])
                    for path in (config.tls.ca_cert, config.tls.cert, config.tls.key):
                        self.assertTrue(path.startswith(INSTALLED_TLS), path)
                        self.assertTrue(os.path.exists(path.replace(INSTALLED_TLS,
                                                                    self.pki + "/")), path)

    # ------------------------------------------------------------- systemd

    def unit(self, name):
        """A unit file as {key: [values]} (all sections)."""
        values = {}
        with open(os.path.join(DEPLOY, "systemd", name)) as f:
            for line in f:
                if "=" in line and not line.startswith(("#", "[")):
                    key, value = line.rstrip("\n").split("=", 1)
                    values.setdefault(key, []).append(value)
        return values

    def test_systemd_units_verify_with_the_built_binaries(self):
        units = os.path.join(self.dir, "units")
        os.makedirs(units)
        for path in glob.glob(os.path.join(DEPLOY, "systemd", "*.service")):
            with open(path) as f:
                text = f.read().replace(INSTALLED_BIN, BIN + "/")
            with open(os.path.join(units, os.path.basename(path)), "w") as f:
                f.write(text)
        names = ["ndxp-hub.service"]
        for name in CONNECTORS:
            instance = "ndxp-connector@%s.service" % name
            os.symlink("ndxp-connector@.service", os.path.join(units, instance))
            names.append(instance)
        verified = subprocess.run(["systemd-analyze", "verify", "--man=no", "--generators=no",
                                   *names], cwd=units, capture_output=True, text=True,
                                  timeout=120)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        self.assertEqual(verified.stdout + verified.stderr, "", "warnings are failures")

    def test_systemd_units_reload_restart_and_harden(self):
        for name, binary in (("ndxp-hub.service", "ndxp-hub"),
                             ("ndxp-connector@.service", None)):
            with self.subTest(unit=name):
                unit = self.unit(name)
                self.assertEqual(unit["ExecReload"], ["/bin/kill -HUP $MAINPID"])
                self.assertEqual(unit["Restart"], ["on-failure"])
                self.assertEqual(unit["RestartPreventExitStatus"], ["2"])
                self.assertEqual(unit["User"], ["ndxp"])
                for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                                   ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                                   ("CapabilityBoundingSet", ""),
                                   ("SystemCallFilter", "@system-service")):
                    self.assertIn(value, unit[key], key)
                for start in unit["ExecStart"] + unit.get("ExecStartPre", []):
                    argv = shlex.split(start)
                    self.assertTrue(argv[0].startswith(INSTALLED_BIN))
                    for name_ in ([binary] if binary else ["ndxp-" + n for n in CONNECTORS]):
                        concrete = [a.replace("%i", name_[len("ndxp-"):]) for a in argv]
                        concrete[0] = concrete[0].replace(INSTALLED_BIN, "")
                        self.assert_flags_documented(concrete)
                        config = concrete[concrete.index("--config") + 1]
                        self.assertTrue(os.path.exists(os.path.join(
                            DEPLOY, "systemd", "config", os.path.basename(config))), config)

    # -------------------------------------------------------------- docker

    def compose(self):
        return yaml_documents(os.path.join(DEPLOY, "docker", "compose.yaml"))[0]

    def test_compose_file_passes_docker_compose_config(self):
        if shutil.which("docker-compose") is None:
            self.skipTest("docker-compose not installed (scripts/install-deps installs it)")
        checked = subprocess.run(["docker-compose", "-f", "compose.yaml", "config", "-q"],
                                 cwd=os.path.join(DEPLOY, "docker"), capture_output=True,
                                 text=True, timeout=120)
        self.assertEqual(checked.returncode, 0, checked.stderr)

    def test_compose_runs_two_hub_replicas_the_connectors_and_postgres(self):
        services = self.compose()["services"]
        hubs = {n: s for n, s in services.items() if n.startswith("hub-")}
        self.assertEqual(len(hubs), 2)
        self.assertEqual(len({s["environment"]["NDXP_REPLICA"] for s in hubs.values()}), 2)
        self.assertIn("postgres", services)
        self.assertEqual(set(services) - set(hubs) - {"postgres"}, set(CONNECTORS))
        for name, service in hubs.items():
            self.assertIn("%d" % HUB_PORT, service["ports"][0].split(":")[-1])
            self.assertIn("/readyz", " ".join(service["healthcheck"]["test"]))
            self.assertIn(":%d/" % ADMIN_PORT, " ".join(service["healthcheck"]["test"]))
            self.assert_flags_documented(["ndxp-hub", *service["command"]])
        for name in CONNECTORS:
            service = services[name]
            argv = [os.path.basename(service["entrypoint"][0]), *service["command"]]
            self.assertEqual(argv[0], "ndxp-" + name)
            self.assert_flags_documented(argv)
            self.assertEqual(service["expose"], [str(self.connector_port("docker", name))])
        for service in services.values():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("./config/"):
                    self.assertTrue(os.path.exists(os.path.join(DEPLOY, "docker", source)),
                                    source)
                elif source.startswith("./pki/"):
                    self.assertTrue(os.path.exists(os.path.join(self.pki, source[6:])), source)

    def dockerfile_stages(self):
        stages = []
        with open(os.path.join(DEPLOY, "docker", "Dockerfile")) as f:
            text = re.sub(r"\\\n", " ", f.read())
        for line in text.splitlines():
            if line.startswith("FROM "):
                stages.append({"from": line.split()[1], "lines": []})
            elif stages and line.strip() and not line.startswith("#"):
                stages[-1]["lines"].append(line)
        return stages

    def test_the_build_context_leaves_out_keys_builds_and_state(self):
        # The Dockerfile copies the tree ("COPY . /src"): what git ignores
        # (local builds, state, keys) must not reach the build stage's layers.
        with open(os.path.join(ROOT, ".dockerignore")) as f:
            ignored = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        with open(os.path.join(ROOT, ".gitignore")) as f:
            for line in f:
                pattern = line.strip().strip("/")
                if not pattern or pattern.startswith("#"):
                    continue
                if pattern.startswith("*."):
                    pattern = "**/" + pattern
                elif not line.startswith("/"):
                    pattern = "**/" + pattern
                with self.subTest(gitignore=line.strip()):
                    self.assertIn(pattern, ignored)
        self.assertIn(".git", ignored)

    def test_dockerfile_is_multi_stage_on_debian_12_and_runs_unprivileged(self):
        stages = self.dockerfile_stages()
        self.assertGreaterEqual(len(stages), 2)
        for stage in stages:
            self.assertRegex(stage["from"], r"^debian:12(-slim)?$")
        runtime = stages[-1]["lines"]
        users = [line.split()[1] for line in runtime if line.startswith("USER ")]
        self.assertTrue(users)
        self.assertNotIn(users[-1].split(":")[0], ("0", "root"))
        copied = " ".join(line for line in runtime if line.startswith("COPY --from="))
        needed = {"ndxp-hub"} | {"ndxp-" + n for n in CONNECTORS}
        for binary in needed:
            self.assertIn("/build/bin/%s " % binary, copied + " ")
        self.assertIn(INSTALLED_DESCRIPTORS, copied)

    def test_the_runtime_image_installs_every_library_the_binaries_load(self):
        runtime = " ".join(self.dockerfile_stages()[-1]["lines"])
        installed = set(re.search(r"apt-get install -y --no-install-recommends (.*?)&&",
                                  runtime).group(1).split())
        for binary in ["ndxp-hub", "ndxpctl"] + ["ndxp-" + n for n in CONNECTORS]:
            with self.subTest(binary=binary):
                # What the binary itself needs; what those libraries need
                # comes with their packages' dependencies.
                path = os.path.join(BIN, binary)
                needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(
                    ["objdump", "-p", path], check=True, capture_output=True, text=True).stdout)
                resolved = dict(re.findall(r"^\s*(\S+) => (/\S+)", subprocess.run(
                    ["ldd", path], check=True, capture_output=True, text=True).stdout, re.M))
                # Resolved through symlinks: ldd names /lib/..., which dpkg on a
                # merged-/usr system does not know (every such library went
                # unchecked, and libcpp-httplib0.11 was missing from the image).
                libraries = [os.path.realpath(resolved[name]) for name in needed]
                owners = subprocess.run(["dpkg", "-S", *libraries], capture_output=True,
                                        text=True).stdout
                packages = {line.split(":", 1)[0] for line in owners.splitlines()}
                self.assertTrue(packages)
                self.assertEqual(packages - installed - BASE_IMAGE_PACKAGES - SANITIZER_RUNTIMES,
                                 set())

    # ----------------------------------------------------------- kubernetes

    def k8s(self):
        base = os.path.join(DEPLOY, "k8s", "base")
        kustomization = yaml_documents(os.path.join(base, "kustomization.yaml"))[0]
        documents = []
        for resource in kustomization["resources"]:
            documents += yaml_documents(os.path.join(base, resource))
        return base, kustomization, documents

    def test_kustomize_base_names_files_that_exist(self):
        base, kustomization, documents = self.k8s()
        self.assertEqual(kustomization["kind"], "Kustomization")
        generated = set()
        for generator in kustomization["configMapGenerator"]:
            generated.add(generator["name"])
            for path in generator["files"]:
                self.assertTrue(os.path.exists(os.path.join(base, path)), path)
        # What an operator creates from deploy/make-pki (docs/deploy.md).
        external_config_maps = {"ndxp-crl"}
        secrets = {"ndxp-postgres", "ndxp-hub-tls"} | {"ndxp-%s-tls" % n for n in CONNECTORS}
        with open(os.path.join(ROOT, "docs", "deploy.md")) as f:
            readme = f.read()
        for name in external_config_maps | secrets:
            # The connectors' Secrets are made in one loop over their names.
            looped = re.sub(r"^ndxp-(%s)-tls$" % "|".join(CONNECTORS), r"ndxp-$c-tls", name)
            self.assertTrue(name in readme or looped in readme,
                            "docs/deploy.md says how to create " + name)
        for document in documents:
            self.assertIn("apiVersion", document)
            self.assertIn("name", document["metadata"])
            spec = document.get("spec", {}).get("template", {}).get("spec")
            for volume in (spec or {}).get("volumes", []):
                if "configMap" in volume:
                    self.assertIn(volume["configMap"]["name"], generated | external_config_maps)
                if "secret" in volume:
                    self.assertIn(volume["secret"]["secretName"], secrets)
        if shutil.which("kubectl"):  # not a Debian package; an extra check where present
            built = subprocess.run(["kubectl", "kustomize", base], capture_output=True,
                                   text=True, timeout=120)
            self.assertEqual(built.returncode, 0, built.stderr)

    def workloads(self):
        _, _, documents = self.k8s()
        return {d["metadata"]["name"]: d for d in documents if d["kind"] == "StatefulSet"}

    def services(self):
        _, _, documents = self.k8s()
        return {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}

    def test_hub_replicas_behind_a_headless_service_with_probes_on_the_admin_listener(self):
        hub = self.workloads()["ndxp-hub"]
        self.assertGreaterEqual(hub["spec"]["replicas"], 2)
        service = self.services()["ndxp-hub"]
        self.assertEqual(service["spec"]["clusterIP"], "None",
                         "headless: DNS answers every replica, for round_robin")
        self.assertEqual(service["spec"]["ports"][0]["port"], HUB_PORT)
        container = hub["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["ports"][0]["containerPort"], HUB_PORT)
        probes = {kind: " ".join(container[kind]["exec"]["command"])
                  for kind in ("livenessProbe", "readinessProbe")}
        self.assertIn("http://127.0.0.1:%d/healthz" % ADMIN_PORT, probes["livenessProbe"])
        self.assertIn("http://127.0.0.1:%d/readyz" % ADMIN_PORT, probes["readinessProbe"])
        self.assert_flags_documented(["ndxp-hub", *container["args"]])
        env = {e["name"] for e in container["env"]}
        self.assertIn("NDXP_REPLICA", env)
        self.assert_mounts_cover_the_config(container, os.path.join(
            DEPLOY, "k8s", "base", "config", "hub.textproto"), self.hub_pb2.HubConfig())

    def test_connectors_postgres_and_resources(self):
        workloads, services = self.workloads(), self.services()
        self.assertIn("ndxp-postgres", workloads)
        self.assertEqual(set(workloads) - {"ndxp-hub", "ndxp-postgres"},
                         {"ndxp-" + n for n in CONNECTORS})
        for name, workload in workloads.items():
            with self.subTest(workload=name):
                spec = workload["spec"]["template"]["spec"]
                for container in spec["containers"]:
                    requests = container["resources"]["requests"]
                    self.assertIn("cpu", requests)
                    self.assertIn("memory", requests)
                if name.startswith("ndxp-postgres"):
                    continue
                self.assertTrue(spec["securityContext"]["runAsNonRoot"])
                self.assertFalse(spec["containers"][0]["securityContext"]
                                 ["allowPrivilegeEscalation"])
        for name in CONNECTORS:
            with self.subTest(connector=name):
                container = workloads["ndxp-" + name]["spec"]["template"]["spec"]["containers"][0]
                argv = [os.path.basename(container["command"][0]), *container["args"]]
                self.assertEqual(argv[0], "ndxp-" + name)
                self.assert_flags_documented(argv)
                port = self.connector_port("k8s", name)
                self.assertEqual(container["ports"][0]["containerPort"], port)
                self.assertEqual(services["ndxp-" + name]["spec"]["ports"][0]["port"], port)
                path = self.connector_config_path("k8s", name)
                self.assertEqual(argv[argv.index("--config") + 1],
                                 "/etc/ndxp/" + os.path.basename(path))
                self.assert_mounts_cover_the_config(container, path,
                                                    self.connector_pb2.ConnectorConfig())

    def assert_mounts_cover_the_config(self, container, path, message):
        """Every file the configuration names is under one of the container's mounts."""
        config = self.parse(path, message)
        mounts = [m["mountPath"] for m in container["volumeMounts"]]
        files = [config.tls.ca_cert, config.tls.cert, config.tls.key]
        if config.tls.crl_dir:
            files.append(config.tls.crl_dir)
        if "database" in config.DESCRIPTOR.fields_by_name:
            files.append(config.database)
        for file in files:
            self.assertTrue(any(file == m or file.startswith(m.rstrip("/") + "/")
                                for m in mounts), "%s is not mounted (%s)" % (file, mounts))


if __name__ == "__main__":
    unittest.main()
