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
