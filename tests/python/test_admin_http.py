#!/usr/bin/env python3
"""The hub's admin listener against a real hub with its real echo connector:
/metrics parsed with the Prometheus client's own parser after real calls
(transactions, a refusal, a failed TLS handshake), /healthz, /readyz on the
hub's own state only (ready with a connector stopped or the shared
PostgreSQL cut off, unready when its SQLite file cannot be written),
/connectors, operators-only HTTPS on a
non-loopback address, the Grafana dashboard's queries against a live page,
the dashboard at / rendered by headless Chromium on planted history
(the screenshot is saved in the build directory), and the API catalogue:
/openapi.json (validated by @apidevtools/swagger-parser, the bytes
`ndxpctl openapi` writes) and /catalogue rendered by Chromium.
Run by ctest:  test_admin_http.py BUILD_DIR
"""
import json
import os
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from hub_fixture import (ECHO_SERVICE, FAKE_METHOD, FAKE_SERVICE, IDENTITIES, Hub, ROOT,
                         echo_request, wait_until)
from raw_h2 import RawH2Connection

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
ECHO = "/ndxp.bench.v1.Echo/Echo"
CALLER = "%s/%s" % IDENTITIES["caller"][:2]
ECHO_AGENCY = IDENTITIES["echo"][0]
GRAFANA = os.path.join(ROOT, "deploy", "grafana", "ndxp-hub.json")


