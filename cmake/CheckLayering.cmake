cmake_minimum_required(VERSION 3.25)
# Layering test, run as `cmake -DMANIFEST=<build>/gauntlet_modules.cmake -P CheckLayering.cmake`.
# Fails when a source file includes a project header that belongs to a module its module does
# not (transitively) depend on, a header that belongs to no module, or Asio directly instead of
# through core/asio.hpp (Boost 1.74 + GCC 12 needs <utility> first; see ARCHITECTURE.md).
include("${MANIFEST}")

# Map every header (path relative to src/) to its module.
foreach(name IN LISTS GAUNTLET_MODULES)
  foreach(src IN LISTS GAUNTLET_MODULE_${name}_SRCS)
    file(RELATIVE_PATH rel "${GAUNTLET_SOURCE_ROOT}" "${src}")
    string(MAKE_C_IDENTIFIER "${rel}" key)
    set(owner_${key} "${name}")
  endforeach()
endforeach()

# Transitive dependency closure of one module, into closure_<name>.
function(close_over name)
  set(seen "${name}")
  set(queue ${GAUNTLET_MODULE_${name}_DEPS})
  while(queue)
    list(POP_FRONT queue current)
    if(NOT current IN_LIST seen)
      list(APPEND seen "${current}")
      list(APPEND queue ${GAUNTLET_MODULE_${current}_DEPS})
    endif()
  endwhile()
  set(closure_${name} "${seen}" PARENT_SCOPE)
endfunction()

set(problems "")
foreach(name IN LISTS GAUNTLET_MODULES)
  close_over(${name})
  foreach(src IN LISTS GAUNTLET_MODULE_${name}_SRCS)
    file(RELATIVE_PATH rel "${GAUNTLET_SOURCE_ROOT}" "${src}")
    file(STRINGS "${src}" lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS lines)
      if(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
        set(included "${CMAKE_MATCH_1}")
        string(MAKE_C_IDENTIFIER "${included}" key)
        if(NOT DEFINED owner_${key})
          list(APPEND problems "src/${rel}: includes \"${included}\", which belongs to no module")
        elseif(NOT owner_${key} IN_LIST closure_${name})
          list(APPEND problems
            "src/${rel}: includes \"${included}\" of module ${owner_${key}}, but ${name} does not depend on it")
        endif()
      elseif(line MATCHES "#[ \t]*include[ \t]*<boost/asio" AND NOT rel STREQUAL "core/asio.hpp")
        list(APPEND problems "src/${rel}: includes Asio directly; include \"core/asio.hpp\"")
      endif()
    endforeach()
  endforeach()
endforeach()

if(problems)
  list(JOIN problems "\n  " text)
  message(FATAL_ERROR "layering violations:\n  ${text}")
endif()
list(LENGTH GAUNTLET_MODULES count)
message(STATUS "layering ok: ${count} modules")
