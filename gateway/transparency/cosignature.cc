// C2SP tlog-cosignature, Ed25519 cosignature/v1 (cosignature.h).
#include "gateway/transparency/cosignature.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status/status_util.h"

namespace ndxp::transparency {
namespace {

constexpr size_t kTimestampSize = 8;
constexpr size_t kCosignatureSize = kTimestampSize + 64;

absl::Status RequireType(const NoteVerifierKey& key, absl::string_view what) {
  if (key.type == kCosignatureV1Type) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " ", key.name, " is of signature type ",
                                                 static_cast<int>(key.type),
                                                 ", not a witness's cosignature key (4)"));
}

}  // namespace

std::string CosignedMessage(absl::string_view checkpoint_text, int64_t time_seconds) {
  return absl::StrCat("cosignature/v1\ntime ", time_seconds, "\n", checkpoint_text);
}

absl::StatusOr<CosignatureSigner> CosignatureSigner::Create(Ed25519NoteKey key,
                                                            std::function<int64_t()> now_seconds) {
  NDXP_RETURN_IF_ERROR(RequireType(key.verifier_key(), "key"));
  if (!now_seconds) now_seconds = [] { return absl::ToUnixSeconds(absl::Now()); };
  return CosignatureSigner(std::move(key), std::move(now_seconds));
}

absl::StatusOr<std::string> CosignatureSigner::Sign(absl::string_view text) const {
  const int64_t time = now_seconds_();
  if (time < 0) return absl::InvalidArgumentError("cosignature time before 1970");
  NDXP_ASSIGN_OR_RETURN(std::string signature, key_.SignMessage(CosignedMessage(text, time)));
  std::string timestamp(kTimestampSize, '\0');
  for (size_t i = 0; i < kTimestampSize; ++i) {
    timestamp[i] = static_cast<char>(static_cast<uint64_t>(time) >> (8 * (kTimestampSize - 1 - i)));
  }
  return absl::StrCat(timestamp, signature);
}

absl::StatusOr<CosignatureVerifier> CosignatureVerifier::FromVkey(absl::string_view vkey) {
  NDXP_ASSIGN_OR_RETURN(NoteVerifierKey key, ParseVerifierKey(vkey));
  NDXP_RETURN_IF_ERROR(RequireType(key, "verifier key"));
  return CosignatureVerifier(std::move(key));
}

bool CosignatureVerifier::Verify(absl::string_view text, absl::string_view signature) const {
  absl::StatusOr<int64_t> time = CosignatureTime(signature);
  return time.ok() && VerifyEd25519(key_.public_key, CosignedMessage(text, *time),
                                    signature.substr(kTimestampSize));
}

std::string WitnessKeyOf(absl::string_view name, uint32_t key_id) {
  return absl::StrCat(name, "+", absl::Hex(key_id, absl::kZeroPad8));
}

std::string WitnessKeyOf(const NoteVerifierKey& key) { return WitnessKeyOf(key.name, key.KeyId()); }

absl::StatusOr<int64_t> CosignatureTime(absl::string_view signature) {
  if (signature.size() != kCosignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("cosignature of ", signature.size(), " bytes, want ", kCosignatureSize));
  }
  uint64_t time = 0;
  for (size_t i = 0; i < kTimestampSize; ++i)
    time = (time << 8) | static_cast<uint8_t>(signature[i]);
  if (time >> 63 != 0) return absl::InvalidArgumentError("cosignature time beyond 2^63 - 1");
  return static_cast<int64_t>(time);
}

absl::StatusOr<std::vector<Cosignature>> WitnessCosignatures(
    const OpenedNote& opened, absl::Span<const CosignatureVerifier* const> witnesses) {
  std::vector<Cosignature> cosignatures;
  for (const NoteSignature& signature : opened.verified) {
    for (const CosignatureVerifier* witness : witnesses) {
      if (witness->key().name != signature.name || witness->key().KeyId() != signature.key_id) {
        continue;
      }
      NDXP_ASSIGN_OR_RETURN(int64_t time, CosignatureTime(signature.signature));
      cosignatures.push_back(Cosignature{signature.name, time});
      break;
    }
  }
  return cosignatures;
}

}  // namespace ndxp::transparency
