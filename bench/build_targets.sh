# Sourced by the benchmark scripts, from the project root: the set-up, then
# a build of the given targets (Release unless CDPBATCH_BUILD_TYPE says
# otherwise, in a tree configured once).
bench_build() {
  tools/setup.sh >/dev/null
  if [[ ! -f build/CMakeCache.txt ]]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE="${CDPBATCH_BUILD_TYPE:-Release}" >/dev/null
  fi
  cmake --build build -j "$(nproc)" --target "$@" >/dev/null
}
