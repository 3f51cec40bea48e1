# The sanitizer build that scripts/sanitize.sh and scripts/fuzz-smoke.sh share (sourced by both):
# clang, AddressSanitizer + UBSan with every report fatal, and libFuzzer coverage on every
# library so the fuzz targets of tests/fuzz are guided through the code they test.
#   sanitizer_dir          build/fuzz (-O0: what CI runs, the fastest to build), or with
#                          FUZZ_OPT=1 build/fuzz-opt (-O1: fuzzes 2-6x faster, builds 2x slower)
#   sanitizer_build T…     configures sanitizer_dir and builds targets T… (everything without any)

sanitizer_dir=build/fuzz
sanitizer_opt=-O0
if [ "${FUZZ_OPT:-0}" = 1 ]; then
  sanitizer_dir=build/fuzz-opt
  sanitizer_opt=-O1
fi

sanitizer_build() {
  command -v clang++ >/dev/null || { echo "sanitizer build: clang++ missing (scripts/install-deps.sh installs it)" >&2; return 1; }
  # -fno-sanitize=function: clang 14 cannot emit its checks for coroutines (federation/service.cpp:
  # "Cannot represent a difference across sections", llvm/llvm-project#49689). The sanitizers
  # go in CMAKE_CXX_FLAGS, not CHATNODE_SANITIZE, which would come later on the command line
  # and switch it back on.
  local sanitize="-fsanitize=address,undefined -fno-sanitize=function -fno-sanitize-recover=all -fno-omit-frame-pointer"
  cmake -S . -B "$sanitizer_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="$sanitizer_opt -g" \
    -DCMAKE_CXX_FLAGS="$sanitize -fsanitize=fuzzer-no-link" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DCHATNODE_SANITIZE= \
    -DCHATNODE_BUILD_BENCH=OFF >/dev/null
  if [ $# -eq 0 ]; then
    cmake --build "$sanitizer_dir"
  else
    cmake --build "$sanitizer_dir" --target "$@"
  fi
}

# Sanitizer reports end the process with an error; leaks are reported at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
