# One central warning list; -Werror in CI (NDXP_WERROR=ON).
option(NDXP_WERROR "Treat warnings as errors" OFF)

set(NDXP_WARNINGS -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
    -Wno-unused-parameter)
if(NDXP_WERROR)
  list(APPEND NDXP_WARNINGS -Werror)
endif()

# Applies the project's warnings to a target of ours (never to generated code).
function(ndxp_warnings target)
  target_compile_options(${target} PRIVATE ${NDXP_WARNINGS})
endfunction()
