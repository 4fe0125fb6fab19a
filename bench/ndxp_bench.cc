// ndxp-bench: a closed-loop gRPC load generator (callback API, raw bytes), so
// the hub, not the load generator, is what a run measures; with --door
// connect-h2 or connect-h1, unary Connect JSON calls through the hub's JSON
// door instead (bench/connect_load.h).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "bench/connect_load.h"
#include "bench/latency_histogram.h"
#include "common/logging/logging.h"
#include "common/tls/credentials.h"
#include "common/version/version.h"
#include "ndxp/bench/v1/echo.pb.h"

namespace ndxp::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string target, ca, cert, key, label;
  std::string method = "/ndxp.bench.v1.Echo/Echo";
  int payload_bytes = 100;
  std::string request_file;
  std::vector<std::pair<std::string, std::string>> metadata;
  int concurrency = 50;
  int connections = 5;
  double duration_s = 10;
  double warmup_s = 2;
  int timeout_ms = 10000;
  double rate = 0;  // calls per second in all; 0: each call as the previous one ends
  std::string json;
  Door door = Door::kGrpc;
};

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "?";
}

const char* DoorName(Door door) {
  switch (door) {
    case Door::kGrpc:
      return "grpc";
    case Door::kConnectH2:
      return "connect-h2";
    case Door::kConnectH1:
      return "connect-h1";
    case Door::kGrpcH2:
      return "grpc-h2";
  }
  return "?";
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class Pacer;
class Run;

// One closed loop: a call in flight at a time. Its callbacks never overlap,
// so its histogram and counters need no lock.
class Loop {
 public:
  Loop(Run* run, grpc::GenericStub* stub, const grpc::ByteBuffer& request)
      : run_(run), stub_(stub), request_(request) {}
  void Issue();
  LatencyHistogram histogram;
  std::map<grpc::StatusCode, uint64_t> errors;
  // Every answer of the run by status, warm-up and the calls still open at
  // its end included: what the caller saw acknowledged, for comparing with
  // the hub's records.
  std::map<grpc::StatusCode, uint64_t> answered;

 private:
  void OnDone(const grpc::Status& status);

  Run* const run_;
  grpc::GenericStub* const stub_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::unique_ptr<grpc::ClientContext> context_;
  Clock::time_point started_;
};

class Run {
 public:
  Run(const Options& options, Clock::time_point measure_from, Clock::time_point end)
      : options(options), measure_from(measure_from), end(end) {}

  void LoopFinished() {
    absl::MutexLock lock(&mu_);
    ++finished_;
  }
  // Blocks until `loops` loops have called LoopFinished.
  void WaitAll(int loops) {
    absl::MutexLock lock(&mu_);
    expected_ = loops;
    mu_.Await(absl::Condition(&Run::AllFinished, this));
  }

  const Options& options;
  const Clock::time_point measure_from;
  const Clock::time_point end;
  Pacer* pacer = nullptr;  // with --rate

 private:
  static bool AllFinished(Run* run) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return run->finished_ >= run->expected_;
  }

  absl::Mutex mu_;
  int finished_ ABSL_GUARDED_BY(mu_) = 0;
  int expected_ ABSL_GUARDED_BY(mu_) = 0;
};

// With --rate, hands out start times spaced 1/rate apart over every loop and
// starts each loop's next call at its time, on a thread of its own (a loop
// that is late starts at once: no catching up in a burst). Thread-safe.
class Pacer {
 public:
  explicit Pacer(double rate)
      : interval_(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(1.0 / rate))),
        thread_([this] { Dispatch(); }) {}
  ~Pacer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  // Calls loop->Issue() at the next free start time (now, if it has passed).
  void Schedule(Loop* loop) {
    const Clock::time_point now = Clock::now();
    Clock::time_point at;
    {
      std::lock_guard<std::mutex> lock(mu_);
      at = std::max(next_, now);
      next_ = at + interval_;
      if (at > now) {
        due_.push({at, loop});
        if (due_.top().loop == loop) wake_.notify_one();
        return;
      }
    }
    loop->Issue();
  }

 private:
  struct Due {
    Clock::time_point at;
    Loop* loop;
    bool operator>(const Due& other) const { return at > other.at; }
  };
  void Dispatch() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      if (due_.empty()) {
        wake_.wait(lock);
      } else if (Clock::now() < due_.top().at) {
        wake_.wait_until(lock, due_.top().at);
      } else {
        Loop* loop = due_.top().loop;
        due_.pop();
        lock.unlock();
        loop->Issue();
        lock.lock();
      }
    }
  }

  const Clock::duration interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  Clock::time_point next_;  // guarded by mu_, as the rest below
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is constructed
};

