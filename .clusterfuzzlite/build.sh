#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: compilers, sanitizer flags and the fuzzing engine come
# from $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE; targets, dictionaries, options and
# zipped seed corpora go to $OUT. Runs from the source tree (the Dockerfile's WORKDIR).
ROOT="$(pwd)"
[ -f "$ROOT/fuzz/CMakeLists.txt" ] || ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${WORK:-/tmp}/normcheck-fuzz-build"
CC="${CC:-${CXX/clang++/clang}}"
CFLAGS="${CFLAGS:-$CXXFLAGS}"
mkdir -p "$OUT/lib"

cmake -S "$ROOT" -B "$BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_BUILD_RPATH='$ORIGIN/lib' \
  -DNORMCHECK_FUZZ=ON -DNORMCHECK_FUZZ_EXTERNAL_FLAGS=ON \
  -DNORMCHECK_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DNORMCHECK_TESTS=OFF -DNORMCHECK_BENCH=OFF -DNORMCHECK_ONEDNN=OFF
cmake --build "$BUILD" --target normcheck_fuzzers -j "$(nproc)"

targets=(layernorm_fuzzer rmsnorm_fuzzer backward_fuzzer case_parser_fuzzer plugin_validation_fuzzer)
for target in "${targets[@]}"; do
  dir="$BUILD/fuzz"
  cp "$dir/$target" "$OUT/"
  for extra in dict options; do
    [ -f "$dir/$target.$extra" ] && cp "$dir/$target.$extra" "$OUT/"
  done
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "$dir/${target}_seed_corpus" && cmake -E tar cf "$OUT/${target}_seed_corpus.zip" --format=zip -- .)
done
cp "$BUILD/fuzz/libnormcheck_fuzz_table_plugin.so" "$OUT/"

# The runner image has none of the build's libraries: ship the non-system ones beside
# the targets (found through the $ORIGIN/lib rpath above).
ldd "$OUT/layernorm_fuzzer" | awk '/=> \// {print $3}' | grep -v "^$OUT/" |
  grep -E 'lib(gmp|gmpxx|mpfr|fmt|tomlplusplus)\.so' | xargs -r cp -L -t "$OUT/lib/"
