# install.cmake — what `cmake --install` puts under the prefix:
#   include/qkv/...                  the headers, in the source tree's layout (qkv's headers
#                                    include each other as "tensor/tensor.h", relative to it)
#   lib/libqkv.a (or .so)            the library
#   lib/cmake/qkv/                   the package find_package(qkv) reads (target qkv::qkv)
#   lib/pkgconfig/qkv.pc             the same for builds without CMake
#   bin/qkv                          the command line, when it is built
#   share/doc/qkv/LICENSE            the code's licence (the Multi30k data has its own)
include(CMakePackageConfigHelpers)

install(TARGETS qkv EXPORT qkvTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir ${QKV_LIBRARY_DIRS})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qkv
          FILES_MATCHING PATTERN "*.h" PATTERN "multi30k" EXCLUDE)
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/qkv.h ${PROJECT_BINARY_DIR}/generated/qkv_version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qkv)

set(QKV_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/qkv)
install(EXPORT qkvTargets NAMESPACE qkv:: DESTINATION ${QKV_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/qkvConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/generated/qkvConfig.cmake INSTALL_DESTINATION ${QKV_CMAKE_DIR})
# 0.x: a new minor version may change the API, so only the same minor version satisfies a request.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/generated/qkvConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/generated/qkvConfig.cmake ${PROJECT_BINARY_DIR}/generated/qkvConfigVersion.cmake
        DESTINATION ${QKV_CMAKE_DIR})

# qkv.pc finds the prefix from its own place (${pcfiledir}), so `cmake --install --prefix DIR`
# works for any DIR without reconfiguring.
file(RELATIVE_PATH QKV_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
set(QKV_PC_SENTENCEPIECE "")
if(QKV_HAVE_SENTENCEPIECE)
  set(QKV_PC_SENTENCEPIECE "sentencepiece")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/qkv.pc.in ${PROJECT_BINARY_DIR}/generated/qkv.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/generated/qkv.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET qkv_cli)
  install(TARGETS qkv_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