void Loop::Issue() {
  context_ = std::make_unique<grpc::ClientContext>();
  for (const auto& [key, value] : run_->options.metadata) context_->AddMetadata(key, value);
  context_->set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(run_->options.timeout_ms));
  started_ = Clock::now();
  stub_->UnaryCall(context_.get(), run_->options.method, grpc::StubOptions(), &request_,
                   &response_, [this](grpc::Status status) { OnDone(status); });
}

void Loop::OnDone(const grpc::Status& status) {
  Clock::time_point now = Clock::now();
  ++answered[status.error_code()];
  if (started_ >= run_->measure_from && now <= run_->end) {
    if (status.ok()) {
      histogram.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(now - started_).count());
    } else {
      ++errors[status.error_code()];
    }
  }
  if (now < run_->end) {
    if (run_->pacer != nullptr) {
      run_->pacer->Schedule(this);
    } else {
      Issue();
    }
  } else {
    run_->LoopFinished();
  }
}

// Parses the flags with CLI11 (as every ndxp binary: "--flag VALUE" or
// "--flag=VALUE"). Returns the exit code when the program should stop now
// (0 after --help, 2 on a usage error), or -1 to run.
int ParseFlags(int argc, char** argv, Options* o, logging::LogFlags* log_flags) {
  CLI::App app(
      "A closed-loop load generator over mutual TLS: CONCURRENCY calls in flight over\n"
      "CONNECTIONS HTTP/2 connections, each call issued as the previous one ends.",
      "ndxp-bench");
  app.add_option("--target", o->target, "the server to load (the hub, a connector, a proxy)")
      ->type_name("HOST:PORT")
      ->required();
  app.add_option("--ca", o->ca, "the federation CA's certificate (PEM)")
      ->type_name("FILE")
      ->required();
  app.add_option("--cert", o->cert, "the client's certificate (PEM)")
      ->type_name("FILE")
      ->required();
  app.add_option("--key", o->key, "its private key (PEM)")->type_name("FILE")->required();
  app.add_option("--method", o->method, "full method")->type_name("NAME")->capture_default_str();
  app.add_option("--payload-bytes", o->payload_bytes, "EchoRequest payload size")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--request-file", o->request_file,
                 "send these serialized request bytes instead")
      ->type_name("FILE");
  std::vector<std::string> metadata;
  app.add_option("--metadata", metadata, "add a request header (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            return value.find('=') == 0 || value.find('=') == std::string::npos
                       ? "\"" + value + "\" is not KEY=VALUE"
                       : "";
          },
          ""));
  app.add_option("--concurrency", o->concurrency, "calls in flight")
      ->type_name("N")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--connections", o->connections, "HTTP/2 connections")
      ->type_name("N")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--duration", o->duration_s, "measured time")
      ->type_name("SECONDS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", o->warmup_s, "unmeasured time first")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--timeout-ms", o->timeout_ms, "per-call deadline")
      ->type_name("N")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--rate", o->rate,
                 "calls per second in all, spread evenly (0: as fast as answered; "
                 "CONCURRENCY bounds the calls in flight either way)")
      ->type_name("N")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  app.add_option("--door", o->door,
                 "grpc: gRPC calls (raw bytes of --method); connect-h2: unary Connect JSON\n"
                 "calls of Echo (POST --method, application/json, {\"payload\": base64}) over\n"
                 "HTTP/2; connect-h1: the same over HTTP/1.1 keep-alive, one call in flight\n"
                 "per connection: CONCURRENCY connections, --connections ignored. A Connect\n"
                 "call is OK when answered 200 with the payload sent (any JSON object with\n"
                 "--request-file, whose bytes are then the JSON body); else counted by\n"
                 "Connect's error code, BAD_ANSWER or HTTP_<status>. grpc-h2: gRPC calls\n"
                 "on the JSON doors' HTTP/2 client, to compare the doors with one client\n"
                 "(OK: grpc-status 0 and the answer is the request's bytes, as Echo's).\n"
                 "No --rate but with grpc.")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Door>{{"grpc", Door::kGrpc},
                                      {"connect-h2", Door::kConnectH2},
                                      {"connect-h1", Door::kConnectH1},
                                      {"grpc-h2", Door::kGrpcH2}})
                     .description(""))
      ->type_name("grpc|connect-h2|connect-h1|grpc-h2")
      ->default_str("grpc");
  app.add_option("--json", o->json, "write the summary as JSON")->type_name("FILE");
  app.add_option("--label", o->label, "a name for this run in the summary")->type_name("TEXT");
  logging::AddLogFlags(app, *log_flags);
  app.set_version_flag("--version", absl::StrCat("ndxp-bench ", Version()));
  app.footer(
      "Prints requests/s, latency p50/p90/p99/p99.9/max (a histogram of every call),\n"
      "errors by status code and the load generator's own CPU microseconds per call;\n"
      "--json adds every answer of the run by status, warm-up included (answered_by_code).\n"
      "Exit status: 0 success, 1 failure, 2 usage error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "ndxp-bench: " << e.what() << "\nRun \"ndxp-bench --help\" for usage.\n";
    return 2;
  }
  for (const std::string& pair : metadata) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    o->metadata.push_back(std::move(kv));
  }
  if (o->door != Door::kGrpc && o->rate > 0) {
    std::cerr << "ndxp-bench: --rate is for --door grpc only\nRun \"ndxp-bench --help\" for usage.\n";
    return 2;
  }
  return -1;
}

