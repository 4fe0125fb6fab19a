# One central warning list; -Werror in CI (NDXP_WERROR=ON).
option(NDXP_WERROR "Treat warnings as errors" OFF)

# A local shadowing a local: GCC's -Wshadow=local. Clang has no such option
# and with -Werror fails on it (the fuzzer builds), so clang goes without.
set(NDXP_SHADOW_WARNING "")
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(NDXP_SHADOW_WARNING -Wshadow=local)
endif()
set(NDXP_WARNINGS -Wall -Wextra -Wpedantic ${NDXP_SHADOW_WARNING} -Wnon-virtual-dtor
    -Wno-unused-parameter)
if(NDXP_WERROR)
  list(APPEND NDXP_WARNINGS -Werror)
endif()

# libFuzzer builds (clang): our own targets (those given ndxp_warnings) are
# compiled with libFuzzer's coverage and ASan+UBSan (a UB report aborts), so a
# fuzzer sees into the libraries it calls, not only into its own file; the
# generated protobuf code is left uninstrumented, which keeps the build short.
# tests/fuzz links each fuzzer's main.
option(NDXP_FUZZ "Build libFuzzer binaries (clang only)" OFF)
if(NDXP_FUZZ)
  set(NDXP_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined
      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Applies the project's warnings to a target of ours (never to generated code).
function(ndxp_warnings target)
  target_compile_options(${target} PRIVATE ${NDXP_WARNINGS} ${NDXP_FUZZ_FLAGS})
endfunction()
