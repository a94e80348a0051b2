# Finds the project's dependencies (Debian 12 packages, or a LibTorch zip through
# CMAKE_PREFIX_PATH / Torch_DIR).
include(GNUInstallDirs)
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(ZLIB REQUIRED)
find_package(PNG REQUIRED)
find_package(Protobuf REQUIRED)
# libdeflate (Debian libdeflate-dev) ships a pkg-config file, no CMake package.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)

# Imported targets are visible only in the directory that found them and below.
# Under add_subdirectory/FetchContent, a parent linking wandb::image resolves
# torch, opencv_core, ... (and what they bring: torch_cpu, c10, protobuf::...)
# in its own directory, so every imported target found here is made global.
# (find_package(... GLOBAL) needs CMake 3.24; this works from 3.21.)
get_property(wandb_image_imported DIRECTORY PROPERTY IMPORTED_TARGETS)
foreach(target IN LISTS wandb_image_imported)
  get_property(global TARGET ${target} PROPERTY IMPORTED_GLOBAL)
  if(NOT global)
    set_property(TARGET ${target} PROPERTY IMPORTED_GLOBAL TRUE)
  endif()
endforeach()
