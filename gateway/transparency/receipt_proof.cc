#include "gateway/transparency/receipt_proof.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_util.h"
#include "gateway/transparency/signed_note.h"

namespace ndxp::transparency {

namespace {

// `text` as a JSON string literal: '"', '\' and control characters escaped,
// the rest (UTF-8, such as a signature line's em dash) as it is.
void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("receipt proof: field ", field, ": ", problem));
}

// 64 hex digits, either case.
absl::StatusOr<Hash> ParseHash(absl::string_view field, const google::protobuf::Value& value) {
  if (value.kind_case() != google::protobuf::Value::kStringValue) {
    return FieldError(field, "expected a string of 64 hex digits");
  }
  const std::string& hex = value.string_value();
  Hash hash{};
  if (hex.size() != 2 * hash.size()) {
    return FieldError(field, absl::StrCat("expected 64 hex digits, not ", hex.size()));
  }
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return FieldError(field, absl::StrCat("'", std::string(1, c), "' at ", i,
                                            " is not a hex digit"));
    }
    hash[i / 2] = static_cast<uint8_t>(hash[i / 2] << 4 | digit);
  }
  return hash;
}

absl::StatusOr<int64_t> ParseCount(absl::string_view field,
                                   const google::protobuf::Value& value) {
  // Exact in a double up to 2^53, beyond any log's size.
  constexpr double kMost = 9007199254740992.0;
  if (value.kind_case() != google::protobuf::Value::kNumberValue ||
      value.number_value() < 0 || value.number_value() > kMost ||
      std::floor(value.number_value()) != value.number_value()) {
    return FieldError(field, "expected a whole number, not negative");
  }
  return static_cast<int64_t>(value.number_value());
}

absl::StatusOr<std::string> ParseString(absl::string_view field,
                                        const google::protobuf::Value& value) {
  if (value.kind_case() != google::protobuf::Value::kStringValue) {
    return FieldError(field, "expected a string");
  }
  return value.string_value();
}

}  // namespace

std::string ReceiptProofToJson(const ReceiptProof& proof) {
  std::string json = "{\n  \"replica\": ";
  AppendJsonString(&json, proof.replica);
  absl::StrAppend(&json, ",\n  \"leaf_index\": ", proof.leaf_index, ",\n  \"leaf_hash\": \"",
                  HashHex(proof.leaf_hash), "\",\n  \"tree_size\": ", proof.tree_size,
                  ",\n  \"root_hash\": \"", HashHex(proof.root_hash), "\",\n  \"hashes\": [");
  for (size_t i = 0; i < proof.hashes.size(); ++i) {
    absl::StrAppend(&json, i == 0 ? "\n    \"" : ",\n    \"", HashHex(proof.hashes[i]), "\"");
  }
  absl::StrAppend(&json, proof.hashes.empty() ? "]" : "\n  ]", ",\n  \"checkpoint\": ");
  AppendJsonString(&json, proof.checkpoint);
  json += "\n}\n";
  return json;
}

absl::StatusOr<ReceiptProof> ReceiptProofFromJson(absl::string_view json) {
  google::protobuf::Struct object;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &object);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "receipt proof: not a JSON object: ", std::string(parsed.message().data(),
                                                          parsed.message().size())));
  }
  const auto& fields = object.fields();
  for (const auto& [name, value] : fields) {
    if (name != "replica" && name != "leaf_index" && name != "leaf_hash" &&
        name != "tree_size" && name != "root_hash" && name != "hashes" && name != "checkpoint") {
      return FieldError(name, "unknown (expected replica, leaf_index, leaf_hash, tree_size, "
                              "root_hash, hashes, checkpoint)");
    }
  }
  for (const char* name :
       {"replica", "leaf_index", "leaf_hash", "tree_size", "root_hash", "hashes", "checkpoint"}) {
    if (fields.count(name) == 0) return FieldError(name, "missing");
  }
  ReceiptProof proof;
  NDXP_ASSIGN_OR_RETURN(proof.replica, ParseString("replica", fields.at("replica")));
  NDXP_ASSIGN_OR_RETURN(proof.leaf_index, ParseCount("leaf_index", fields.at("leaf_index")));
  NDXP_ASSIGN_OR_RETURN(proof.leaf_hash, ParseHash("leaf_hash", fields.at("leaf_hash")));
  NDXP_ASSIGN_OR_RETURN(proof.tree_size, ParseCount("tree_size", fields.at("tree_size")));
  NDXP_ASSIGN_OR_RETURN(proof.root_hash, ParseHash("root_hash", fields.at("root_hash")));
  const google::protobuf::Value& hashes = fields.at("hashes");
  if (hashes.kind_case() != google::protobuf::Value::kListValue) {
    return FieldError("hashes", "expected an array of strings of 64 hex digits");
  }
  for (int i = 0; i < hashes.list_value().values_size(); ++i) {
    NDXP_ASSIGN_OR_RETURN(Hash hash, ParseHash(absl::StrCat("hashes[", i, "]"),
                                               hashes.list_value().values(i)));
    proof.hashes.push_back(hash);
  }
  NDXP_ASSIGN_OR_RETURN(proof.checkpoint, ParseString("checkpoint", fields.at("checkpoint")));
  return proof;
}

