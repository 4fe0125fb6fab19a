#include "bench/connect_load.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ndxp::bench {
namespace {

using Clock = ConnectLoad::Clock;

// The string value of the first member `name` of a JSON object, if the text
// is one and the member's value is a string without escapes (enough for
// base64 and Connect's code names); nullopt otherwise.
std::optional<absl::string_view> StringMember(absl::string_view json, absl::string_view name) {
  json = absl::StripLeadingAsciiWhitespace(json);
  if (!absl::ConsumePrefix(&json, "{")) return std::nullopt;
  const std::string key = absl::StrCat("\"", name, "\"");
  size_t at = json.find(key);
  if (at == absl::string_view::npos) return std::nullopt;
  json.remove_prefix(at + key.size());
  json = absl::StripLeadingAsciiWhitespace(json);
  if (!absl::ConsumePrefix(&json, ":")) return std::nullopt;
  json = absl::StripLeadingAsciiWhitespace(json);
  if (!absl::ConsumePrefix(&json, "\"")) return std::nullopt;
  size_t end = json.find_first_of("\"\\");
  if (end == absl::string_view::npos || json[end] != '"') return std::nullopt;
  return json.substr(0, end);
}

bool SplitHostPort(const std::string& target, std::string* host, std::string* port) {
  size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == target.size()) return false;
  *host = target.substr(0, colon);
  *port = target.substr(colon + 1);
  if (host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return true;
}

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "no OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

}  // namespace

ConnectCall EchoConnectCall(int payload_bytes, int timeout_ms) {
  ConnectCall call;
  call.expected_payload = absl::Base64Escape(std::string(payload_bytes, 'x'));
  call.body = absl::StrCat("{\"payload\":\"", call.expected_payload, "\"}");
  call.timeout_ms = timeout_ms;
  return call;
}

ConnectCall EchoGrpcCall(const std::string& message, int timeout_ms) {
  ConnectCall call;
  call.grpc = true;
  const uint32_t n = static_cast<uint32_t>(message.size());
  call.body = std::string{'\0', static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8), static_cast<char>(n)};
  call.body += message;
  call.expected_answer = call.body;
  call.timeout_ms = timeout_ms;
  return call;
}

std::string GrpcCodeName(int code) {
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : absl::StrCat("GRPC_", code);
}

std::string AnswerCode(int http_status, absl::string_view body, absl::string_view expected_payload) {
  if (http_status == 200) {
    if (expected_payload.empty()) {
      return absl::StartsWith(absl::StripLeadingAsciiWhitespace(body), "{") ? "OK" : "BAD_ANSWER";
    }
    std::optional<absl::string_view> payload = StringMember(body, "payload");
    return payload.has_value() && *payload == expected_payload ? "OK" : "BAD_ANSWER";
  }
  std::optional<absl::string_view> code = StringMember(body, "code");
  if (!code.has_value() || code->empty()) return absl::StrCat("HTTP_", http_status);
  return absl::AsciiStrToUpper(*code);
}

void ConnectTally::Merge(const ConnectTally& other) {
  histogram.Merge(other.histogram);
  for (const auto& [name, n] : other.errors) errors[name] += n;
  for (const auto& [name, n] : other.answered) answered[name] += n;
}

// One connection and its loop, run on its own thread. Blocking I/O: the
// socket's timeouts are the call timeout.
class ConnectLoad::Connection {
 public:
  Connection(const ConnectLoad* load, int calls) : load_(load), calls_(calls) {}
  ~Connection() { Close(); }