def get(address, path, timeout=10):
    """(status, body) of GET http://address/path."""
    try:
        with urllib.request.urlopen("http://%s%s" % (address, path), timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def samples(text):
    """{(name, sorted label items): value} of every sample on a /metrics page."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name, **labels):
    return found.get((name, tuple(sorted(labels.items()))))


def connectors(address):
    """The /connectors page, parsed."""
    status, body = get(address, "/connectors")
    assert status == 200, (status, body)
    return json.loads(body)


def echo_route(page):
    return next(c for c in page["connectors"] if c["service"] == ECHO_SERVICE)


def grown(after, before, name, **labels):
    """How much a sample grew between two pages (a new sample from 0)."""
    return value(after, name, **labels) - (value(before, name, **labels) or 0)


class MetricsTest(unittest.TestCase):
    """One hub; each test counts what its own calls added."""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, admin="127.0.0.1:0", recording="DURABLE")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def metrics(self):
        status, body = get(self.hub.admin_address, "/metrics")
        self.assertEqual(status, 200)
        return body

    def test_health_is_alive(self):
        self.assertEqual(get(self.hub.admin_address, "/healthz"), (200, "ok\n"))

    def test_metrics_count_the_calls_made(self):
        before = samples(self.metrics())
        payloads = [b"a" * 10, b"b" * 200, b"c" * 3000]
        with RawH2Connection(self.hub.address, *self.hub.files("caller")) as caller:
            for payload in payloads:
                answer = caller.call(ECHO, echo_request(payload))
                self.assertEqual(answer.grpc_status, 0, answer.grpc_message)
            # The scripted connector answers NOT_FOUND.
            self.assertEqual(caller.call(FAKE_METHOD, b"", [("x-fake", "details")]).grpc_status, 5)
        # Not granted: refused by the hub, never forwarded.
        with RawH2Connection(self.hub.address, *self.hub.files("stranger")) as stranger:
            self.assertEqual(stranger.call(ECHO, echo_request(b"no")).grpc_status, 7)
        # A TLS handshake without a client certificate.
        context = ssl.create_default_context(cafile=self.hub.files("caller")[0])
        context.check_hostname = False
        context.set_alpn_protocols(["h2"])
        host, port = self.hub.address.rsplit(":", 1)
        with self.assertRaises(OSError):
            with context.wrap_socket(socket.create_connection((host, int(port)), timeout=10),
                                     server_hostname=host) as s:
                s.recv(1)

        # Durable recording: every transaction was committed before its answer.
        found = samples(self.metrics())
        def added(name, **labels):
            return grown(found, before, name, **labels)
        # Every call came in by gRPC, the door each transaction is labelled with.
        echo = dict(provider=ECHO_AGENCY, service=ECHO_SERVICE, method="Echo", door="grpc")
        self.assertEqual(added("ndxp_transactions_total", consumer=CALLER, status="OK", **echo), 3)
        self.assertEqual(added("ndxp_transactions_total", consumer=CALLER,
                               provider=IDENTITIES["fake"][0], service=FAKE_SERVICE,
                               method="SendDocument", status="NOT_FOUND", door="grpc"), 1)
        self.assertEqual(added("ndxp_refusals_total", reason="permission_denied"), 1)
        self.assertEqual(added("ndxp_refusals_total", reason="unimplemented"), 0)
        self.assertEqual(added("ndxp_refusals_total", reason="over_quota"), 0)
        self.assertTrue(wait_until(lambda: grown(samples(self.metrics()), before,
                                                 "ndxp_tls_handshake_failures_total",
                                                 reason="no_certificate") == 1))
        method = dict(service=ECHO_SERVICE, method="Echo", door="grpc")
        self.assertEqual(added("ndxp_transaction_duration_seconds_count", **method), 3)
        self.assertEqual(added("ndxp_hub_added_duration_seconds_count", **method), 3)
        self.assertEqual(added("ndxp_transaction_duration_seconds_bucket", le="+Inf", **method), 3)
        self.assertGreater(added("ndxp_transaction_duration_seconds_sum", **method), 0)
        # Payload bytes: the EchoRequest messages sent, the same echoed back.
        sent = sum(len(echo_request(p)) for p in payloads)
        self.assertEqual(added("ndxp_request_payload_bytes_total", **method), sent)
        self.assertEqual(added("ndxp_response_payload_bytes_total", **method), sent)
        self.assertGreaterEqual(value(found, "ndxp_upstream_connections", provider=ECHO_AGENCY,
                                      endpoint=self.hub.echo_address), 1)
        # The four transactions were committed before their answers; the
        # refusal is on record too, written soon after.
        self.assertTrue(wait_until(lambda: grown(samples(self.metrics()), before,
                                                 "ndxp_recorder_records_total",
                                                 outcome="committed") == 5))
        found = samples(self.metrics())
        self.assertEqual(added("ndxp_recorder_records_total", outcome="failed"), 0)
        self.assertGreaterEqual(added("ndxp_recorder_batch_size_count"), 1)
        self.assertEqual(added("ndxp_recorder_batch_size_sum"), 5)
        self.assertEqual(value(found, "ndxp_recorder_queue_depth"), 0)
        # The test PKI's certificates are valid for a while yet.
        self.assertGreater(value(found, "ndxp_certificate_expiry_seconds"), 86400)
        self.assertGreater(value(found, "ndxp_crl_expiry_seconds"), 3600)
        self.assertEqual(value(found, "ndxp_build_info", version="0.1.0"), 1)

    def test_a_connector_down_leaves_the_hub_ready_and_shows_on_connectors(self):
        # One agency's connector down must not make the hub unready: with a
        # headless Service every replica would leave DNS at once and the
        # exchange would stop for every agency.
        address = self.hub.admin_address
        self.assertTrue(wait_until(lambda: connectors(address)["connectors"][0]["reachable"]))
        up = dict(provider=ECHO_AGENCY, endpoint=self.hub.echo_address)
        self.assertEqual(value(samples(self.metrics()), "ndxp_connector_up", **up), 1)
        self.hub.stop_echo()
        try:
            self.assertTrue(wait_until(
                lambda: not echo_route(connectors(address))["reachable"]))
            self.assertEqual(get(address, "/readyz"), (200, "ready\n"))
            route = echo_route(connectors(address))
            self.assertEqual(route["provider"], ECHO_AGENCY)
            [endpoint] = route["endpoints"]
            self.assertEqual(endpoint["endpoint"], self.hub.echo_address)
            self.assertFalse(endpoint["reachable"])
            self.assertTrue(endpoint["probed"])
            self.assertIn("cannot connect", endpoint["error"])
            self.assertEqual(value(samples(self.metrics()), "ndxp_connector_up", **up), 0)
        finally:
            self.hub.start_echo()
        self.assertTrue(wait_until(lambda: echo_route(connectors(address))["reachable"]))
        self.assertEqual(get(address, "/readyz"), (200, "ready\n"))

    def test_every_metric_the_grafana_dashboard_queries_exists(self):
        with open(GRAFANA) as f:
            dashboard = json.load(f)
        queried = set()
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                queried.update(re.findall(r"\bndxp_[a-z0-9_]+", target["expr"]))
        self.assertGreater(len(queried), 10)
        with RawH2Connection(self.hub.address, *self.hub.files("caller")) as caller:
            caller.call(ECHO, echo_request(b"so that every family has samples"))
        exposed = {name for name, _ in samples(self.metrics())}
        self.assertEqual(sorted(queried - exposed), [], "queried but not on /metrics")


class ReplicasTest(unittest.TestCase):
    """Echo's route lists a broken replica (it accepts and closes at once)
    before the real connector."""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, admin="127.0.0.1:0", dead_echo_replica=True)

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def test_every_replica_of_a_route_is_on_connectors(self):
        address = self.hub.admin_address
        self.assertTrue(wait_until(lambda: echo_route(connectors(address))["reachable"]))
        found = samples(get(address, "/metrics")[1])
        self.assertEqual(value(found, "ndxp_connector_up", provider=ECHO_AGENCY,
                               endpoint=self.hub.dead_address), 0)
        self.assertEqual(value(found, "ndxp_connector_up", provider=ECHO_AGENCY,
                               endpoint=self.hub.echo_address), 1)
        self.hub.stop_echo()
        try:
            self.assertTrue(wait_until(
                lambda: not echo_route(connectors(address))["reachable"]))
            endpoints = {e["endpoint"]: e for e in echo_route(connectors(address))["endpoints"]}
            self.assertIn("the TLS handshake failed", endpoints[self.hub.dead_address]["error"])
            self.assertIn("cannot connect", endpoints[self.hub.echo_address]["error"])
            self.assertEqual(get(address, "/readyz")[0], 200)
        finally:
            self.hub.start_echo()


class OperatorsOnlyTest(unittest.TestCase):
    """Off loopback the listener is HTTPS for operators' certificates only."""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, admin="0.0.0.0:0")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()

    def fetch(self, who, path="/metrics"):
        """(status, body) over HTTPS as `who` (a fixture identity, (cert, key), or None)."""
        context = ssl.create_default_context(cafile=self.hub.files("caller")[0])
        context.check_hostname = False
        if isinstance(who, tuple):
            context.load_cert_chain(*who)
        elif who:
            context.load_cert_chain(*self.hub.files(who)[1:])
        port = self.hub.admin_address.rsplit(":", 1)[1]
        url = "https://127.0.0.1:%s%s" % (port, path)
        try:
            with urllib.request.urlopen(url, timeout=10, context=context) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_an_operator_reads_the_metrics(self):
        status, body = self.fetch("operator")
        self.assertEqual(status, 200)
        self.assertIn("ndxp_build_info", body)

    def test_an_agency_that_is_not_an_operator_is_refused(self):
        status, body = self.fetch("caller")
        self.assertEqual(status, 403)
        self.assertIn("%s is not an operator" % CALLER, body)

    def test_without_a_certificate_only_the_probes_answer(self):
        self.assertEqual(self.fetch(None), (403, "an operator's client certificate is required\n"))
        self.assertEqual(self.fetch(None, "/connectors")[0], 403)
        self.assertEqual(self.fetch(None, "/healthz"), (200, "ok\n"))
        self.assertEqual(self.fetch(None, "/readyz"), (200, "ready\n"))
        # The connectors' state names internal addresses: operators only.
        status, body = self.fetch("operator", "/connectors")
        self.assertEqual(status, 200)
        self.assertIn(self.hub.echo_address, body)
        self.assertEqual(self.fetch("caller", "/connectors")[0], 403)

    def test_the_catalogue_is_for_operators(self):
        for path in ("/openapi.json", "/catalogue"):
            with self.subTest(path=path):
                self.assertEqual(self.fetch(None, path)[0], 403)
                self.assertEqual(self.fetch("caller", path)[0], 403)
                status, body = self.fetch("operator", path)
                self.assertEqual(status, 200)
                self.assertIn(ECHO_SERVICE, body)

    def test_a_certificate_from_another_ca_is_refused_at_the_handshake(self):
        with self.assertRaises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
            self.fetch(self.hub.foreign_identity())

    def test_plain_http_is_not_served(self):
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
            get("127.0.0.1:%s" % self.hub.admin_address.rsplit(":", 1)[1], "/metrics")


# History planted with `ndxpctl stats import`: the first half-years of 2025
# (1,000) and 2026 (1,670, +67.0%), two provider agencies, two consumers; in
# 2026 70 NOT_FOUND (answers), 17 UNAVAILABLE (failed) and 13 CANCELLED (their
# callers went away), and 30 calls the hub refused itself (planted in
# refused_counters: 1,700 calls received).
HISTORY = """day,consumer,provider,service,method,status,count
2025-01-15,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,VerifyCitizen,OK,600
2025-06-30,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,GetCitizen,OK,300
2025-06-30,000.00.01.B05/benefits,000.00.00.G22,ndxp.insurance.v1.InsuranceRegistry,GetInsuredPerson,OK,100
2026-02-01,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,VerifyCitizen,OK,1170
2026-02-01,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,VerifyCitizen,UNAVAILABLE,17
2026-02-01,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,VerifyCitizen,CANCELLED,13
2026-03-01,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,VerifyCitizen,NOT_FOUND,70
2026-03-01,000.00.01.B05/benefits,000.00.00.G22,ndxp.insurance.v1.InsuranceRegistry,GetInsuredPerson,OK,400
"""
# The hub configuration's names of two agencies (G22 has none: its code shows).
AGENCIES = ('agencies { code: "000.00.00.G04" name_vi: "Cơ sở dữ liệu quốc gia về dân cư" '
            'name_en: "Population registry" }\n'
            'agencies { code: "000.00.00.G12" name_en: "Tax office" }')
REFUSED = ("INSERT INTO refused_counters (day, consumer, via, provider, service, method, "
           "status_code, count) VALUES ('2026-03-05', '000.00.00.G99/stranger', '', "
           "'000.00.00.G04', 'ndxp.residents.v1.ResidentRegistry', 'GetCitizen', 7, 30)")


class SqliteReadinessTest(unittest.TestCase):
    """The hub's own SQLite file is local state: when it cannot be written
    the hub is not ready (ndxp-hub --test-faults makes its commits fail)."""

    @classmethod
    def setUpClass(cls):
        cls.faults = tempfile.mkdtemp(prefix="ndxp-faults-")
        cls.hub = Hub(BUILD, admin="127.0.0.1:0", recording="DURABLE",
                      hub_args=["--test-faults", cls.faults])

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.faults, ignore_errors=True)

    def call(self):
        with RawH2Connection(self.hub.address, *self.hub.files("caller")) as caller:
            return caller.call(ECHO, echo_request(b"readiness")).grpc_status

    def test_a_sqlite_file_that_cannot_be_written_makes_the_hub_unready(self):
        address = self.hub.admin_address
        self.assertEqual(self.call(), 0)
        self.assertEqual(get(address, "/readyz"), (200, "ready\n"))
        fail = os.path.join(self.faults, "fail")
        open(fail, "w").close()
        try:
            self.assertEqual(self.call(), 14, "a failed durable commit is UNAVAILABLE")
            status, body = get(address, "/readyz")
            self.assertEqual(status, 503)
            self.assertIn("the last commit to %s failed" % self.hub.database, body)
            page = connectors(address)
            self.assertEqual(page["store"]["kind"], "sqlite")
            self.assertFalse(page["store"]["last_commit_ok"])
            self.assertFalse(page["ready"])
            self.assertEqual(value(samples(get(address, "/metrics")[1]), "ndxp_store_up",
                                  store="sqlite"), 0)
        finally:
            os.remove(fail)
        self.assertEqual(self.call(), 0)
        self.assertEqual(get(address, "/readyz"), (200, "ready\n"))


