# Writes CONTENT to OUT unless OUT already holds it, so a generated source
# that did not change is not rebuilt.
function(cdp_write_if_changed out content)
  if(EXISTS ${out})
    file(READ ${out} old)
  endif()
  if(NOT "${old}" STREQUAL "${content}")
    file(WRITE ${out} "${content}")
  endif()
endfunction()

# cdp_text_source(OUT FUNCTION INPUT): writes a C++ source defining
# `std::string_view cdp::FUNCTION()` that returns INPUT's bytes, so a file
# ships inside the binary; cmake reruns when INPUT changes.
function(cdp_text_source out function input)
  file(READ ${input} text)
  cdp_write_if_changed(${out} "// Generated from ${input} by cmake/GenerateText.cmake; do not edit.\n#include <string_view>\nnamespace cdp {\nstd::string_view ${function}() {\n  return R\"cdpbatch(${text})cdpbatch\";\n}\n} // namespace cdp\n")
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${input})
endfunction()
