# install_unit.cmake: run by `cmake --install` (install(SCRIPT)); writes tmfinv.service into
# PREFIX/lib/systemd/system with this installation's binary and configuration paths. The unit
# in the repository names /usr/bin and /etc/tmfinv (the Debian package's paths).
file(READ "${TMFINV_UNIT_SOURCE}" unit)
string(REPLACE "=/usr/bin/tmfinv " "=${CMAKE_INSTALL_PREFIX}/${TMFINV_INSTALL_BINDIR}/tmfinv " unit "${unit}")
string(REPLACE " /etc/tmfinv/" " ${TMFINV_INSTALL_SYSCONFDIR}/tmfinv/" unit "${unit}")
string(REPLACE "=/var/lib/tmfinv" "=${TMFINV_INSTALL_LOCALSTATEDIR}/lib/tmfinv" unit "${unit}")
set(dir "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
message(STATUS "Installing: ${dir}/tmfinv.service")
file(MAKE_DIRECTORY "${dir}")
file(WRITE "${dir}/tmfinv.service" "${unit}")