  absl::Status Dial() {
    Close();
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int e = getaddrinfo(load_->host_.c_str(), load_->port_.c_str(), &hints, &found); e != 0) {
      return absl::UnavailableError(absl::StrCat("cannot resolve ", load_->host_, ": ", gai_strerror(e)));
    }
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      fd_ = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ >= 0 && connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
        close(fd_);
        fd_ = -1;
      }
    }
    freeaddrinfo(found);
    if (fd_ < 0) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", load_->host_, ":",
                                                 load_->port_, ": ", strerror(errno)));
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval timeout{load_->call_.timeout_ms / 1000, (load_->call_.timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    ssl_.reset(SSL_new(load_->context_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    in_addr4_or_6 address;
    if (inet_pton(AF_INET, load_->host_.c_str(), &address) != 1 &&
        inet_pton(AF_INET6, load_->host_.c_str(), &address) != 1) {
      SSL_set_tlsext_host_name(ssl_.get(), load_->host_.c_str());
    }
    if (SSL_connect(ssl_.get()) != 1) {
      return absl::UnavailableError(absl::StrCat("TLS handshake with ", load_->host_, ":",
                                                 load_->port_, " failed: ", OpenSslError()));
    }
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(ssl_.get(), &alpn, &alpn_length);
    absl::string_view chosen(reinterpret_cast<const char*>(alpn), alpn_length);
    absl::string_view wanted = load_->door_ == Door::kConnectH1 ? "http/1.1" : "h2";
    if (chosen != wanted) {
      return absl::UnavailableError(absl::StrCat("the server chose ALPN \"", chosen,
                                                 "\", not ", wanted));
    }
    return absl::OkStatus();
  }

  void Run(Clock::time_point measure_from, Clock::time_point end) {
    measure_from_ = measure_from;
    end_ = end;
    while (Clock::now() < end_) {
      if (ssl_ == nullptr) {
        if (absl::Status dialed = Dial(); !dialed.ok()) {
          Record(Clock::now(), "UNAVAILABLE");
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
      }
      if (load_->door_ == Door::kConnectH1) {
        RunH1();
      } else {
        RunH2();
      }
    }
    Close();
  }

  ConnectTally tally;

 private:
  union in_addr4_or_6 {
    in_addr v4;
    in6_addr v6;
  };

  // A call answered (or failed) now, having started at `started`.
  void Record(Clock::time_point started, const std::string& code) {
    Clock::time_point now = Clock::now();
    ++tally.answered[code];
    if (started < measure_from_ || now > end_) return;
    if (code == "OK") {
      tally.histogram.Record(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - started).count());
    } else {
      ++tally.errors[code];
    }
  }

  // The failure of a read or write: the call timed out or the connection broke.
  static std::string FailureCode() {
    return errno == EAGAIN || errno == EWOULDBLOCK ? "DEADLINE_EXCEEDED" : "UNAVAILABLE";
  }

  void Close() {
    ssl_.reset();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    in_.clear();
    in_at_ = 0;
  }

  bool WriteAll(absl::string_view bytes) {
    while (!bytes.empty()) {
      errno = 0;
      int n = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return false;
      bytes.remove_prefix(n);
    }
    return true;
  }

  // Appends what the server sent next to in_; false on timeout, error or EOF.
  bool ReadMore() {
    char buffer[16384];
    errno = 0;
    int n = SSL_read(ssl_.get(), buffer, sizeof buffer);
    if (n <= 0) {
      if (errno == 0) errno = ECONNRESET;
      return false;
    }
    in_.append(buffer, n);
    return true;
  }

  // --- HTTP/1.1: one request at a time, keep-alive.

  // The unread bytes of in_ up to and including `delimiter`, consumed.
  bool ReadThrough(absl::string_view delimiter, absl::string_view* text) {
    size_t at;
    while ((at = in_.find(delimiter.data(), in_at_, delimiter.size())) == std::string::npos) {
      if (in_.size() - in_at_ > 64 * 1024) {
        errno = EPROTO;
        return false;
      }
      if (!ReadMore()) return false;
    }
    *text = absl::string_view(in_).substr(in_at_, at + delimiter.size() - in_at_);
    in_at_ = at + delimiter.size();
    return true;
  }
  bool ReadBytes(size_t n, std::string* out) {
    while (in_.size() - in_at_ < n) {
      if (!ReadMore()) return false;
    }
    out->append(in_, in_at_, n);
    in_at_ += n;
    return true;
  }

  // One response: status, body, and whether the server closes the connection.
  bool ReadH1Response(int* status, std::string* body, bool* closes) {
    if (in_at_ == in_.size()) {
      in_.clear();
      in_at_ = 0;
    }
    absl::string_view head;
    if (!ReadThrough("\r\n\r\n", &head)) return false;
    // "HTTP/1.1 200 OK"
    if (head.size() < 12 || !absl::StartsWith(head, "HTTP/1.") ||
        !absl::SimpleAtoi(head.substr(9, 3), status)) {
      errno = EPROTO;
      return false;
    }
    std::optional<size_t> content_length;
    bool chunked = false;
    *closes = absl::StartsWith(head, "HTTP/1.0");
    for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
      size_t colon = line.find(':');
      if (colon == absl::string_view::npos) continue;
      std::string name = absl::AsciiStrToLower(line.substr(0, colon));
      absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
      if (name == "content-length") {
        size_t n;
        if (!absl::SimpleAtoi(value, &n)) {
          errno = EPROTO;
          return false;
        }
        content_length = n;
      } else if (name == "transfer-encoding") {
        chunked = absl::EqualsIgnoreCase(value, "chunked");
      } else if (name == "connection") {
        *closes = absl::EqualsIgnoreCase(value, "close");
      }
    }
    body->clear();
    if (chunked) {
      while (true) {
        absl::string_view size_line;
        if (!ReadThrough("\r\n", &size_line)) return false;
        size_line = size_line.substr(0, size_line.find_first_of(";\r"));
        size_t size;
        if (!absl::SimpleHexAtoi(size_line, &size)) {
          errno = EPROTO;
          return false;
        }
        if (size == 0) {
          absl::string_view trailer;
          do {
            if (!ReadThrough("\r\n", &trailer)) return false;
          } while (trailer != "\r\n");
          return true;
        }
        std::string crlf;
        if (!ReadBytes(size, body) || !ReadBytes(2, &crlf)) return false;
      }
    }
    if (content_length.has_value()) return ReadBytes(*content_length, body);
    if (*status == 204 || *status == 304 || *status / 100 == 1) return true;
    // No length: the body runs to the connection's end.
    while (ReadMore()) {
    }
    body->append(in_, in_at_, std::string::npos);
    in_at_ = in_.size();
    *closes = true;
    return true;
  }

  void RunH1() {
    if (request_.empty()) {
      const ConnectCall& call = load_->call_;
      request_ = absl::StrCat("POST ", call.path, " HTTP/1.1\r\nhost: ", call.authority,
                              "\r\ncontent-type: application/json\r\n"
                              "connect-protocol-version: 1\r\nconnect-timeout-ms: ",
                              call.timeout_ms, "\r\n");
      for (const auto& [name, value] : call.headers) absl::StrAppend(&request_, name, ": ", value, "\r\n");
      absl::StrAppend(&request_, "content-length: ", call.body.size(), "\r\n\r\n", call.body);
    }
    std::string body;
    while (Clock::now() < end_) {
      Clock::time_point started = Clock::now();
      int status = 0;
      bool closes = false;
      if (!WriteAll(request_) || !ReadH1Response(&status, &body, &closes)) {
        Record(started, FailureCode());
        Close();
        return;
      }
      Record(started, AnswerCode(status, body, load_->call_.expected_payload));
      if (closes) {
        Close();
        return;
      }
    }
  }

  // --- HTTP/2: nghttp2's client session, calls_ streams in flight.

  struct Stream {
    Clock::time_point started;
    int status = 0;
    int grpc_status = -1;  // grpc-h2: from the headers or trailers; -1 none
    size_t sent = 0;
    std::string body;
  };

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                                uint32_t* flags, nghttp2_data_source* source, void* user) {
    auto* self = static_cast<Connection*>(user);
    auto* stream = static_cast<Stream*>(source->ptr);
    const std::string& body = self->load_->call_.body;
    size_t n = std::min(length, body.size() - stream->sent);
    memcpy(buffer, body.data() + stream->sent, n);
    stream->sent += n;
    if (stream->sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(frame->hd.stream_id);
    if (it == self->streams_.end()) return 0;
    absl::string_view n(reinterpret_cast<const char*>(name), name_length);
    absl::string_view v(reinterpret_cast<const char*>(value), value_length);
    if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE && n == ":status") {
      if (!absl::SimpleAtoi(v, &it->second->status)) it->second->status = 0;
    } else if (n == "grpc-status") {
      if (!absl::SimpleAtoi(v, &it->second->grpc_status)) it->second->grpc_status = 2;
    }
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t length, void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(stream_id);
    if (it != self->streams_.end()) it->second->body.append(reinterpret_cast<const char*>(data), length);
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return 0;
    std::unique_ptr<Stream> stream = std::move(it->second);
    self->streams_.erase(it);
    const ConnectCall& call = self->load_->call_;
    std::string code;
    if (stream->status == 0 || (error_code != NGHTTP2_NO_ERROR && stream->status == 200)) {
      code = "UNAVAILABLE";  // reset before a whole answer came
    } else if (!call.grpc) {
      code = AnswerCode(stream->status, stream->body, call.expected_payload);
    } else if (stream->grpc_status < 0) {
      code = absl::StrCat("HTTP_", stream->status);
    } else if (stream->grpc_status != 0) {
      code = GrpcCodeName(stream->grpc_status);
    } else {
      code = call.expected_answer.empty() || stream->body == call.expected_answer ? "OK" : "BAD_ANSWER";
    }
    self->Record(stream->started, code);
    if (Clock::now() < self->end_) self->Submit();
    return 0;
  }

  // A new call on this session; false once it may take none (the server's
  // GOAWAY: the connection is opened again when its calls are done).
  bool Submit() {
    if (!nghttp2_session_check_request_allowed(session_)) return false;
    auto stream = std::make_unique<Stream>();
    nghttp2_data_provider provider{};
    provider.source.ptr = stream.get();
    provider.read_callback = &Connection::ReadBody;
    stream->started = Clock::now();
    int32_t id = nghttp2_submit_request(session_, nullptr, headers_.data(), headers_.size(),
                                         &provider, stream.get());
    if (id < 0) return false;
    streams_[id] = std::move(stream);
    return true;
  }

  void RunH2() {
    const ConnectCall& call = load_->call_;
    if (headers_.empty()) {
      timeout_text_ = std::to_string(call.timeout_ms);
      length_text_ = std::to_string(call.body.size());
      auto add = [this](const std::string& name, const std::string& value) {
        headers_.push_back(nghttp2_nv{
            reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
            NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE});
      };
      static const std::string kMethod = ":method", kPost = "POST", kScheme = ":scheme",
                               kHttps = "https", kAuthority = ":authority", kPath = ":path",
                               kType = "content-type", kJson = "application/json",
                               kVersion = "connect-protocol-version", kOne = "1",
                               kTimeout = "connect-timeout-ms", kLength = "content-length",
                               kGrpc = "application/grpc", kTe = "te", kTrailers = "trailers",
                               kGrpcTimeout = "grpc-timeout";
      add(kMethod, kPost);
      add(kScheme, kHttps);
      add(kAuthority, call.authority);
      add(kPath, call.path);
      if (call.grpc) {
        grpc_timeout_text_ = absl::StrCat(call.timeout_ms, "m");
        add(kType, kGrpc);
        add(kTe, kTrailers);
        add(kGrpcTimeout, grpc_timeout_text_);
      } else {
        add(kType, kJson);
        add(kVersion, kOne);
        add(kTimeout, timeout_text_);
        add(kLength, length_text_);
      }
      for (const auto& [name, value] : call.headers) add(name, value);
    }
    nghttp2_session_callbacks* callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &Connection::OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Connection::OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Connection::OnStreamClose);
    nghttp2_session_client_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                         {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 16 << 20);

    for (int i = 0; i < calls_; ++i) Submit();
    bool broken = false;
    std::string out;
    while (!broken) {
      const uint8_t* data;
      ssize_t n;
      out.clear();
      while ((n = nghttp2_session_mem_send(session_, &data)) > 0) {
        out.append(reinterpret_cast<const char*>(data), n);
      }
      if (n < 0 || (!out.empty() && !WriteAll(out))) {
        broken = true;
        break;
      }
      if (streams_.empty()) break;  // past the end, or after GOAWAY: every call answered
      if (!nghttp2_session_want_read(session_) || !ReadMore()) {
        if (errno == 0) errno = ECONNRESET;
        broken = true;
        break;
      }
      ssize_t read = nghttp2_session_mem_recv(
          session_, reinterpret_cast<const uint8_t*>(in_.data()), in_.size());
      in_.clear();
      if (read < 0) {
        errno = EPROTO;
        broken = true;
      }
    }
    // Calls still open fail with the connection; the session is deleted
    // without calling back for them.
    std::string code = broken ? FailureCode() : "UNAVAILABLE";
    auto open = std::move(streams_);
    streams_.clear();
    for (const auto& [id, stream] : open) Record(stream->started, code);
    nghttp2_session_del(session_);
    session_ = nullptr;
    Close();
  }

  const ConnectLoad* const load_;
  const int calls_;
  Clock::time_point measure_from_, end_;
  int fd_ = -1;
  SslPtr ssl_;
  std::string in_;  // bytes read, from in_at_ on not yet parsed
  size_t in_at_ = 0;
  std::string request_;  // HTTP/1.1: every call's bytes
  // HTTP/2: every call's headers (pointing into load_->call_ and these).
  std::vector<nghttp2_nv> headers_;
  std::string timeout_text_, length_text_, grpc_timeout_text_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
};

