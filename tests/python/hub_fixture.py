"""One real hub in front of the real echo connector and a scripted, misbehaving
connector, for tests of the hub's transport: its limits, its handling of
connectors that break the protocol, revocation and draining.

The scripted connector is a TLS HTTP/2 server (python3-h2) with its own
federation certificate; it answers the hub's health checks SERVING (they are
not counted as requests), and each request's `x-fake` header says how it
behaves:
  trailers-early  answers headers + trailers at once, never resets the stream
  header-bomb     answers with a header block far over the hub's limit
  hang            never answers
  slow            answers OK (one empty message) after `x-fake-delay` seconds
  details         answers an error whose trailers carry grpc-status-details-bin
  goaway-hang     says GOAWAY at once (this call is the last it takes) and
                  never answers: the call stays in flight on a connection no
                  endpoint names any more
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request

import h2.config
import h2.connection
import h2.events

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKI = os.path.join(ROOT, "certs", "ndxp-pki")
TD = "ndxp.gov.vn"
HUB_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection")
ECHO_SERVICE = "ndxp.bench.v1.Echo"
FAKE_SERVICE = "ndxp.documents.v1.DocumentExchange"
FAKE_METHOD = "/ndxp.documents.v1.DocumentExchange/SendDocument"
HEALTH_CHECK = b"/grpc.health.v1.Health/Check"
IDENTITIES = {  # name: (agency, subsystem, server)
    "hub": ("000.00.00.A01", "hub", True),
    "echo": ("000.00.00.B01", "echo", True),
    "fake": ("000.00.00.B09", "fake", True),
    "caller": ("000.00.00.G12", "caller", False),
    "victim": ("000.00.00.G14", "victim", False),
    "stranger": ("000.00.00.G99", "stranger", False),
    "operator": ("000.00.00.A01", "ops", False),
}


def echo_request(payload):
    """EchoRequest{payload} in the protobuf wire format."""
    length, varint = len(payload), b""
    while True:
        byte, length = length & 0x7F, length >> 7
        varint += bytes([byte | (0x80 if length else 0)])
        if not length:
            return b"\x0a" + varint + payload


def metric(admin, sample):
    """The value of `sample` ('name' or 'name{label="value"}') on /metrics; 0 if absent."""
    with urllib.request.urlopen("http://%s/metrics" % admin, timeout=10) as r:
        page = r.read().decode()
    for line in page.splitlines():
        if line.startswith(sample + " "):
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


def wait_until(condition, timeout=20):
    """Polls `condition` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _wait_for_file(path, process, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                return f.read().strip()
        if process.poll() is not None:
            raise RuntimeError("%s exited with status %s" % (what, process.returncode))
        time.sleep(0.02)
    raise RuntimeError("%s not ready after %d s" % (what, timeout))


class FakeConnector:
    """The scripted connector; `requests` counts what reached it, `resets`
    the streams the hub reset."""

    def __init__(self, pki_dir):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(pki_dir, "fake.pem"),
                                os.path.join(pki_dir, "fake.key"))
        context.load_verify_locations(os.path.join(pki_dir, "ca.pem"))
        context.verify_mode = ssl.CERT_REQUIRED
        context.set_alpn_protocols(["h2"])
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.requests = 0
        self.last_timeout = None  # the grpc-timeout of the last call, as the hub sent it
        self.last_authority = None  # the :authority of the last call, as the hub sent it
        self.resets = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.listener.close()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            sock = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            return
        config = h2.config.H2Configuration(client_side=False, header_encoding=None,
                                           validate_inbound_headers=False)
        conn = h2.connection.H2Connection(config=config)
        conn.initiate_connection()
        try:
            sock.sendall(conn.data_to_send())
        except OSError:  # a peer that only checks the handshake (the hub's probe)
            return
        sock.settimeout(0.05)
        due = []  # (time, stream_id, headers, trailers)
        while not self.stopping.is_set():
            try:
                data = sock.recv(65536)
                if not data:
                    return
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        if dict(event.headers).get(b":path") == HEALTH_CHECK:
                            self._serving(conn, event.stream_id)  # the hub's, not a call
                            continue
                        self.requests += 1
                        self.last_timeout = dict(event.headers).get(b"grpc-timeout")
                        self.last_authority = dict(event.headers).get(b":authority")
                        if self._answer(conn, sock, event, due) == "goaway-hang":
                            # By hand, so that h2 keeps the stream open.
                            sock.sendall(conn.data_to_send() + b"\x00\x00\x08\x07\x00\x00\x00\x00\x00"
                                         + event.stream_id.to_bytes(4, "big") + b"\x00" * 4)
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length,
                                                       event.stream_id)
                    elif isinstance(event, h2.events.StreamReset):
                        self.resets += 1
            except socket.timeout:
                pass
            except (OSError, ssl.SSLError, h2.exceptions.ProtocolError):
                return
            now = time.monotonic()
            for item in [d for d in due if d[0] <= now]:
                due.remove(item)
                _, stream_id, headers, trailers = item
                try:
                    conn.send_headers(stream_id, headers)
                    conn.send_data(stream_id, b"\x00\x00\x00\x00\x00")  # one empty message
                    conn.send_headers(stream_id, trailers, end_stream=True)
                except h2.exceptions.ProtocolError:
                    pass
            try:
                sock.sendall(conn.data_to_send())
            except OSError:
                return

    @staticmethod
    def _serving(conn, stream_id):
        """grpc.health.v1 HealthCheckResponse{status: SERVING}."""
        conn.send_headers(stream_id, [(b":status", b"200"), (b"content-type", b"application/grpc")])
        conn.send_data(stream_id, b"\x00\x00\x00\x00\x02\x08\x01")
        conn.send_headers(stream_id, [(b"grpc-status", b"0")], end_stream=True)

    def _answer(self, conn, sock, event, due):
        """Answers the request as its x-fake header says; returns the mode."""
        headers = dict(event.headers)
        mode = headers.get(b"x-fake", b"").decode()
        ok = [(b":status", b"200"), (b"content-type", b"application/grpc")]
        stream_id = event.stream_id
        if mode == "trailers-early":
            conn.send_headers(stream_id, ok)
            conn.send_headers(stream_id, [(b"grpc-status", b"0")], end_stream=True)
        elif mode == "header-bomb":
            conn.send_headers(stream_id, ok + [(b"x-big-%d" % i, b"v" * 4000) for i in range(40)])
        elif mode == "slow":
            delay = float(headers.get(b"x-fake-delay", b"1"))
            due.append((time.monotonic() + delay, stream_id, ok, [(b"grpc-status", b"0")]))
        elif mode == "details":
            conn.send_headers(stream_id, ok)
            conn.send_headers(stream_id, [(b"grpc-status", b"5"), (b"grpc-message", b"not here"),
                                          (b"grpc-status-details-bin", b"CAUSCG5vdCBoZXJl")],
                              end_stream=True)
        elif mode in ("stream", "stream-fail"):
            # A server stream: InboxItem{cursor: 1, 2, 3} and OK with a
            # trailer, or InboxItem{cursor: 1} and NOT_FOUND.
            # x-ndxp-* from a connector never reaches the caller.
            conn.send_headers(stream_id, ok + [(b"x-stream", b"yes"),
                                               (b"x-ndxp-consumer", b"spoofed")])
            for cursor in (1, 2, 3) if mode == "stream" else (1,):
                conn.send_data(stream_id, b"\x00\x00\x00\x00\x02\x08" + bytes([cursor]))
            conn.send_headers(stream_id, [(b"grpc-status", b"0"), (b"x-count", b"3"),
                                          (b"x-ndxp-receipt", b"forged")]
                              if mode == "stream" else
                              [(b"grpc-status", b"5"), (b"grpc-message", b"not here")],
                              end_stream=True)
        # "hang": nothing at all
        return mode


