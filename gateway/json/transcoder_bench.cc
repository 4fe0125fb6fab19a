// µs per JSON conversion of a 100-byte Echo message, each direction, with
// the shared type cache and without it (a resolver per call, as protobuf's
// JsonStringToMessage does for a pool that is not the generated one).
//
//   transcoder_bench [iterations]
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/json/test_pool.h"
#include "gateway/json/transcoder.h"

namespace {

// The best of five rounds: the machine is shared with builds, and the
// slowest rounds measure them.
template <typename F>
double MicrosPerCall(int iterations, F call) {
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    absl::Time start = absl::Now();
    for (int i = 0; i < iterations / 5; ++i) call();
    double micros = absl::ToDoubleMicroseconds(absl::Now() - start) / (iterations / 5);
    if (round == 0 || micros < best) best = micros;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 100000;
  std::unique_ptr<google::protobuf::DescriptorPool> pool = ndxp::gateway::json::LoadTestPool();
  if (pool == nullptr) {
    std::fprintf(stderr, "cannot load %s\n", NDXP_DESCRIPTOR_SET);
    return 1;
  }
  ndxp::gateway::json::JsonTranscoder transcoder(pool.get());
  const google::protobuf::MethodDescriptor* echo =
      transcoder.FindMethod("/ndxp.bench.v1.Echo/Echo");
  // 100 bytes of message: field tag, length, 98 bytes of payload.
  std::string binary = std::string("\x0a\x62", 2) + std::string(98, 'x');
  std::string json = transcoder.ResponseToJson(*echo, binary).value();
  if (transcoder.RequestToBinary(*echo, json).value() != binary) {
    std::fprintf(stderr, "round trip differs\n");
    return 1;
  }
  size_t sink = 0;
  double to_binary =
      MicrosPerCall(iterations, [&] { sink += transcoder.RequestToBinary(*echo, json)->size(); });
  double to_json =
      MicrosPerCall(iterations, [&] { sink += transcoder.ResponseToJson(*echo, binary)->size(); });
  auto uncached = [&](const std::string& type, const std::string& input) {
    const std::string url = "type.googleapis.com/" + type;
    return MicrosPerCall(iterations, [&] {
      std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
          google::protobuf::util::NewTypeResolverForDescriptorPool("type.googleapis.com",
                                                                   pool.get()));
      std::string out;
      (void)google::protobuf::util::JsonToBinaryString(resolver.get(), url, input, &out, {});
      sink += out.size();
    });
  };
  // Nested types and an enum: several resolutions per conversion.
  const google::protobuf::MethodDescriptor* verify =
      transcoder.FindMethod("/ndxp.residents.v1.ResidentRegistry/VerifyCitizen");
  const std::string citizen = R"({"personalId":"001099012345","fullName":"Nguyen Van A",)"
                              R"("dateOfBirth":{"year":1999,"month":1,"day":2},"sex":"SEX_MALE"})";
  double verify_to_binary = MicrosPerCall(
      iterations, [&] { sink += transcoder.RequestToBinary(*verify, citizen)->size(); });
  std::printf("Echo, %zu-byte message, %zu-byte JSON, %d iterations\n", binary.size(), json.size(),
              iterations);
  std::printf("  JSON -> binary  %.2f us\n  binary -> JSON  %.2f us\n", to_binary, to_json);
  std::printf("  JSON -> binary, a new resolver per call  %.2f us\n",
              uncached("ndxp.bench.v1.EchoRequest", json));
  std::printf("VerifyCitizenRequest (Date, Sex), %zu-byte JSON\n", citizen.size());
  std::printf("  JSON -> binary  %.2f us\n", verify_to_binary);
  std::printf("  JSON -> binary, a new resolver per call  %.2f us\n",
              uncached("ndxp.residents.v1.VerifyCitizenRequest", citizen));
  return sink == 0 ? 1 : 0;
}