// What a run measured, whichever the door.
struct Summary {
  LatencyHistogram all;
  std::map<std::string, uint64_t> errors, answered;  // by code name
  double cpu_used = 0;  // the load generator's, over the measured window
  int connections = 0;
};

// The run's window: warm-up, then the measured time.
struct Window {
  explicit Window(const Options& options)
      : start(Clock::now()),
        measure_from(start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(options.warmup_s))),
        end(measure_from + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(options.duration_s))) {}
  Clock::time_point start, measure_from, end;
};

// Sleeps through the window; the load generator's CPU over the measured part.
double MeasureCpu(const Window& window) {
  std::this_thread::sleep_until(window.measure_from);
  double cpu_start = CpuSeconds();
  std::this_thread::sleep_until(window.end);
  return CpuSeconds() - cpu_start;
}

// Connect calls through the JSON door; the exit code on failure.
int RunConnect(const Options& options, const config::v1::TlsFiles& files,
               const std::string& request_bytes, Summary* summary) {
  ConnectCall call = options.door == Door::kGrpcH2
                         ? EchoGrpcCall(request_bytes, options.timeout_ms)
                         : EchoConnectCall(options.payload_bytes, options.timeout_ms);
  call.path = options.method;
  if (options.door == Door::kGrpcH2) {
    if (!options.request_file.empty()) call.expected_answer.clear();  // any message
  } else if (!options.request_file.empty()) {
    call.body = request_bytes;
    call.expected_payload.clear();
  }
  for (const auto& [key, value] : options.metadata) {
    call.headers.emplace_back(absl::AsciiStrToLower(key), value);
  }
  std::vector<int> calls_per_connection;
  if (options.door == Door::kConnectH1) {
    calls_per_connection.assign(options.concurrency, 1);
  } else {
    int connections = std::min(options.connections, options.concurrency);
    for (int i = 0; i < connections; ++i) {
      calls_per_connection.push_back(options.concurrency / connections +
                                     (i < options.concurrency % connections ? 1 : 0));
    }
  }
  auto load = ConnectLoad::Open(options.door, files, options.target, call, calls_per_connection);
  if (!load.ok()) {
    logging::Log("bench").error("{}", load.status().message());
    return load.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  Window window(options);
  (*load)->Start(window.measure_from, window.end);
  summary->cpu_used = MeasureCpu(window);
  ConnectTally tally = (*load)->Wait();
  summary->all = tally.histogram;
  summary->errors = std::move(tally.errors);
  summary->answered = std::move(tally.answered);
  summary->connections = static_cast<int>(calls_per_connection.size());
  return 0;
}

// gRPC calls (raw bytes of --method); the exit code on failure.
int RunGrpc(const Options& options, const config::v1::TlsFiles& files,
            const std::string& request_bytes, Summary* summary) {
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  auto credentials = tls::MutualTlsChannelCredentials(files);
  if (!credentials.ok()) {
    logging::Log("bench").error("{}", credentials.status().message());
    return 2;
  }
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int i = 0; i < options.connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("ndxp.bench_connection", i);
    auto channel = grpc::CreateCustomChannel(options.target, *credentials, args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      logging::Log("bench").error("cannot connect to {}", options.target);
      return 1;
    }
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  }

  Window window(options);
  Run run(options, window.measure_from, window.end);
  std::unique_ptr<Pacer> pacer;
  if (options.rate > 0) {
    pacer = std::make_unique<Pacer>(options.rate);
    run.pacer = pacer.get();
  }
  std::vector<std::unique_ptr<Loop>> loops;
  for (int i = 0; i < options.concurrency; ++i) {
    loops.push_back(std::make_unique<Loop>(&run, stubs[i % stubs.size()].get(), request));
  }
  for (auto& loop : loops) {
    if (pacer != nullptr) {
      pacer->Schedule(loop.get());
    } else {
      loop->Issue();
    }
  }

  // CPU over the measured window only.
  summary->cpu_used = MeasureCpu(window);
  run.WaitAll(options.concurrency);
  for (const auto& loop : loops) {
    summary->all.Merge(loop->histogram);
    for (auto [code, n] : loop->errors) summary->errors[CodeName(code)] += n;
    for (auto [code, n] : loop->answered) summary->answered[CodeName(code)] += n;
  }
  summary->connections = options.connections;
  return 0;
}