class Hub:
    """PKI, echo connector, scripted connector and the hub, in a temp dir."""

    def __init__(self, build, limits="", extra="", dead_echo_replica=False, recording=None,
                 hub_args=(), admin=None, fake_replica=False):
        """`extra`: more configuration lines (quotas); `dead_echo_replica`: Echo's
        route lists a broken endpoint before the real one: it accepts connections
        and closes them at once, so the hub learns only after connecting, with
        calls already waiting on it; `recording`: None (off), "DURABLE" or
        "FAST", into `database`; `hub_args`: more flags for ndxp-hub
        (--test-faults DIR); `admin`: the admin listener's address ("127.0.0.1:0"),
        bound address in `admin_address`; `fake_replica`: the scripted
        connector's route has a second replica, `fake_replica`, scripted as
        the first."""
        self.build = build
        self.recording = recording
        self.dir = tempfile.mkdtemp(prefix="ndxp-hub-fixture-")
        self.pki = os.path.join(self.dir, "pki")
        self.processes = []
        self._pki("init-ca", "--dir", self.pki, "--trust-domain", TD)
        for name in IDENTITIES:
            self.issue(name)
        self.publish_crl()
        self.fake = FakeConnector(self.pki)
        self.fake_replica = FakeConnector(self.pki) if fake_replica else None
        with socket.socket() as s:  # a fixed port, so the echo connector can come back on it
            s.bind(("127.0.0.1", 0))
            self.echo_port = s.getsockname()[1]
        self.echo_process = None
        self.echo_address = self.start_echo()
        self.dead_address = None
        if dead_echo_replica:
            self.dead = socket.create_server(("127.0.0.1", 0))
            self.dead_address = "127.0.0.1:%d" % self.dead.getsockname()[1]
            threading.Thread(target=self._slam, daemon=True).start()
        self.config_path = os.path.join(self.dir, "hub.textproto")
        self.limits = limits
        self.admin = admin
        self.rewrite_config(extra)
        self.hub_args = list(hub_args)
        self.hub_process = None
        self.start_hub()

    @property
    def sanitizer(self):
        """The sanitizer the build was configured with ("" for none)."""
        try:
            with open(os.path.join(self.build, "CMakeCache.txt")) as f:
                for line in f:
                    if line.startswith("NDXP_SANITIZER:STRING="):
                        return line.split("=", 1)[1].strip()
        except FileNotFoundError:
            pass
        return ""

    @property
    def database(self):
        return os.path.join(self.dir, "hub.db")

    def start_hub(self):
        argv = [os.path.join(self.build, "bin", "ndxp-hub"), "--config", self.config_path,
                *self.hub_args]
        admin_ready = os.path.join(self.dir, "admin.ready")
        if self.admin:
            if os.path.exists(admin_ready):
                os.remove(admin_ready)
            argv += ["--admin-ready-file", admin_ready]
        self.address = self._start("hub", argv)
        self.hub_process = self.processes[-1]
        self.admin_address = (_wait_for_file(admin_ready, self.hub_process, "admin")
                              if self.admin else None)
        return self.address

    def stop_hub(self):
        """SIGTERM, as an operator stops it (the hub writes its checkpoint)."""
        self.hub_process.terminate()
        self.hub_process.wait(timeout=30)

    def _slam(self):
        while True:
            try:
                connection, _ = self.dead.accept()
            except OSError:
                return  # closed by stop()
            connection.close()

    def start_echo(self):
        address = self._start("echo", [os.path.join(self.build, "bin", "ndxp-echo"),
                                       "--config", self._echo_config()])
        self.echo_process = self.processes[-1]
        return address

    def stop_echo(self):
        self.echo_process.terminate()
        self.echo_process.wait(timeout=30)

    def _pki(self, *args):
        subprocess.run([PKI, *args], check=True, stdout=subprocess.DEVNULL)

    def issue(self, name):
        agency, subsystem, server = IDENTITIES[name]
        self._pki("issue", "--dir", self.pki, "--agency", agency, "--subsystem", subsystem,
                  "--out", os.path.join(self.pki, name), *(["--server"] if server else []))

    def publish_crl(self, expired=False):
        """Rewrites the CRL in place (crl/<hash>.r0); `expired`: one whose
        next update has passed."""
        self._pki("crl", "--dir", self.pki, "--out", os.path.join(self.pki, "ca.crl"),
                  *(["--expired"] if expired else []))

    def revoke(self, name):
        self._pki("revoke", "--dir", self.pki, "--cert", os.path.join(self.pki, name + ".pem"))
        self.publish_crl()

    def foreign_identity(self):
        """(cert, key) of a member certificate from another CA, made in a
        directory removed with the fixture."""
        other = os.path.join(self.dir, "other-ca")
        if not os.path.exists(other):
            self._pki("init-ca", "--dir", other, "--trust-domain", TD)
            self._pki("issue", "--dir", other, "--agency", "000.00.00.A01", "--subsystem", "ops",
                      "--out", os.path.join(other, "ops"))
        return os.path.join(other, "ops.pem"), os.path.join(other, "ops.key")

    def files(self, name):
        return (os.path.join(self.pki, "ca.pem"), os.path.join(self.pki, name + ".pem"),
                os.path.join(self.pki, name + ".key"))

    def _tls(self, name, crl=False):
        ca, cert, key = self.files(name)
        return 'tls { ca_cert: "%s" cert: "%s" key: "%s"%s }' % (
            ca, cert, key, ' crl_dir: "%s"' % os.path.join(self.pki, "crl") if crl else "")

    def _echo_config(self):
        path = os.path.join(self.dir, "echo.textproto")
        with open(path, "w") as f:
            f.write('listen: "127.0.0.1:%d"\ntrust_domain: "%s"\nagency: "%s"\n%s\n'
                    'allowed_callers: "spiffe://%s/agency/%s/%s"\n'
                    % (self.echo_port, TD, IDENTITIES["echo"][0], self._tls("echo"), TD,
                       *IDENTITIES["hub"][:2]))
        return path

    def rewrite_config(self, extra):
        """The hub's configuration with `extra` text-format lines (e.g. quotas);
        a running hub takes it on SIGHUP."""
        with open(self.config_path, "w") as f:
            f.write(self._hub_config(self.limits) + extra + "\n")

    def _hub_config(self, limits):
        descriptors = os.path.join(self.build, "share", "ndxp", "services.binpb")
        caller, victim = IDENTITIES["caller"][0], IDENTITIES["victim"][0]
        return "\n".join([
            'listen: "127.0.0.1:0"', 'trust_domain: "%s"' % TD, self._tls("hub", crl=True),
            'descriptor_set: "%s"' % descriptors,
            "limits { max_message_bytes: 1048576 %s }" % limits,
            ('recording { mode: %s database: "%s" }' % (self.recording, self.database)
             if self.recording else ""),
            'routes { service: "%s" provider: "%s" endpoint: "%s"%s }'
            % (ECHO_SERVICE, IDENTITIES["echo"][0], self.dead_address or self.echo_address,
               ' replicas: "%s"' % self.echo_address if self.dead_address else ""),
            'routes { service: "%s" provider: "%s" endpoint: "%s"%s }'
            % (FAKE_SERVICE, IDENTITIES["fake"][0], self.fake.address,
               ' replicas: "%s"' % self.fake_replica.address if self.fake_replica else ""),
            'grants { consumer: "%s" service: "%s" }' % (caller, ECHO_SERVICE),
            'grants { consumer: "%s" service: "%s" }' % (caller, FAKE_SERVICE),
            'grants { consumer: "%s" service: "%s" }' % (victim, ECHO_SERVICE),
            # The hub's own services, to the members granted something (the
            # stranger gets PERMISSION_DENIED, as for a routed service).
            *['grants { consumer: "%s" service: "%s" }' % (member, service)
              for member in (caller, victim) for service in HUB_SERVICES],
            'operators: "%s/%s"' % IDENTITIES["operator"][:2],
            'admin { listen: "%s" }' % self.admin if self.admin else "",
            ""])

    def _start(self, name, argv):
        ready = os.path.join(self.dir, name + ".ready")
        if os.path.exists(ready):
            os.remove(ready)
        log = open(os.path.join(self.dir, name + ".log"), "ab")
        process = subprocess.Popen(argv + ["--ready-file", ready], stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL)
        self.processes.append(process)
        return _wait_for_file(ready, process, name)

    def log(self):
        with open(os.path.join(self.dir, "hub.log"), errors="replace") as f:
            return f.read()

    def sighup_and_wait_for(self, text, timeout=30):
        seen = self.log().count(text)
        self.hub_process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while self.log().count(text) == seen:
            if time.monotonic() > deadline:
                raise RuntimeError("the hub never logged %r" % text)
            time.sleep(0.02)

    def alive(self):
        return self.hub_process.poll() is None

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.fake.stop()
        if self.fake_replica:
            self.fake_replica.stop()
        if self.dead_address:
            self.dead.close()
        if not os.environ.get("NDXP_KEEP_FIXTURE"):  # set it to read a failed run's logs
            shutil.rmtree(self.dir, ignore_errors=True)
