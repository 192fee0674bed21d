# gauntlet_module(): one CMake library target per owner module, in the spirit of Abseil's
# absl_cc_library. Every module is recorded in a manifest that the layering test
# (cmake/CheckLayering.cmake) reads to prove that no source includes a header of a module it
# does not depend on.
#
#   gauntlet_module(<name>
#     SRCS        <.hpp and .cpp files, relative to the calling directory>
#     DEPS        <gauntlet modules this one calls, by name>
#     EXTERNAL    <imported targets of Debian packages>
#     VISIBLE_TO  <the only modules allowed to depend on this one; empty = anyone>)
#
# Creates the target gauntlet_<name> with the alias gauntlet::<name>.

function(gauntlet_module name)
  cmake_parse_arguments(M "" "" "SRCS;DEPS;EXTERNAL;VISIBLE_TO" ${ARGN})
  set(sources "")
  set(has_cpp FALSE)
  foreach(src IN LISTS M_SRCS)
    get_filename_component(abs "${src}" ABSOLUTE)
    list(APPEND sources "${abs}")
    if(abs MATCHES "\\.cpp$")
      set(has_cpp TRUE)
    endif()
  endforeach()
  set(dep_targets "")
  foreach(dep IN LISTS M_DEPS)
    list(APPEND dep_targets gauntlet::${dep})
  endforeach()

  if(has_cpp)
    add_library(gauntlet_${name} STATIC ${sources})
    target_include_directories(gauntlet_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(gauntlet_${name} PUBLIC ${dep_targets} ${M_EXTERNAL})
  else()
    add_library(gauntlet_${name} INTERFACE ${sources})
    target_include_directories(gauntlet_${name} INTERFACE "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(gauntlet_${name} INTERFACE ${dep_targets} ${M_EXTERNAL})
  endif()
  add_library(gauntlet::${name} ALIAS gauntlet_${name})

  set_property(GLOBAL APPEND PROPERTY GAUNTLET_MODULES ${name})
  set_property(GLOBAL PROPERTY GAUNTLET_MODULE_${name}_DEPS "${M_DEPS}")
  set_property(GLOBAL PROPERTY GAUNTLET_MODULE_${name}_SRCS "${sources}")
  set_property(GLOBAL PROPERTY GAUNTLET_MODULE_${name}_VISIBLE_TO "${M_VISIBLE_TO}")
endfunction()

# gauntlet_app(<name> SRCS ... DEPS ... EXTERNAL ...): an executable at the top of the graph,
# recorded in the manifest like a module so the layering test covers its includes too.
function(gauntlet_app name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS;EXTERNAL" ${ARGN})
  set(sources "")
  foreach(src IN LISTS A_SRCS)
    get_filename_component(abs "${src}" ABSOLUTE)
    list(APPEND sources "${abs}")
  endforeach()
  set(dep_targets "")
  foreach(dep IN LISTS A_DEPS)
    list(APPEND dep_targets gauntlet::${dep})
  endforeach()
  add_executable(${name} ${sources})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(${name} PRIVATE ${dep_targets} ${A_EXTERNAL})
  set_property(GLOBAL APPEND PROPERTY GAUNTLET_MODULES app_${name})
  set_property(GLOBAL PROPERTY GAUNTLET_MODULE_app_${name}_DEPS "${A_DEPS}")
  set_property(GLOBAL PROPERTY GAUNTLET_MODULE_app_${name}_SRCS "${sources}")
endfunction()

# Checks VISIBLE_TO at configure time (a forbidden link edge fails the configure step) and
# writes the manifest the layering test reads. Call once, after every module is declared.
function(gauntlet_finish_modules)
  get_property(modules GLOBAL PROPERTY GAUNTLET_MODULES)
  set(manifest "set(GAUNTLET_SOURCE_ROOT \"${PROJECT_SOURCE_DIR}/src\")\n")
  string(APPEND manifest "set(GAUNTLET_MODULES \"${modules}\")\n")
  foreach(name IN LISTS modules)
    get_property(deps GLOBAL PROPERTY GAUNTLET_MODULE_${name}_DEPS)
    get_property(srcs GLOBAL PROPERTY GAUNTLET_MODULE_${name}_SRCS)
    foreach(dep IN LISTS deps)
      if(NOT dep IN_LIST modules)
        message(FATAL_ERROR "module ${name} depends on unknown module ${dep}")
      endif()
      get_property(visible GLOBAL PROPERTY GAUNTLET_MODULE_${dep}_VISIBLE_TO)
      if(visible AND NOT name IN_LIST visible)
        message(FATAL_ERROR
          "module ${name} may not depend on ${dep}: only ${visible} may (golden rule)")
      endif()
    endforeach()
    string(APPEND manifest "set(GAUNTLET_MODULE_${name}_DEPS \"${deps}\")\n")
    string(APPEND manifest "set(GAUNTLET_MODULE_${name}_SRCS \"${srcs}\")\n")
  endforeach()
  file(WRITE "${PROJECT_BINARY_DIR}/gauntlet_modules.cmake" "${manifest}")
endfunction()
