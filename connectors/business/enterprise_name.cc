#include "connectors/business/enterprise_name.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"

namespace ndxp::business {
namespace {

// The ASCII base letter of a Unicode code point, '\0' for a combining mark
// (dropped), ' ' for anything that separates words.
char BaseLetter(uint32_t cp) {
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') return static_cast<char>(cp - 'A' + 'a');
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) return static_cast<char>(cp);
    return ' ';
  }
  if (cp >= 0x300 && cp <= 0x36F) return '\0';  // combining diacritical marks
  if (cp >= 0xC0 && cp <= 0xFF) {
    // U+00C0..U+00FF; '_' marks the signs (×, ÷) and letters with no base.
    static constexpr char kLatin1[] =
        "aaaaaaaceeeeiiiidnooooo_ouuuuy_s"
        "aaaaaaaceeeeiiiidnooooo_ouuuuy_y";
    const char c = kLatin1[cp - 0xC0];
    return c == '_' ? ' ' : c;
  }
  switch (cp) {
    case 0x100: case 0x101: case 0x102: case 0x103: case 0x104: case 0x105:
      return 'a';  // Ā ā Ă ă Ą ą
    case 0x110: case 0x111:
      return 'd';  // Đ đ
    case 0x128: case 0x129:
      return 'i';  // Ĩ ĩ
    case 0x168: case 0x169:
      return 'u';  // Ũ ũ
    case 0x1A0: case 0x1A1:
      return 'o';  // Ơ ơ
    case 0x1AF: case 0x1B0:
      return 'u';  // Ư ư
    default:
      break;
  }
  // Latin Extended Additional: the Vietnamese letters with tone marks, in
  // blocks by base letter.
  if (cp >= 0x1EA0 && cp <= 0x1EB7) return 'a';
  if (cp >= 0x1EB8 && cp <= 0x1EC7) return 'e';
  if (cp >= 0x1EC8 && cp <= 0x1ECB) return 'i';
  if (cp >= 0x1ECC && cp <= 0x1EE3) return 'o';
  if (cp >= 0x1EE4 && cp <= 0x1EF1) return 'u';
  if (cp >= 0x1EF2 && cp <= 0x1EF9) return 'y';
  return ' ';
}

// Decodes the UTF-8 sequence at text[*i], advancing *i. A malformed byte
// decodes as U+FFFD and advances by one.
uint32_t NextCodePoint(absl::string_view text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(*i);
  int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3
                                 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || *i + length > text.size()) {
    ++*i;
    return 0xFFFD;
  }
  uint32_t cp = length == 1 ? lead : lead & (0x7F >> length);
  for (int k = 1; k < length; ++k) {
    if ((byte(*i + k) & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(*i + k) & 0x3F);
  }
  *i += length;
  return cp;
}

// Folded, longest first so "cong ty tnhh" wins over "cong ty".
constexpr absl::string_view kLegalFormWords[] = {
    "cong ty trach nhiem huu han mot thanh vien",
    "cong ty trach nhiem huu han",
    "cong ty tnhh mot thanh vien",
    "van phong dai dien",
    "doanh nghiep tu nhan",
    "cong ty tnhh mtv",
    "cong ty hop danh",
    "cong ty co phan",
    "cong ty tnhh",
    "chi nhanh",
    "cong ty cp",
    "cong ty",
    "dntn",
};

}  // namespace

std::string FoldToAscii(absl::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  bool pending_space = false;
  for (size_t i = 0; i < text.size();) {
    const char c = BaseLetter(NextCodePoint(text, &i));
    if (c == '\0') continue;
    if (c == ' ') {
      pending_space = !folded.empty();
      continue;
    }
    if (pending_space) folded.push_back(' ');
    pending_space = false;
    folded.push_back(c);
  }
  return folded;
}

std::string SearchKey(absl::string_view name) {
  const std::string folded = FoldToAscii(name);
  absl::string_view key = folded;
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (absl::string_view words : kLegalFormWords) {
      if (absl::StartsWith(key, words) &&
          (key.size() == words.size() || key[words.size()] == ' ')) {
        key.remove_prefix(std::min(key.size(), words.size() + 1));
        stripped = true;
        break;
      }
    }
  }
  return std::string(key);
}

}  // namespace ndxp::business
