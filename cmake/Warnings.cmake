# One central warning list; -Werror in CI (NDXP_WERROR=ON), sanitizer builds
# with -DNDXP_SANITIZER=address|thread|undefined.
option(NDXP_WERROR "Treat warnings as errors" OFF)
set(NDXP_SANITIZER "" CACHE STRING "address, thread or undefined")

set(NDXP_WARNINGS -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
    -Wno-unused-parameter)
if(NDXP_WERROR)
  list(APPEND NDXP_WARNINGS -Werror)
endif()

if(NDXP_SANITIZER)
  add_compile_options(-fsanitize=${NDXP_SANITIZER} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${NDXP_SANITIZER})
endif()

# Applies the project's warnings to a target of ours (never to generated code).
function(ndxp_warnings target)
  target_compile_options(${target} PRIVATE ${NDXP_WARNINGS})
endfunction()
