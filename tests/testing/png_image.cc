#include "tests/testing/png_image.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ndxp::testing {
namespace {

uint32_t BigEndian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

int Paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

}  // namespace

int64_t PngImage::CountPixels(int r, int g, int b, int tolerance) const {
  int64_t count = 0;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3) {
    if (std::abs(rgb[i] - r) <= tolerance && std::abs(rgb[i + 1] - g) <= tolerance &&
        std::abs(rgb[i + 2] - b) <= tolerance) {
      ++count;
    }
  }
  return count;
}

absl::StatusOr<PngImage> ReadPng(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  static constexpr uint8_t kSignature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (file.size() < 8 || !std::equal(std::begin(kSignature), std::end(kSignature), file.begin())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a PNG file"));
  }
  PngImage image;
  int channels = 0;
  std::vector<uint8_t> compressed;
  for (size_t at = 8; at + 12 <= file.size();) {
    const uint32_t length = BigEndian(&file[at]);
    const std::string type(file.begin() + static_cast<std::ptrdiff_t>(at + 4),
                           file.begin() + static_cast<std::ptrdiff_t>(at + 8));
    const uint8_t* data = &file[at + 8];
    if (at + 12 + length > file.size()) break;
    if (type == "IHDR") {
      image.width = static_cast<int>(BigEndian(data));
      image.height = static_cast<int>(BigEndian(data + 4));
      const int depth = data[8], color = data[9], interlace = data[12];
      if (depth != 8 || (color != 2 && color != 6) || interlace != 0) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": not 8-bit RGB(A), not interlaced"));
      }
      channels = color == 2 ? 3 : 4;
    } else if (type == "IDAT") {
      compressed.insert(compressed.end(), data, data + length);
    }
    at += 12 + length;
  }
  if (channels == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no IHDR"));
  const size_t stride = static_cast<size_t>(image.width) * channels;
  std::vector<uint8_t> raw((stride + 1) * static_cast<size_t>(image.height));
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, compressed.data(), compressed.size()) != Z_OK ||
      raw_size != raw.size()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": image data does not inflate"));
  }
  // Undo each row's filter (PNG specification, section 9).
  std::vector<uint8_t> previous(stride, 0), row(stride);
  image.rgb.reserve(static_cast<size_t>(image.width) * image.height * 3);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* line = &raw[static_cast<size_t>(y) * (stride + 1)];
    const int filter = line[0];
    for (size_t x = 0; x < stride; ++x) {
      const int a = x >= static_cast<size_t>(channels) ? row[x - channels] : 0;
      const int b = previous[x];
      const int c = x >= static_cast<size_t>(channels) ? previous[x - channels] : 0;
      const int predicted = filter == 1   ? a
                            : filter == 2 ? b
                            : filter == 3 ? (a + b) / 2
                            : filter == 4 ? Paeth(a, b, c)
                                          : 0;
      row[x] = static_cast<uint8_t>(line[1 + x] + predicted);
    }
    for (size_t x = 0; x < stride; x += channels) {
      image.rgb.insert(image.rgb.end(), row.begin() + static_cast<std::ptrdiff_t>(x),
                       row.begin() + static_cast<std::ptrdiff_t>(x + 3));
    }
    previous.swap(row);
  }
  return image;
}

}  // namespace ndxp::testing