absl::StatusOr<std::unique_ptr<ConnectLoad>> ConnectLoad::Open(
    Door door, const config::v1::TlsFiles& files, const std::string& target,
    const ConnectCall& call, const std::vector<int>& calls_per_connection) {
  std::unique_ptr<ConnectLoad> load(new ConnectLoad());
  load->door_ = door;
  load->call_ = call;
  if (!SplitHostPort(target, &load->host_, &load->port_)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", target, "\" is not HOST:PORT"));
  }
  load->context_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* context = load->context_.get();
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  if (SSL_CTX_load_verify_locations(context, files.ca_cert().c_str(), nullptr) != 1 ||
      SSL_CTX_use_certificate_chain_file(context, files.cert().c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context, files.key().c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("cannot load the TLS files: ", OpenSslError()));
  }
  // The server's chain is verified against the CA; its name is not checked
  // (a load generator on 127.0.0.1, as the gRPC door's runs).
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  static const unsigned char kH2[] = "\x02h2";
  static const unsigned char kH1[] = "\x08http/1.1";
  if (door == Door::kConnectH1) {
    SSL_CTX_set_alpn_protos(context, kH1, sizeof kH1 - 1);
  } else {
    SSL_CTX_set_alpn_protos(context, kH2, sizeof kH2 - 1);
  }
  for (int calls : calls_per_connection) {
    auto connection = std::make_unique<Connection>(load.get(), calls);
    if (absl::Status dialed = connection->Dial(); !dialed.ok()) return dialed;
    load->connections_.push_back(std::move(connection));
  }
  return load;
}

ConnectLoad::~ConnectLoad() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void ConnectLoad::Start(Clock::time_point measure_from, Clock::time_point end) {
  for (auto& connection : connections_) {
    threads_.emplace_back([c = connection.get(), measure_from, end] { c->Run(measure_from, end); });
  }
}

ConnectTally ConnectLoad::Wait() {
  ConnectTally all;
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  for (const auto& connection : connections_) all.Merge(connection->tally);
  return all;
}

}  // namespace ndxp::bench
