# Run by `cmake --install` (see Packaging.cmake, which sets the CDP_ paths).
set(CDP_BINDIR "${CMAKE_INSTALL_PREFIX}/${CDP_RELATIVE_BINDIR}")
set(CDP_DOCDIR "${CMAKE_INSTALL_PREFIX}/${CDP_RELATIVE_DOCDIR}")
configure_file("${CDP_UNIT_TEMPLATE}" "${CDP_UNIT_FILE}" @ONLY)
file(INSTALL "${CDP_UNIT_FILE}" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")

# An operator's config is never overwritten; the new default is in the docs.
if(EXISTS "$ENV{DESTDIR}/etc/cdpbatch/config.toml")
  message(STATUS "Keeping: $ENV{DESTDIR}/etc/cdpbatch/config.toml (the new default is "
                 "${CDP_DOCDIR}/config.toml)")
else()
  file(INSTALL "${CDP_INSTALLED_CONFIG}" DESTINATION /etc/cdpbatch)
endif()