class CuttableLink:
    """A TCP relay to a real server that the test can cut (every open
    connection closed, new ones refused) and mend: a network partition
    between the hub and a shared PostgreSQL, without stopping the server
    the other tests use."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = False
        self.open = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def sever(self):
        self.cut = True
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.open = []

    def close(self):
        self.sever()
        self.listener.close()


POSTGRES = os.environ.get("NDXP_TEST_POSTGRES", "")


class PostgresHub(Hub):
    def __init__(self, build, postgres, **kwargs):
        self.postgres = postgres
        super().__init__(build, **kwargs)

    def _hub_config(self, limits):
        return super()._hub_config(limits) + 'recording { mode: DURABLE postgres: "%s" }\n' % (
            self.postgres)


@unittest.skipUnless(POSTGRES, "NDXP_TEST_POSTGRES is not set (run under scripts/with-postgres)")
class SharedPostgresReadinessTest(unittest.TestCase):
    """Every replica shares the PostgreSQL: its outage must not make a hub
    unready (every replica would turn unready at once). Durable calls answer
    UNAVAILABLE; /connectors and /metrics show the store's state."""

    def test_postgres_unreachable_leaves_the_hub_ready(self):
        params = dict(p.split("=", 1) for p in POSTGRES.split())
        self.link = CuttableLink(params.get("host", "127.0.0.1"), int(params.get("port", 5432)))
        self.addCleanup(self.link.close)
        subprocess.run(["psql", "-X", "-q", POSTGRES, "-c", "DROP DATABASE IF EXISTS ndxp_readiness",
                        "-c", "CREATE DATABASE ndxp_readiness"], check=True)
        params.update(host="127.0.0.1", port=str(self.link.port), connect_timeout="2",
                      dbname="ndxp_readiness")
        hub = PostgresHub(BUILD, " ".join("%s=%s" % kv for kv in params.items()),
                          admin="127.0.0.1:0")
        self.addCleanup(hub.stop)
        address = hub.admin_address

        def call():
            with RawH2Connection(hub.address, *hub.files("caller")) as caller:
                return caller.call(ECHO, echo_request(b"shared store")).grpc_status

        self.assertEqual(call(), 0)
        self.assertEqual(connectors(address)["store"],
                         {"kind": "postgresql", "last_commit_ok": True, "failed_records": 0})
        self.link.sever()
        self.assertEqual(call(), 14, "a durable call cannot be recorded: UNAVAILABLE")
        self.assertEqual(get(address, "/readyz"), (200, "ready\n"))
        page = connectors(address)
        self.assertTrue(page["ready"])
        self.assertEqual(page["store"]["kind"], "postgresql")
        self.assertFalse(page["store"]["last_commit_ok"])
        self.assertGreaterEqual(page["store"]["failed_records"], 1)
        self.assertEqual(value(samples(get(address, "/metrics")[1]), "ndxp_store_up",
                               store="postgresql"), 0)


class DashboardTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.chromium = shutil.which("chromium")
        if cls.chromium is None:
            raise unittest.SkipTest("chromium is not installed (scripts/install-deps)")
        cls.hub = Hub(BUILD, admin="127.0.0.1:0", recording="DURABLE", extra=AGENCIES)
        csv = os.path.join(cls.hub.dir, "history.csv")
        with open(csv, "w") as f:
            f.write(HISTORY)
        subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), "stats", "import", "--database",
                        cls.hub.database, "--csv", csv], check=True, stdout=subprocess.DEVNULL)
        with sqlite3.connect(cls.hub.database, timeout=30) as db:
            db.execute(REFUSED)
        cls.profile = tempfile.mkdtemp(prefix="ndxp-chromium-")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.profile, ignore_errors=True)

    def chromium_run(self, *args):
        return subprocess.run(
            [self.chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--user-data-dir=" + self.profile, *args],
            check=True, capture_output=True, text=True, timeout=120).stdout

    def test_the_page_shows_the_planted_history(self):
        self.assertTrue(wait_until(lambda: get(self.hub.admin_address, "/readyz")[0] == 200))
        url = "http://%s/?day=2026-03-01" % self.hub.admin_address
        dom = self.chromium_run("--dump-dom", url)
        def metric(name):
            found = re.search(r'data-metric="%s">([^<]*)<' % name, dom)
            self.assertIsNotNone(found, name)
            return found.group(1)
        self.assertEqual(metric("half-year-total"), "1,670")
        self.assertEqual(metric("half-year-change"), "+67.0%")
        # One classification with ndxpctl report: NOT_FOUND is an answer and
        # CANCELLED is apart; of 1,700 calls 17 failed, 30 were refused.
        self.assertEqual(metric("error-rate"), "1.0%")
        self.assertEqual(metric("refusal-rate"), "1.8%")
        self.assertEqual(metric("cancelled"), "13")
        self.assertEqual(metric("connectors-reachable"), "2 of 2")
        # By provider agency, by name where the configuration names it: residents 1,270 vs
        # 900 (+41.1%), insurance 400 vs 100 (+300.0%).
        providers = re.search(r'data-table="providers">(.*?)</table>', dom, re.S).group(1)
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", providers)
        self.assertEqual(cells, ["Population registry", "000.00.00.G04", "1,270", "900", "+41.1%",
                                 "000.00.00.G22", "000.00.00.G22", "400", "100", "+300.0%"])
        self.assertIn(">Population registry</text>", dom)  # the chart's label
        consumers = re.search(r'data-table="consumers">(.*?)</table>', dom, re.S).group(1)
        self.assertIn("000.00.00.G12/tax-lookup</td><td>Tax office</td><td class=\"num\">1,270",
                      consumers)
        # The monthly chart has the planted months.
        self.assertIn("<title>Feb 26: 1,200</title>", dom)
        self.assertIn("<title>Jan 25: 600</title>", dom)
        screenshot = os.path.join(BUILD, "admin-dashboard.png")
        if os.path.exists(screenshot):
            os.remove(screenshot)
        self.chromium_run("--hide-scrollbars", "--window-size=1360,1560",
                          "--screenshot=" + screenshot, url)
        self.assertGreater(os.path.getsize(screenshot), 10000)

    def test_names_follow_a_reload(self):
        renamed = AGENCIES.replace("Population registry", "National population database")
        self.hub.rewrite_config(renamed)
        self.addCleanup(self.hub.sighup_and_wait_for, "reloaded")
        self.addCleanup(self.hub.rewrite_config, AGENCIES)
        self.hub.sighup_and_wait_for("reloaded")
        status, page = get(self.hub.admin_address, "/?day=2026-03-01")
        self.assertEqual(status, 200)
        self.assertIn("<td>National population database</td>", page)
        self.assertNotIn("Population registry", page)

    def test_a_bad_day_is_refused_by_name(self):
        status, body = get(self.hub.admin_address, "/?day=2026-13-45")
        self.assertEqual(status, 400)
        self.assertIn('day "2026-13-45"', body)


# A route with REST mappings and a method with personal data (its connector
# is not running: the catalogue needs none), a grant of it, agencies' names.
RESIDENTS = "ndxp.residents.v1.ResidentRegistry"
CATALOGUE = ('routes { service: "%s" provider: "000.00.00.G04" endpoint: "127.0.0.1:1" '
             'personal_data_methods: "GetCitizen" }\n'
             'grants { consumer: "000.00.00.G12/tax-lookup" service: "%s" method: "GetCitizen" }\n'
             % (RESIDENTS, RESIDENTS)) + AGENCIES
VALIDATOR = os.path.join(ROOT, "tests", "node", "validate_openapi.mjs")


def parameters(operation):
    """{(in, name): parameter} of an operation, $refs resolved by name."""
    found = {}
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            found[("ref", parameter["$ref"].rsplit("/", 1)[1])] = parameter
        else:
            found[(parameter["in"], parameter["name"])] = parameter
    return found


class CatalogueTest(unittest.TestCase):
    """/openapi.json and /catalogue of the running configuration."""

    @classmethod
    def setUpClass(cls):
        cls.hub = Hub(BUILD, admin="127.0.0.1:0", extra=CATALOGUE)
        cls.profile = tempfile.mkdtemp(prefix="ndxp-chromium-")

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.profile, ignore_errors=True)

    def document(self):
        with urllib.request.urlopen("http://%s/openapi.json" % self.hub.admin_address,
                                    timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers.get_content_type(), "application/json")
            return r.read()

    def test_openapi_json_has_the_routed_methods(self):
        document = json.loads(self.document())
        self.assertEqual(document["openapi"], "3.1.0")
        paths = document["paths"]
        # Connect endpoints of every routed service, none of the hub's own.
        echo = paths["/ndxp.bench.v1.Echo/Echo"]["post"]
        self.assertEqual(echo["x-ndxp-provider"], ECHO_AGENCY)
        self.assertEqual(echo["requestBody"]["content"]["application/json"]["schema"],
                         {"$ref": "#/components/schemas/ndxp.bench.v1.EchoRequest"})
        self.assertIn(FAKE_METHOD, paths)
        self.assertIn("/%s/GetCitizen" % RESIDENTS, paths)
        self.assertEqual([p for p in paths if p.startswith("/grpc.") or "Statistics" in p], [])
        # REST paths from the google.api.http rules, the path's field a parameter.
        get_citizen = paths["/v1/citizens/{personal_id}"]["get"]
        self.assertEqual(get_citizen["operationId"], RESIDENTS + ".GetCitizen.rest")
        self.assertTrue(parameters(get_citizen)[("path", "personal_id")]["required"])
        self.assertIn(("query", "readMask"), parameters(get_citizen))
        self.assertIn("post", paths["/v1/documents"])
        self.assertIn("get", paths["/v1/documents/{document_id}"])
        # The purpose on GetCitizen's endpoints only.
        for operation in (get_citizen, paths["/%s/GetCitizen" % RESIDENTS]["post"]):
            purpose = parameters(operation)[("header", "x-ndxp-purpose")]
            self.assertTrue(purpose["required"])
            self.assertTrue(purpose["description"])
        for operation in (paths["/v1/citizens:verify"]["post"], echo,
                          paths["/v1/documents"]["post"]):
            self.assertNotIn(("header", "x-ndxp-purpose"), parameters(operation))
        tags = {tag["name"]: tag for tag in document["tags"]}
        self.assertEqual(tags[RESIDENTS]["x-ndxp-provider"], "000.00.00.G04")
        self.assertIn("Population registry", tags[RESIDENTS]["description"])
        # Schemas by protobuf's JSON mapping.
        schemas = document["components"]["schemas"]
        self.assertEqual(schemas["google.protobuf.Timestamp"]["format"], "date-time")
        self.assertEqual(schemas["ndxp.residents.v1.Sex"]["type"], "string")

    def validate(self, path):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is not installed: run scripts/install-deps")
        self.assertTrue(os.path.exists(VALIDATOR), "%s is missing" % VALIDATOR)
        self.assertTrue(os.path.isdir(os.path.join(ROOT, "node_modules", "@apidevtools",
                                                   "swagger-parser")),
                        "node_modules lacks @apidevtools/swagger-parser: run "
                        "scripts/install-deps")
        return subprocess.run([node, VALIDATOR, path], capture_output=True, text=True,
                              timeout=120)

    def test_the_document_validates(self):
        path = os.path.join(self.hub.dir, "openapi.json")
        with open(path, "wb") as f:
            f.write(self.document())
        done = self.validate(path)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("valid OpenAPI 3.1", done.stdout)
        # The validator does catch a broken one: a path parameter that is
        # not required, a reference to no schema.
        def broken(name, change):
            document = json.loads(self.document())
            change(document["paths"]["/v1/citizens/{personal_id}"]["get"])
            path = os.path.join(self.hub.dir, name + ".json")
            with open(path, "w") as f:
                json.dump(document, f)
            return self.validate(path)

        def optional_path(operation):
            for parameter in operation["parameters"]:
                if parameter.get("in") == "path":
                    parameter["required"] = False

        def dangling(operation):
            operation["responses"]["200"]["content"]["application/json"]["schema"] = {
                "$ref": "#/components/schemas/ndxp.residents.v1.NoSuchMessage"}

        for name, change in (("optional-path", optional_path), ("dangling", dangling)):
            with self.subTest(broken=name):
                self.assertEqual(broken(name, change).returncode, 1)

    def test_ndxpctl_writes_the_served_document(self):
        output = os.path.join(self.hub.dir, "ndxpctl-openapi.json")
        done = subprocess.run([os.path.join(BUILD, "bin", "ndxpctl"), "openapi", "--config",
                               self.hub.config_path, "--output", output],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(output, "rb") as f:
            self.assertEqual(f.read(), self.document())

    def test_the_catalogue_renders_in_chromium(self):
        chromium = shutil.which("chromium")
        if chromium is None:
            raise unittest.SkipTest("chromium is not installed (scripts/install-deps)")
        url = "http://%s/catalogue" % self.hub.admin_address

        def run(*args):
            return subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--user-data-dir=" + self.profile, *args],
                check=True, capture_output=True, text=True, timeout=120).stdout

        dom = run("--dump-dom", url)
        section = re.search(r'<section data-service="%s">(.*?)</section>' % re.escape(RESIDENTS),
                            dom, re.S)
        self.assertIsNotNone(section, "no section of %s" % RESIDENTS)
        section = section.group(1)
        self.assertIn('data-provider="000.00.00.G04">Population registry (000.00.00.G04)<',
                      section)
        row = re.search(r'<tr data-method="GetCitizen">(.*?)</tr>', section, re.S).group(1)
        self.assertIn('data-personal="yes"', row)
        self.assertIn("<code>GET /v1/citizens/{personal_id}</code>", row)
        self.assertIn('<li data-member="000.00.00.G12/tax-lookup">000.00.00.G12/tax-lookup '
                      '<span class="muted">Tax office</span></li>', row)
        verify = re.search(r'<tr data-method="VerifyCitizen">(.*?)</tr>', section, re.S).group(1)
        self.assertIn('data-personal="no"', verify)
        self.assertIn("nobody", verify)
        self.assertIn('<section data-service="%s">' % ECHO_SERVICE, dom)
        screenshot = os.path.join(BUILD, "admin-catalogue.png")
        if os.path.exists(screenshot):
            os.remove(screenshot)
        run("--hide-scrollbars", "--window-size=1360,1400", "--screenshot=" + screenshot, url)
        self.assertGreater(os.path.getsize(screenshot), 10000)

    def test_a_reload_changes_the_catalogue(self):
        granted = CATALOGUE + ('\ngrants { consumer: "000.00.01.B05" service: "%s" '
                               'method: "VerifyCitizen" }' % RESIDENTS)
        self.hub.rewrite_config(granted)
        self.addCleanup(self.hub.sighup_and_wait_for, "reloaded")
        self.addCleanup(self.hub.rewrite_config, CATALOGUE)
        self.hub.sighup_and_wait_for("reloaded")
        status, page = get(self.hub.admin_address, "/catalogue")
        self.assertEqual(status, 200)
        verify = re.search(r'<tr data-method="VerifyCitizen">(.*?)</tr>', page, re.S).group(1)
        self.assertIn('data-member="000.00.01.B05"', verify)


if __name__ == "__main__":
    unittest.main(verbosity=2)
