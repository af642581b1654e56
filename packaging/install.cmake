# install.cmake: what `make install` / `cmake --install` put where, and the Debian package
# (`make deb`, CPack). Included by the top-level CMakeLists.txt. docs/install.md explains the
# layout; every path below is relative to the prefix except configuration and state.

# Configuration and state follow the FHS whatever the prefix (/usr/local or /usr): /etc/tmfinv
# and /var/lib/tmfinv, as the unit and the Debian package expect. Give
# -DCMAKE_INSTALL_SYSCONFDIR=... or -DCMAKE_INSTALL_LOCALSTATEDIR=... to change them.
set(CMAKE_INSTALL_SYSCONFDIR /etc CACHE PATH "read-only single-machine data (tmfinv.ini goes in its tmfinv/)")
set(CMAKE_INSTALL_LOCALSTATEDIR /var CACHE PATH "modifiable single-machine data (the store goes in lib/tmfinv/)")
include(GNUInstallDirs)

install(TARGETS tmfinv tmfinv-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/data/profiles DESTINATION ${CMAKE_INSTALL_DATADIR}/tmfinv
        FILES_MATCHING PATTERN "*.json")
install(FILES ${CMAKE_SOURCE_DIR}/data/openapi.json DESTINATION ${CMAKE_INSTALL_DATADIR}/tmfinv)
# The official TMF v4 specifications POST validates against, with their licence and sources.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/data/tmf DESTINATION ${CMAKE_INSTALL_DATADIR}/tmfinv
        FILES_MATCHING PATTERN "*.json" PATTERN "LICENSE-*" PATTERN "README.md")
# The dashboard's files (served under /ui/, docs/dashboard.md).
install(DIRECTORY ${CMAKE_SOURCE_DIR}/data/ui DESTINATION ${CMAKE_INSTALL_DATADIR}/tmfinv
        FILES_MATCHING PATTERN "*.html" PATTERN "*.js" PATTERN "*.css" PATTERN "*.svg" PATTERN "*.png")
# The example configuration never replaces an operator's file: when one is there, the example
# goes beside it as tmfinv.ini.example (the Debian package has dpkg's conffile handling).
# (file(INSTALL) adds DESTDIR itself; the check must add it.)
install(CODE "set(conf \"${CMAKE_INSTALL_FULL_SYSCONFDIR}/tmfinv\")
if(EXISTS \"\$ENV{DESTDIR}\${conf}/tmfinv.ini\")
  message(STATUS \"Keeping: \$ENV{DESTDIR}\${conf}/tmfinv.ini (the example goes to tmfinv.ini.example)\")
  file(INSTALL \"${CMAKE_SOURCE_DIR}/packaging/tmfinv.ini\" DESTINATION \"\${conf}\" RENAME tmfinv.ini.example)
else()
  file(INSTALL \"${CMAKE_SOURCE_DIR}/packaging/tmfinv.ini\" DESTINATION \"\${conf}\")
endif()")
install(DIRECTORY DESTINATION ${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/tmfinv)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/tmfinv.sysusers DESTINATION lib/sysusers.d RENAME tmfinv.conf)

# Man pages (man/*.1, man/*.5) and bash completion (completion/): installed when present.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL
        FILES_MATCHING PATTERN "*.1")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man5 OPTIONAL
        FILES_MATCHING PATTERN "*.5")
# bash-completion loads completions/NAME when NAME is first completed: the file is named tmfinv.
foreach(name tmfinv.bash tmfinv)
  if(EXISTS ${CMAKE_SOURCE_DIR}/completion/${name})
    install(FILES ${CMAKE_SOURCE_DIR}/completion/${name} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
            RENAME tmfinv)
    break()
  endif()
endforeach()

# The systemd unit, with ExecStart and -c naming this installation's paths: written at install
# time because `cmake --install --prefix` and CPack choose the prefix only then.
install(CODE "set(TMFINV_UNIT_SOURCE \"${CMAKE_SOURCE_DIR}/packaging/tmfinv.service\")
set(TMFINV_INSTALL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(TMFINV_INSTALL_SYSCONFDIR \"${CMAKE_INSTALL_FULL_SYSCONFDIR}\")
set(TMFINV_INSTALL_LOCALSTATEDIR \"${CMAKE_INSTALL_FULL_LOCALSTATEDIR}\")")
install(SCRIPT ${CMAKE_SOURCE_DIR}/packaging/install_unit.cmake)

# The Debian package: `make deb` (build-deb/tmfinv_VERSION_ARCH.deb).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tmfinv)
set(CPACK_PACKAGE_VENDOR tmfinv)
set(CPACK_PACKAGE_CONTACT "tmfinv maintainers <tmfinv@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "mirror of TMF638/TMF639 inventories with a TMF and REST API")
set(CPACK_PACKAGE_DESCRIPTION "tmfinv mirrors TMF638 service and TMF639 resource inventories into a typed
local SQLite store, keeps their history, and serves them over HTTP (TMF v4 and /api/v1).
Includes tmfinv-sim, a TMF inventory simulator for trials and tests.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/packaging/debian/prerm ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
