#include "connectors/residents/name_match.h"

#include <cstdint>

namespace ndxp::residents {
namespace {

char32_t ToLower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c < 0x80) return c;
  // Latin-1: À..Þ except ×.
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  // Latin Extended-A (Ă, Đ, Ĩ, Ũ, ...): upper/lower pairs, even-odd except in
  // 0139..0148 and 0179..017E where the upper case is odd.
  if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c | 1;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
    return (c & 1) ? c + 1 : c;
  }
  if (c == 0x178) return 0xFF;  // Ÿ
  // Latin Extended-B: Ơ, Ư.
  if (c == 0x1A0) return 0x1A1;
  if (c == 0x1AF) return 0x1B0;
  // Latin Extended Additional (Ạ..ỹ): even upper, odd lower, except the
  // unpaired 1E96..1E9F.
  if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) return c | 1;
  return c;
}

// Decodes one UTF-8 sequence at s[*i]; advances *i. Returns false (and
// advances by one byte) for an invalid sequence.
bool Decode(absl::string_view s, size_t* i, char32_t* out) {
  const auto b0 = static_cast<uint8_t>(s[*i]);
  size_t length = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3
                              : (b0 >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || *i + length > s.size()) {
    ++*i;
    return false;
  }
  char32_t c = length == 1 ? b0 : b0 & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    const auto b = static_cast<uint8_t>(s[*i + k]);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return false;
    }
    c = (c << 6) | (b & 0x3F);
  }
  *i += length;
  *out = c;
  return true;
}

void Encode(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool IsSpace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         c == 0xA0 /* no-break space */;
}

}  // namespace

std::string NormalizeName(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_space = false;
  size_t i = 0;
  while (i < name.size()) {
    const size_t start = i;
    char32_t c = 0;
    if (!Decode(name, &i, &c)) {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.append(name.data() + start, i - start);
      continue;
    }
    if (IsSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    Encode(ToLower(c), &out);
  }
  return out;
}

bool NamesMatch(absl::string_view a, absl::string_view b) {
  std::string na = NormalizeName(a);
  return !na.empty() && na == NormalizeName(b);
}

}  // namespace ndxp::residents
