// µs per Extract of a residents VerifyCitizen request (~100 bytes, one
// subject) and a land AssessTransferObligations request (three parties),
// extractors built from services.binpb as the hub loads it; and per
// SubjectScan of them fed in 16-byte chunks, values copied; and what a call
// costs the hub in all (transport/call_subjects.cc): the chunked scan, each
// value normalised and its HMAC-SHA256 in hex. Target: 2 µs.
//
//   subject_extractor_bench [iterations]
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/json/test_pool.h"
#include "gateway/subjects/personal_id.h"
#include "gateway/subjects/subject_extractor.h"
#include "gateway/subjects/subject_keys.h"

namespace {

// The best of five rounds: the machine is shared with builds.
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
  using namespace ndxp::gateway::subjects;
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 1000000;
  std::unique_ptr<google::protobuf::DescriptorPool> pool = ndxp::gateway::json::LoadTestPool();
  if (pool == nullptr) {
    std::fprintf(stderr, "cannot load %s\n", NDXP_DESCRIPTOR_SET);
    return 1;
  }
  google::protobuf::DynamicMessageFactory factory(pool.get());
  const absl::StatusOr<SubjectKeys> keys =
      SubjectKeys::Parse("bench " + std::string(43, 'A') + "=\n", "the bench's key");
  if (!keys.ok()) return 1;
  size_t sink = 0;
  for (const auto& [type, text] : {
           std::pair<const char*, const char*>{
               "ndxp.residents.v1.VerifyCitizenRequest",
               R"(personal_id: "001099012345" full_name: "Nguyễn Thị Minh Khai Phương Anh Trần"
                  date_of_birth { year: 1999 month: 1 day: 2 } sex: SEX_FEMALE)"},
           {"ndxp.land.v1.AssessTransferObligationsRequest",
            R"(certificate_serial: "CS 123456" parcel { parcel_id: "00004-12-345" }
               transferors { personal_id: "001090001234" name: "Nguyen Van A" }
               transferees { personal_id: "079190000001" } transferees { personal_id: "001185000002" }
               declared_price_vnd: 1500000000)"}}) {
    const google::protobuf::Descriptor* request = pool->FindMessageTypeByName(type);
    std::unique_ptr<google::protobuf::Message> message(factory.GetPrototype(request)->New());
    if (!google::protobuf::TextFormat::ParseFromString(text, message.get())) return 1;
    const std::string bytes = message->SerializeAsString();
    const SubjectExtractor extractor = SubjectExtractor::ForRequest(*request);
    SubjectValues subjects;
    const double micros = MicrosPerCall(iterations, [&] {
      sink += static_cast<size_t>(extractor.Extract(bytes, &subjects)) + subjects.size();
    });
    SubjectIds ids;
    const double chunked_micros = MicrosPerCall(iterations, [&] {
      SubjectScan scan(extractor);
      for (size_t at = 0; at < bytes.size(); at += 16) {
        scan.Feed(absl::string_view(bytes).substr(at, 16));
      }
      sink += static_cast<size_t>(scan.Finish(&ids)) + ids.size();
    });
    const double recorded_micros = MicrosPerCall(iterations, [&] {
      SubjectScan scan(extractor);
      for (size_t at = 0; at < bytes.size(); at += 16) {
        scan.Feed(absl::string_view(bytes).substr(at, 16));
      }
      sink += static_cast<size_t>(scan.Finish(&ids));
      for (const std::string& id : ids) {
        std::optional<std::string> normalised = NormalizePersonalId(id);
        if (normalised) sink += absl::BytesToHexString(*keys->Hmac("bench", *normalised)).size();
      }
    });
    std::printf("%s, %zu bytes, %zu subjects: %.3f us whole, %.3f us in 16-byte chunks, "
                "%.3f us with normalising and HMAC\n",
                type, bytes.size(), subjects.size(), micros, chunked_micros, recorded_micros);
  }
  return sink == 0 ? 1 : 0;
}
