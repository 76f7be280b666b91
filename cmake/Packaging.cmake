# What `cmake --install` puts where, and the .deb that CPack builds from it
# (README, "Install as a Debian package"). The daemon's own folders are the
# Debian ones whatever the prefix: /etc/cdpbatch, /var/lib/cdpbatch,
# /var/log/cdpbatch; tools/debian/ and the unit name them too.
include(GNUInstallDirs)

install(TARGETS cdpbatchd cdpctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(CDP_INSTALLED_CONFIG ${CMAKE_BINARY_DIR}/packaging/config.toml)
add_custom_command(OUTPUT ${CDP_INSTALLED_CONFIG}
  COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_SOURCE_DIR}/config.toml -DOUT=${CDP_INSTALLED_CONFIG}
          -P ${CMAKE_SOURCE_DIR}/cmake/installed_config.cmake
  DEPENDS ${CMAKE_SOURCE_DIR}/config.toml ${CMAKE_SOURCE_DIR}/cmake/installed_config.cmake
  COMMENT "Making the installed config.toml from config.toml")
add_custom_target(installed_config ALL DEPENDS ${CDP_INSTALLED_CONFIG})

# The unit's ExecStart and the kept config are decided at install time, when
# the prefix is known (`cmake --install --prefix`, or /usr for the .deb).
install(CODE "
  set(CDP_UNIT_TEMPLATE [[${CMAKE_SOURCE_DIR}/tools/cdpbatchd.service.in]])
  set(CDP_UNIT_FILE [[${CMAKE_BINARY_DIR}/packaging/cdpbatchd.service]])
  set(CDP_INSTALLED_CONFIG [[${CDP_INSTALLED_CONFIG}]])
  set(CDP_RELATIVE_BINDIR [[${CMAKE_INSTALL_BINDIR}]])
  set(CDP_RELATIVE_DOCDIR [[${CMAKE_INSTALL_DOCDIR}]])")
install(SCRIPT ${CMAKE_SOURCE_DIR}/cmake/install_unit_and_config.cmake)
install(DIRECTORY DESTINATION /var/lib/cdpbatch)
install(DIRECTORY DESTINATION /var/log/cdpbatch)
# The default config beside the README: what a kept /etc/cdpbatch/config.toml
# is compared with after an upgrade.
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CDP_INSTALLED_CONFIG}
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CDP_PACKAGE_MAINTAINER "cdpbatch maintainers <root@localhost>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cdpbatch)
set(CPACK_PACKAGE_CONTACT ${CDP_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "monthly CDP batch daemon for many advertisers")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "monthly CDP batch daemon for many advertisers
 cdpbatchd runs the monthly customer-data-platform batch of every advertiser
 at once (one actor per advertiser, C++ Actor Framework), on SQLite or
 PostgreSQL, with a REST API, Prometheus metrics and the cdpctl admin console.
 The systemd unit is installed but not enabled.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
# dpkg-shlibdeps reads the Debian packages of the libraries the binaries link;
# adduser is for the postinst's system user.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS postgresql)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/tools/debian/postinst
  ${CMAKE_SOURCE_DIR}/tools/debian/prerm
  ${CMAKE_SOURCE_DIR}/tools/debian/postrm
  ${CMAKE_SOURCE_DIR}/tools/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Installed with DESTDIR under /usr, so /etc and /var land at the root of the
# package and the unit names /usr/bin/cdpbatchd.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
include(CPack)
