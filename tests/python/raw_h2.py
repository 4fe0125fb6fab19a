"""A raw HTTP/2 client over mutual TLS, for requests a gRPC client refuses to
send (upper-case or spaced header names, control bytes, CR LF, non-ASCII
values). Built on Debian's python3-h2 with its outbound header validation and
normalisation turned off, so the bytes given are the bytes sent."""

import socket
import ssl
import struct

import h2.config
import h2.connection
import h2.events
import h2.settings


def grpc_frame(message):
    """One gRPC length-prefixed message, uncompressed."""
    return struct.pack(">BI", 0, len(message)) + message


class Response:
    def __init__(self):
        self.headers = []     # [(name, value)] of the response headers, bytes
        self.trailers = []    # [(name, value)] of the trailers, bytes
        self.data = b""
        self.reset = None     # RST_STREAM error code, if the stream was reset
        self.goaway = None    # GOAWAY error code, if the connection was closed

    def header(self, name):
        for key, value in self.headers + self.trailers:
            if key == name:
                return value.decode("latin-1")
        return None

    @property
    def grpc_status(self):
        status = self.header(b"grpc-status")
        return None if status is None else int(status)

    @property
    def grpc_message(self):
        return self.header(b"grpc-message") or ""


class RawH2Connection:
    """One mutual-TLS HTTP/2 connection to HOST:PORT, ALPN h2."""

    def __init__(self, address, ca, cert, key, timeout=15, settings=None):
        host, port = address.rsplit(":", 1)
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
        context.load_cert_chain(cert, key)
        context.set_alpn_protocols(["h2"])
        context.check_hostname = False
        raw = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname=host)
        config = h2.config.H2Configuration(
            client_side=True, header_encoding=None, validate_outbound_headers=False,
            normalize_outbound_headers=False, validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config=config)
        if settings:  # e.g. {SettingCodes.INITIAL_WINDOW_SIZE: 0}: a caller that reads nothing
            self.conn.local_settings = h2.settings.Settings(client=True, initial_values=settings)
        self.conn.initiate_connection()
        self._flush()

    def request_headers(self, path, extra_headers=()):
        """Opens a stream with a gRPC request's headers (no END_STREAM); its id."""
        stream_id = self.conn.get_next_available_stream_id()
        headers = [(b":method", b"POST"), (b":scheme", b"https"), (b":path", path.encode()),
                   (b":authority", b"hub"), (b"content-type", b"application/grpc"),
                   (b"te", b"trailers")]
        headers += [(_bytes(k), _bytes(v)) for k, v in extra_headers]
        self.conn.send_headers(stream_id, headers)
        self._flush()
        return stream_id

    def send_body(self, stream_id, data, end_stream=False, timeout=20):
        """Sends `data` as the flow-control windows allow (waiting for the
        peer's WINDOW_UPDATEs); False if they stayed shut for `timeout`."""
        import time
        deadline = time.monotonic() + timeout
        while data:
            room = min(self.conn.local_flow_control_window(stream_id),
                       self.conn.max_outbound_frame_size, len(data))
            if room <= 0:
                if time.monotonic() > deadline:
                    return False
                self.events(timeout=0.05)
                continue
            self.conn.send_data(stream_id, data[:room], end_stream=end_stream and room == len(data))
            data = data[room:]
            self._flush()
        return True

    def events(self, timeout=0.2):
        """The events that arrive within `timeout` (the first read blocks that
        long at most); [] if none; raises ConnectionError once closed."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return []
        if not chunk:
            raise ConnectionError("the hub closed the connection")
        events = self.conn.receive_data(chunk)
        self._flush()
        return events

    def _flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def call(self, path, message, extra_headers=(), authority=b"hub"):
        """Sends one gRPC request (headers, one message, end of stream) and
        reads until that stream ends; returns its Response."""
        stream_id = self.conn.get_next_available_stream_id()
        headers = [(b":method", b"POST"), (b":scheme", b"https"), (b":path", path.encode()),
                   (b":authority", authority), (b"content-type", b"application/grpc"),
                   (b"te", b"trailers")]
        headers += [(_bytes(k), _bytes(v)) for k, v in extra_headers]
        self.conn.send_headers(stream_id, headers)
        self.conn.send_data(stream_id, grpc_frame(message), end_stream=True)
        self._flush()
        return self.read_until_end(stream_id)

    def read_until_end(self, stream_id, timeout=15):
        response = Response()
        self.sock.settimeout(timeout)
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                response.goaway = response.goaway if response.goaway is not None else -1
                return response
            for event in self.conn.receive_data(chunk):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
                    response.headers = list(event.headers)
                elif isinstance(event, h2.events.TrailersReceived) and event.stream_id == stream_id:
                    response.trailers = list(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    if event.stream_id == stream_id:
                        response.data += event.data
                    self.conn.acknowledge_received_data(event.flow_controlled_length,
                                                        event.stream_id)
                elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream_id:
                    response.reset = event.error_code
                    self._flush()
                    return response
                elif isinstance(event, h2.events.ConnectionTerminated):
                    response.goaway = event.error_code
                    # A graceful GOAWAY still lets the streams it covers finish.
                    if event.error_code != 0 or (event.last_stream_id or 0) < stream_id:
                        return response
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                    self._flush()
                    return response
            self._flush()

    def close(self):
        try:
            self.conn.close_connection()
            self._flush()
        except Exception:  # noqa: BLE001  (the peer may have gone already)
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


def _bytes(value):
    return value if isinstance(value, bytes) else value.encode("utf-8")
