# The one place that finds ndxp's dependencies (Debian 12 packages).
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(GTest REQUIRED)
find_package(ZLIB REQUIRED)  # tests read PNG screenshots back

find_program(NDXP_PROTOC protoc REQUIRED)
find_program(NDXP_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
# Definitions of gRPC's own services (health, reflection): Debian's grpc-proto.
set(NDXP_GRPC_PROTO_DIR /usr/share/grpc-proto CACHE PATH "gRPC's .proto files")
# Only the test that the protos generate Go uses it (Debian's protoc-gen-go).
find_program(NDXP_PROTOC_GEN_GO protoc-gen-go)
# Tests render pages in a real headless browser (Debian's chromium).
find_program(NDXP_CHROMIUM chromium)
# The one command-line parser of every binary (Debian's libcli11-dev, header-only).
find_package(CLI11 CONFIG REQUIRED)
# The one logging library of every binary (Debian's libspdlog-dev 1.10, on libfmt).
find_package(spdlog CONFIG REQUIRED)
# The hub's transport: nghttp2 (HTTP/2 frames) and libev (one loop per core).
find_package(PkgConfig REQUIRED)
pkg_check_modules(nghttp2 REQUIRED IMPORTED_TARGET libnghttp2>=1.52)
find_path(NDXP_LIBEV_INCLUDE_DIR ev.h REQUIRED)
find_library(NDXP_LIBEV_LIBRARY ev REQUIRED)
# The JSON door's HTTP/1.1 requests: Debian's libhttp-parser-dev (2.9.4), the
# parser nghttpx and Node.js kept for years; no pkg-config file in Debian.
find_path(NDXP_HTTP_PARSER_INCLUDE_DIR http_parser.h)
find_library(NDXP_HTTP_PARSER_LIBRARY http_parser)
if(NOT NDXP_HTTP_PARSER_INCLUDE_DIR OR NOT NDXP_HTTP_PARSER_LIBRARY)
  message(FATAL_ERROR "http_parser.h or libhttp_parser not found: install Debian's "
                      "libhttp-parser-dev (scripts/install-deps installs it)")
endif()
# The hub's allocator: tcmalloc's per-thread caches (Debian's
# libgoogle-perftools-dev, gperftools 2.10) in place of glibc's malloc, whose
# arena locking and chunk consolidation were a tenth of the hub's samples
# under load (BENCHMARKS.md). Not in sanitizer builds, which bring their own.
if(NOT NDXP_SANITIZER)
  pkg_check_modules(tcmalloc REQUIRED IMPORTED_TARGET libtcmalloc_minimal)
endif()
# The hub's admin listener (HTTP/1.1): Debian's libcpp-httplib-dev, built with OpenSSL.
pkg_check_modules(httplib REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)
