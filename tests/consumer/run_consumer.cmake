# ctest driver of the consumer project (cmake -P). Variables:
#   SOURCE_DIR   the wandb-image source tree
#   WORK_DIR     scratch folder, recreated on every run
#   MODE         "subdirectory" (add_subdirectory of SOURCE_DIR) or "package"
#                (cmake --install of BUILD_DIR into WORK_DIR/prefix, then find_package)
#   BUILD_DIR    the wandb-image build tree (package mode)
#   GENERATOR, CXX_COMPILER, PREFIX_PATH, TORCH_DIR   as in that build
#   LAUNCHER     the build's compiler launcher (ccache), when it has one
# PREFIX_PATH and LAUNCHER come with "|" between their items.
# Configures the consumer in Debug, builds only `app`, runs it; then
# reconfigures with an empty build type and checks the parent's cache still
# holds it empty (a subproject forcing "Release" into it would show here).
cmake_minimum_required(VERSION 3.21)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "consumer: `${command}`: expected exit code 0, got ${rc}")
  endif()
endfunction()

function(expect_cached_build_type expected)
  file(STRINGS ${WORK_DIR}/build/CMakeCache.txt line REGEX "^CMAKE_BUILD_TYPE:")
  if(NOT line STREQUAL "CMAKE_BUILD_TYPE:STRING=${expected}")
    message(FATAL_ERROR "consumer: parent's cache: expected "
      "CMAKE_BUILD_TYPE:STRING=${expected}, got '${line}'")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(args -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
if(LAUNCHER)
  string(REPLACE "|" ";" LAUNCHER "${LAUNCHER}")
  set(ENV{CMAKE_CXX_COMPILER_LAUNCHER} "${LAUNCHER}")
endif()
if(TORCH_DIR)
  list(APPEND args "-DTorch_DIR=${TORCH_DIR}")
endif()
string(REPLACE "|" ";" prefix_path "${PREFIX_PATH}")
if(MODE STREQUAL "subdirectory")
  list(APPEND args "-DWANDB_IMAGE_SOURCE_DIR=${SOURCE_DIR}")
elseif(MODE STREQUAL "package")
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  list(PREPEND prefix_path ${WORK_DIR}/prefix)
else()
  message(FATAL_ERROR "consumer: MODE: expected subdirectory or package, got '${MODE}'")
endif()
# Through the environment: no list quoting across execute_process.
if(prefix_path)
  list(JOIN prefix_path ":" prefix_path)
  set(ENV{CMAKE_PREFIX_PATH} "${prefix_path}")
endif()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build
  -DCMAKE_BUILD_TYPE=Debug ${args})
expect_cached_build_type(Debug)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --target app --parallel 2)
run(${WORK_DIR}/build/app ${WORK_DIR}/runs Debug)

run(${CMAKE_COMMAND} -DCMAKE_BUILD_TYPE= ${WORK_DIR}/build)
expect_cached_build_type("")