int Main(int argc, char** argv) {
  Options options;
  logging::LogFlags log_flags;
  if (int stop = ParseFlags(argc, argv, &options, &log_flags); stop >= 0) return stop;
  logging::InitLogging("ndxp-bench", log_flags);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::string request_bytes;
  if (!options.request_file.empty()) {
    auto bytes = tls::ReadFile(options.request_file);
    if (!bytes.ok()) {
      logging::Log("bench").error("{}", bytes.status().message());
      return 2;
    }
    request_bytes = *bytes;
  } else if (options.door == Door::kConnectH2 || options.door == Door::kConnectH1) {
    request_bytes = EchoConnectCall(options.payload_bytes, options.timeout_ms).body;
  } else {
    ndxp::bench::v1::EchoRequest echo;
    echo.set_payload(std::string(options.payload_bytes, 'x'));
    request_bytes = echo.SerializeAsString();
  }

  config::v1::TlsFiles files;
  files.set_ca_cert(options.ca);
  files.set_cert(options.cert);
  files.set_key(options.key);
  Summary summary;
  int failed = options.door == Door::kGrpc ? RunGrpc(options, files, request_bytes, &summary)
                                           : RunConnect(options, files, request_bytes, &summary);
  if (failed != 0) return failed;
  const LatencyHistogram& all = summary.all;
  const std::map<std::string, uint64_t>& errors = summary.errors;
  const double cpu_used = summary.cpu_used;
  uint64_t error_count = 0;
  for (auto [code, n] : errors) error_count += n;
  uint64_t calls = all.count() + error_count;
  double rps = all.count() / options.duration_s;
  auto ms = [](uint64_t nanos) { return nanos / 1e6; };

  std::printf("%s%s%.0f req/s  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms  "
              "errors %llu  loadgen %.1f CPU-us/call\n",
              options.label.c_str(), options.label.empty() ? "" : ": ", rps,
              ms(all.Percentile(0.5)), ms(all.Percentile(0.9)), ms(all.Percentile(0.99)),
              ms(all.Percentile(0.999)), ms(all.max()),
              static_cast<unsigned long long>(error_count),
              calls == 0 ? 0.0 : cpu_used * 1e6 / calls);
  for (const auto& [code, n] : errors) {
    std::printf("  %s: %llu\n", code.c_str(), static_cast<unsigned long long>(n));
  }

  if (!options.json.empty()) {
    std::ostringstream json;
    json << "{\"label\": \"" << options.label << "\", \"target\": \"" << options.target
         << "\", \"door\": \"" << DoorName(options.door) << "\", \"method\": \""
         << options.method << "\", \"request_bytes\": " << request_bytes.size()
         << ", \"concurrency\": " << options.concurrency
         << ", \"connections\": " << summary.connections
         << ", \"duration_s\": " << options.duration_s << ", \"ok\": " << all.count()
         << ", \"errors\": " << error_count << ", \"errors_by_code\": {";
    auto by_code = [&json](const std::map<std::string, uint64_t>& counts) {
      bool first = true;
      for (const auto& [code, n] : counts) {
        json << (first ? "" : ", ") << "\"" << code << "\": " << n;
        first = false;
      }
    };
    by_code(errors);
    json << "}, \"answered_by_code\": {";
    by_code(summary.answered);
    json << "}, \"requests_per_second\": " << rps << ", \"latency_ms\": {\"p50\": "
         << ms(all.Percentile(0.5)) << ", \"p90\": " << ms(all.Percentile(0.9))
         << ", \"p99\": " << ms(all.Percentile(0.99)) << ", \"p999\": "
         << ms(all.Percentile(0.999)) << ", \"max\": " << ms(all.max())
         << ", \"mean\": " << all.mean() / 1e6 << "}, \"loadgen_cpu_us_per_call\": "
         << (calls == 0 ? 0.0 : cpu_used * 1e6 / calls) << "}\n";
    std::ofstream(options.json) << json.str();
  }
  return 0;
}

}  // namespace
}  // namespace ndxp::bench

int main(int argc, char** argv) { return ndxp::bench::Main(argc, argv); }
