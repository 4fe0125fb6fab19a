# Sanitizer builds: -DNDXP_SANITIZER=address,undefined (ASan+UBSan) or thread
# (TSan), each in a build directory of its own. scripts/sanitized runs a
# command (the suite: `make test-asan`, `make test-tsan`) with the runtime
# options and suppressions of tests/sanitizers/ and fails on any report.
set(NDXP_SANITIZER "" CACHE STRING "address,undefined, thread, address or undefined")

if(NDXP_SANITIZER)
  # Every finding stops the process: a UBSan report fails its test as an ASan one does.
  add_compile_options(-fsanitize=${NDXP_SANITIZER} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${NDXP_SANITIZER})
endif()

if(NDXP_SANITIZER MATCHES "thread")
  # Debian's Abseil is not built with TSan: every target gets the library that
  # shows TSan what absl::Mutex and friends do (see the source).
  add_library(ndxp_absl_mutex_tsan SHARED tests/sanitizers/absl_mutex_tsan.cc)
  target_link_libraries(ndxp_absl_mutex_tsan PRIVATE absl::synchronization ${CMAKE_DL_LIBS})
  ndxp_warnings(ndxp_absl_mutex_tsan)
  link_libraries(ndxp_absl_mutex_tsan)
endif()
