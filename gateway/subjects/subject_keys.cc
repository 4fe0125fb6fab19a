#include "gateway/subjects/subject_keys.h"

#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files/private_file.h"
#include "common/status/status_util.h"

namespace ndxp::gateway::subjects {
namespace {

constexpr size_t kMaxKeyIdLength = 64;
constexpr char kFileHeader[] =
    "# ndxp subject keys: <key_id> <secret in base64>, the first is current\n";

// Wipes a buffer that held secrets before it is freed.
struct WipedString {
  std::string bytes;
  ~WipedString() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

bool IsValidKeyId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsKeyLine(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  return !line.empty() && line.front() != '#';
}

}  // namespace

SubjectKeys::~SubjectKeys() {
  for (Key& key : keys_) OPENSSL_cleanse(key.secret.data(), key.secret.size());
}

absl::StatusOr<SubjectKeys> SubjectKeys::Parse(absl::string_view text, absl::string_view source) {
  std::vector<Key> keys;
  std::vector<int> key_lines;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!IsKeyLine(line)) continue;
    const std::string where = absl::StrCat("subject keys ", source, " line ", line_number);
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected \"<key_id> <secret in base64>\", got ",
                       fields.size(), " field(s)"));
    }
    if (!IsValidKeyId(fields[0])) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": key id is not 1..", kMaxKeyIdLength, " of [A-Za-z0-9._-]"));
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].id == fields[0]) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": key id ", fields[0],
                                                       " is already on line ", key_lines[i]));
      }
    }
    Key key{std::string(fields[0]), "", nullptr};
    if (!absl::Base64Unescape(fields[1], &key.secret)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": key ", key.id, "'s secret is not base64"));
    }
    if (key.secret.size() < kMinSubjectKeyBytes) {
      const size_t size = key.secret.size();
      OPENSSL_cleanse(key.secret.data(), key.secret.size());
      return absl::InvalidArgumentError(absl::StrCat(where, ": key ", key.id, " is ", size,
                                                     " bytes, fewer than ",
                                                     kMinSubjectKeyBytes));
    }
    keys.push_back(std::move(key));
    key_lines.push_back(line_number);
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("subject keys ", source, ": no key"));
  }
  for (Key& key : keys) {
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* keyed = hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr;
    EVP_MAC_free(hmac);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (keyed == nullptr ||
        EVP_MAC_init(keyed, reinterpret_cast<const unsigned char*>(key.secret.data()),
                     key.secret.size(), params) != 1) {
      EVP_MAC_CTX_free(keyed);
      return absl::InternalError("subject keys: HMAC-SHA256 is not available");
    }
    key.keyed = std::shared_ptr<const EVP_MAC_CTX>(
        keyed, [](const EVP_MAC_CTX* ctx) { EVP_MAC_CTX_free(const_cast<EVP_MAC_CTX*>(ctx)); });
  }
  return SubjectKeys(std::move(keys));
}

absl::StatusOr<SubjectKeys> SubjectKeys::Load(const std::string& path) {
  WipedString text;
  NDXP_RETURN_IF_ERROR(files::ReadPrivateFile(path, "subject keys", &text.bytes));
  return Parse(text.bytes, path);
}

absl::StatusOr<std::string> SubjectKeys::Hmac(absl::string_view key_id,
                                              absl::string_view normalised_id) const {
  for (const Key& key : keys_) {
    if (key.id != key_id) continue;
    std::string hmac(kSubjectHmacBytes, '\0');
    size_t size = 0;
    // A copy per call: the keyed context is shared by every thread, and
    // copying only reads it.
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(key.keyed.get());
    const bool ok =
        ctx != nullptr &&
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(normalised_id.data()),
                       normalised_id.size()) == 1 &&
        EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(hmac.data()), &size, hmac.size()) ==
            1 &&
        size == kSubjectHmacBytes;
    EVP_MAC_CTX_free(ctx);
    if (!ok) return absl::InternalError("subject keys: HMAC-SHA256 failed");
    return hmac;
  }
  return absl::NotFoundError(absl::StrCat("subject keys: no key ", key_id));
}

bool SubjectKeys::Has(absl::string_view key_id) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const Key& key) { return key.id == key_id; });
}

std::vector<KeyedSubjectHmac> SubjectKeys::AllHmacs(absl::string_view normalised_id) const {
  std::vector<KeyedSubjectHmac> hmacs;
  for (const Key& key : keys_) {
    absl::StatusOr<std::string> hmac = Hmac(key.id, normalised_id);
    if (hmac.ok()) hmacs.push_back({key.id, *std::move(hmac)});
  }
  return hmacs;
}

absl::Status GenerateSubjectKey(const std::string& path, absl::string_view key_id, bool rotate) {
  if (!IsValidKeyId(key_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "subject keys: key id \"", key_id, "\" is not 1..", kMaxKeyIdLength,
        " of [A-Za-z0-9._-]"));
  }
  WipedString old_text;
  if (rotate) {
    NDXP_RETURN_IF_ERROR(files::ReadPrivateFile(path, "subject keys", &old_text.bytes));
    NDXP_ASSIGN_OR_RETURN(SubjectKeys old_keys, SubjectKeys::Parse(old_text.bytes, path));
    if (old_keys.Has(key_id)) {
      return absl::AlreadyExistsError(
          absl::StrCat("subject keys ", path, ": already holds key ", key_id));
    }
  } else if (access(path.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "subject keys ", path, ": exists (to add a key to it as the current one: rotate)"));
  }
  WipedString secret{std::string(kMinSubjectKeyBytes, '\0')};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.bytes.data()),
                 static_cast<int>(secret.bytes.size())) != 1) {
    return absl::InternalError("subject keys: no random bytes");
  }
  WipedString line{absl::StrCat(key_id, " ", absl::Base64Escape(secret.bytes), "\n")};
  // The new key goes before the first key line: it becomes the current one.
  size_t first_key = 0;
  for (absl::string_view rest = old_text.bytes; !rest.empty();) {
    const size_t end = std::min(rest.find('\n'), rest.size() - 1) + 1;
    if (IsKeyLine(rest.substr(0, end))) break;
    first_key += end;
    rest.remove_prefix(end);
  }
  const absl::string_view old_file = old_text.bytes;
  WipedString text{rotate ? absl::StrCat(old_file.substr(0, first_key), line.bytes,
                                         old_file.substr(first_key))
                          : absl::StrCat(kFileHeader, line.bytes)};
  // Replaces: with `rotate` the file exists, and it was checked not to otherwise.
  return files::WritePrivateFile(path, "subject keys", text.bytes, /*replace=*/true);
}

}  // namespace ndxp::gateway::subjects
