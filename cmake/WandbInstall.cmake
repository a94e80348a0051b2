# Installs the library, its headers and a CMake package: find_package(wandb_image).
include(CMakePackageConfigHelpers)
install(TARGETS wandb_image EXPORT wandb_imageTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/wandb DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT wandb_imageTargets NAMESPACE wandb:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wandb_image)
configure_package_config_file(cmake/wandb_imageConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/wandb_imageConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wandb_image)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/wandb_imageConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/wandb_imageConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/wandb_imageConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/wandb_image)

# The TorchScript ops library (torch_ops/): wandb::image_ops after find_package,
# or torch.ops.load_library("<prefix>/lib/libwandb_image_ops.so") from Python.
install(TARGETS wandb_image_ops EXPORT wandb_imageTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES torch_ops/include/wandb/torch_ops.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wandb)

# The behaviour reference the headers point to, and the licence:
# <prefix>/share/doc/wandb_image/.
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
