# Installation: `cmake --install BUILD --prefix P` gives
#   P/include/ingot/ingot.h                  the only header
#   P/lib/libingot.so.* + links, libingot.a  (CMAKE_INSTALL_LIBDIR)
#   P/lib/cmake/ingot/                       find_package(ingot): ingot::ingot, ingot::ingot_static
#   P/lib/pkgconfig/ingot.pc                 pkg-config ingot (--static for libingot.a)
#   P/bin/                                   the apps (apps/CMakeLists.txt)
# Every file is relocatable: the prefix given at install time is the one that counts.
include(CMakePackageConfigHelpers)

set(INGOT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ingot)
set(INGOT_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/engine/include/ingot/ingot.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ingot)
install(TARGETS ingot_shared ingot_static EXPORT ingotTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT ingotTargets NAMESPACE ingot:: DESTINATION ${INGOT_CMAKE_DIR})

# The CMake package's version is the C API's (find_package(ingot 1) asks for API 1.x, and
# SameMajorVersion refuses another major). The release is ingot_RELEASE.
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ingotConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/ingotConfig.cmake
  INSTALL_DESTINATION ${INGOT_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR
  NO_CHECK_REQUIRED_COMPONENTS_MACRO)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/ingotConfigVersion.cmake
  VERSION ${INGOT_API_VERSION_MAJOR}.${INGOT_API_VERSION_MINOR}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/ingotConfig.cmake
              ${PROJECT_BINARY_DIR}/package/ingotConfigVersion.cmake
        DESTINATION ${INGOT_CMAKE_DIR})

# ingot.pc finds its prefix from its own place (${pcfiledir}), so it survives --prefix.
if(IS_ABSOLUTE "${INGOT_PKGCONFIG_DIR}")
  set(INGOT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH INGOT_PC_UP "/prefix/${INGOT_PKGCONFIG_DIR}" "/prefix")
  string(REGEX REPLACE "/$" "" INGOT_PC_UP "${INGOT_PC_UP}")
  set(INGOT_PC_PREFIX "\${pcfiledir}/${INGOT_PC_UP}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(INGOT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(INGOT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(INGOT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(INGOT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/ingot.pc.in ${PROJECT_BINARY_DIR}/package/ingot.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/ingot.pc DESTINATION ${INGOT_PKGCONFIG_DIR})