absl::StatusOr<ReceiptVerification> VerifyReceiptProof(const ReceiptProof& proof,
                                                       absl::Span<const std::string> log_vkeys,
                                                       absl::Span<const std::string> witness_vkeys,
                                                       int quorum) {
  if (quorum < 0 || quorum > static_cast<int>(witness_vkeys.size())) {
    return absl::InvalidArgumentError(absl::StrCat("a quorum of ", quorum, " among ",
                                                   witness_vkeys.size(), " witnesses given"));
  }
  std::vector<Ed25519NoteVerifier> logs;
  std::vector<CosignatureVerifier> witnesses;
  for (const std::string& vkey : log_vkeys) {
    NDXP_ASSIGN_OR_RETURN(Ed25519NoteVerifier log, Ed25519NoteVerifier::FromVkey(vkey));
    logs.push_back(std::move(log));
  }
  for (const std::string& vkey : witness_vkeys) {
    NDXP_ASSIGN_OR_RETURN(CosignatureVerifier witness, CosignatureVerifier::FromVkey(vkey));
    witnesses.push_back(std::move(witness));
  }
  std::vector<const NoteVerifier*> verifiers;
  std::vector<const CosignatureVerifier*> witness_verifiers;
  for (const auto& log : logs) verifiers.push_back(&log);
  for (const auto& witness : witnesses) {
    verifiers.push_back(&witness);
    witness_verifiers.push_back(&witness);
  }
  NDXP_ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(proof.checkpoint, verifiers));
  ReceiptVerification verified;
  for (const NoteSignature& signature : opened.verified) {
    for (const auto& log : logs) {
      if (signature.name == log.key().name && signature.key_id == log.key().KeyId()) {
        verified.log_key = signature.name;
      }
    }
  }
  if (verified.log_key.empty()) {
    return absl::UnauthenticatedError(
        "the checkpoint is not signed by the log key given (only by witnesses)");
  }
  NDXP_ASSIGN_OR_RETURN(verified.checkpoint, ParseCheckpoint(opened.text));
  const Checkpoint& checkpoint = verified.checkpoint;
  if (!absl::EndsWith(checkpoint.origin, absl::StrCat("/", proof.replica))) {
    return absl::DataLossError(absl::StrCat("the checkpoint is of ", checkpoint.origin,
                                            ", not of replica ", proof.replica));
  }
  if (checkpoint.tree_size != proof.tree_size || checkpoint.root != proof.root_hash) {
    return absl::DataLossError(absl::StrCat(
        "the checkpoint states size ", checkpoint.tree_size, " root ", HashHex(checkpoint.root),
        ", the proof size ", proof.tree_size, " root ", HashHex(proof.root_hash)));
  }
  absl::Status included = VerifyInclusion(proof.leaf_hash, proof.leaf_index, proof.tree_size,
                                          proof.hashes, proof.root_hash);
  if (!included.ok()) {
    return absl::DataLossError(absl::StrCat("leaf ", proof.leaf_index, " (",
                                            HashHex(proof.leaf_hash), ") is not in the tree: ",
                                            included.message()));
  }
  NDXP_ASSIGN_OR_RETURN(verified.cosignatures, WitnessCosignatures(opened, witness_verifiers));
  if (static_cast<int>(verified.cosignatures.size()) < quorum) {
    return absl::FailedPreconditionError(absl::StrCat(
        verified.cosignatures.size(), " of the witnesses given cosigned the checkpoint, ",
        quorum, " needed: without a quorum a split view would not be seen"));
  }
  return verified;
}

}  // namespace ndxp::transparency
