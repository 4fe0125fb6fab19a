// Reading a PNG screenshot back into pixels, so that a test can say what a
// real browser drew (colours present, size) rather than trusting the HTML.
// Handles what Chromium's --screenshot writes: 8-bit RGB or RGBA, not
// interlaced.
//
// Example:
//   absl::StatusOr<PngImage> png = ReadPng("report.png");
//   EXPECT_GT(png->CountPixels(0x1f, 0x4e, 0x8c), 1000);  // the bars
#ifndef NDXP_TESTS_TESTING_PNG_IMAGE_H_
#define NDXP_TESTS_TESTING_PNG_IMAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ndxp::testing {

struct PngImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3, row by row

  // Pixels whose colour is within `tolerance` of (r, g, b) on each channel.
  int64_t CountPixels(int r, int g, int b, int tolerance = 2) const;
};

// INVALID_ARGUMENT for anything but an 8-bit RGB(A) non-interlaced PNG.
absl::StatusOr<PngImage> ReadPng(const std::string& path);

}  // namespace ndxp::testing

#endif  // NDXP_TESTS_TESTING_PNG_IMAGE_H_
