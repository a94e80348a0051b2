# Installs the library, its headers and a CMake package: find_package(wandb_image).
include(CMakePackageConfigHelpers)
install(TARGETS wandb_image EXPORT wandb_imageTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/wandb DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES
  ${WANDB_IMAGE_GENERATED_INCLUDE_DIR}/wandb/export.h
  ${WANDB_IMAGE_GENERATED_INCLUDE_DIR}/wandb/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wandb)
install(EXPORT wandb_imageTargets NAMESPACE wandb:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wandb_image)
configure_package_config_file(cmake/wandb_imageConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/wandb_imageConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wandb_image)
# The package version is project(VERSION), as are version.h and the SONAME.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/wandb_imageConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/wandb_imageConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/wandb_imageConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wandb_image)

# The TorchScript ops library (torch_ops/): wandb::image_ops after find_package,
# or torch.ops.load_library("<prefix>/lib/libwandb_image_ops.so") from Python.
if(TARGET wandb_image_ops)
  install(TARGETS wandb_image_ops EXPORT wandb_imageTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES
    torch_ops/include/wandb/torch_ops.h
    ${WANDB_IMAGE_GENERATED_INCLUDE_DIR}/wandb/torch_ops_export.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wandb)
endif()

# The command-line tools.
if(TARGET wandb_image_inspect)
  install(TARGETS wandb_image_inspect wandb_image_preview RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The behaviour reference the headers point to, and the licence:
# <prefix>/share/doc/wandb_image/.
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
