#!/usr/bin/env bash
# tests/package/package.sh BUILD_DIR SOURCE_DIR
# The installed package, as an outside user gets it: installs BUILD_DIR into a fresh temporary
# prefix, checks the tree and the shared library's exports and SONAME, builds
# tests/package/consumer.c (pure C99, -Wall -Werror -pedantic) against the prefix with
# find_package(ingot) and with pkg-config, each shared and static, and runs every variant
# (greedy stories260K must give the golden ids). Exits non-zero naming the failed step; 77
# (skipped) when everything passed but the model is missing (INGOT_REQUIRE_ASSETS unset).
set -uo pipefail
if [ $# -ne 2 ]; then
  echo "usage: package.sh BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
CC=${CC:-gcc}
CFLAGS="-std=c99 -Wall -Werror -pedantic"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ingot-package.XXXXXX")
[ -n "${INGOT_KEEP_PACKAGE_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
log=$tmp/log

step() { echo "== $*"; }
die() {
  echo "package: FAILED at step: $*"
  exit 1
}
# Runs a command quietly; on failure shows its output and fails the step.
quiet() {
  local what=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    die "$what"
  fi
}

step "install $build into a fresh prefix $prefix"
quiet "cmake --install" cmake --install "$build" --prefix "$prefix"
libdir_rel=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build/CMakeCache.txt")
libdir=$prefix/${libdir_rel:-lib}
api_major=$(sed -n 's/^#define INGOT_API_VERSION_MAJOR \([0-9][0-9]*\).*/\1/p' "$src/engine/include/ingot/ingot.h")
[ -n "$api_major" ] || die "read INGOT_API_VERSION_MAJOR from ingot.h"

step "check the installed tree"
headers=$(cd "$prefix" && find include -type f -o -type l | sort)
[ "$headers" = "include/ingot/ingot.h" ] || { echo "installed headers: $headers"; die "only include/ingot/ingot.h is installed as a header"; }
for f in "$libdir/libingot.so" "$libdir/libingot.so.$api_major" "$libdir/libingot.a" \
    "$libdir/cmake/ingot/ingotConfig.cmake" "$libdir/cmake/ingot/ingotConfigVersion.cmake" \
    "$libdir/cmake/ingot/ingotTargets.cmake" "$libdir/pkgconfig/ingot.pc"; do
  [ -e "$f" ] || die "installed tree: $f is missing"
done
[ -L "$libdir/libingot.so" ] && [ -L "$libdir/libingot.so.$api_major" ] || die "installed tree: libingot.so and libingot.so.$api_major are symlinks"
real=$(readlink -f "$libdir/libingot.so")
[ -f "$real" ] && [ "$(dirname "$real")" = "$(readlink -f "$libdir")" ] || die "installed tree: libingot.so resolves to a file in $libdir"
for app in run-model perplexity quantize inspect tokenize bench; do
  [ -x "$prefix/bin/$app" ] || die "installed tree: bin/$app is missing"
done
echo "ok: include/ingot/ingot.h only; $(cd "$libdir" && ls -d libingot* | tr '\n' ' '); cmake package; ingot.pc; bin/"

step "libingot.so exports only ingot_* (nm -D --defined-only)"
nm -D --defined-only "$libdir/libingot.so" >"$tmp/symbols" 2>"$log" || { cat "$log"; die "nm -D libingot.so"; }
awk '{print $NF}' "$tmp/symbols" | sort >"$tmp/names"
others=$(grep -v '^ingot_' "$tmp/names")
[ -z "$others" ] || { echo "exported symbols that are not ingot_*:"; echo "$others" | head -20; die "only ingot_* symbols exported"; }
for sym in ingot_model_load ingot_session_generate ingot_last_error; do
  grep -qx "$sym" "$tmp/names" || die "libingot.so exports $sym"
done
echo "ok: $(wc -l <"$tmp/names") symbols, all ingot_*"

step "libingot.a holds the C API and every library's objects"
nm --defined-only "$libdir/libingot.a" >"$tmp/archive" 2>"$log" || { cat "$log"; die "nm libingot.a"; }
for sym in ingot_model_load ingot_session_generate; do
  grep -q " T $sym\$" "$tmp/archive" || die "libingot.a defines $sym"
done
for obj in c_api.cpp.o forward_int8.cpp.o gguf_reader.cpp.o dispatch.cpp.o; do
  grep -q "^$obj:" "$tmp/archive" || die "libingot.a holds $obj"
done
echo "ok: $(grep -c '\.o:$' "$tmp/archive") objects"

step "SONAME is libingot.so.$api_major"
soname=$(readelf -d "$libdir/libingot.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = "libingot.so.$api_major" ] || die "SONAME is '$soname', not libingot.so.$api_major"
echo "ok: SONAME $soname"

# The model, found as the tests find it; the consumer decides skip or failure when absent.
model=""
for candidate in "$src/models" "$src/../shared/models" "$PWD/models"; do
  if [ -f "$candidate/stories260K/stories260K.bin" ]; then
    model=$(readlink -f "$candidate/stories260K/stories260K.bin")
    break
  fi
done
[ -n "$model" ] || model="$src/../shared/models/stories260K/stories260K.bin"
skipped=0
run() {
  local name=$1
  shift
  step "run $name"
  "$@" "$model"
  local rc=$?
  if [ $rc -eq 77 ]; then
    skipped=1
  elif [ $rc -ne 0 ]; then
    die "run $name (exit status $rc)"
  fi
}

step "build the consumer with find_package(ingot 1) (CMake, $CC, $CFLAGS)"
quiet "configure the find_package consumer" cmake -S "$src/tests/package" -B "$tmp/cmake-build" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_PREFIX_PATH="$prefix"
quiet "build the find_package consumer" cmake --build "$tmp/cmake-build" -j2
readelf -d "$tmp/cmake-build/consumer" | grep -q "NEEDED.*\[libingot.so.$api_major\]" || die "find_package consumer needs libingot.so.$api_major"
! readelf -d "$tmp/cmake-build/consumer_static" | grep -q "NEEDED.*libingot" || die "find_package consumer_static does not need libingot.so"
echo "ok: consumer (ingot::ingot, NEEDED libingot.so.$api_major) and consumer_static (ingot::ingot_static)"

step "find_package(ingot $((api_major + 1))) is refused (SameMajorVersion)"
mkdir -p "$tmp/next-major"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(next LANGUAGES C)\nfind_package(ingot %s REQUIRED)\n' \
  "$((api_major + 1))" >"$tmp/next-major/CMakeLists.txt"
if cmake -S "$tmp/next-major" -B "$tmp/next-major/build" -DCMAKE_PREFIX_PATH="$prefix" >"$log" 2>&1; then
  cat "$log"
  die "find_package(ingot $((api_major + 1))) was accepted"
fi
grep -q "compatible" "$log" || { cat "$log"; die "find_package(ingot $((api_major + 1))) fails for the version"; }
echo "ok: refused"

export PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
step "build the consumer with pkg-config: $CC $CFLAGS consumer.c \$(pkg-config --cflags --libs ingot)"
pc_flags=$(pkg-config --cflags --libs ingot) || die "pkg-config --cflags --libs ingot"
echo "pkg-config: $pc_flags"
# shellcheck disable=SC2086
quiet "build with pkg-config (shared)" $CC $CFLAGS "$src/tests/package/consumer.c" $pc_flags -o "$tmp/consumer_pc"
pc_static=$(pkg-config --static --cflags --libs ingot) || die "pkg-config --static --cflags --libs ingot"
pc_static=$(echo "$pc_static" | sed 's/-lingot\( \|$\)/-l:libingot.a\1/')
step "build the consumer with pkg-config --static: $CC $CFLAGS consumer.c $pc_static"
# shellcheck disable=SC2086
quiet "build with pkg-config (static)" $CC $CFLAGS "$src/tests/package/consumer.c" $pc_static -o "$tmp/consumer_pc_static"
! readelf -d "$tmp/consumer_pc_static" | grep -q "NEEDED.*libingot" || die "pkg-config static consumer does not need libingot.so"

run "find_package consumer (shared, rpath from CMake)" "$tmp/cmake-build/consumer"
run "find_package consumer_static" "$tmp/cmake-build/consumer_static"
run "pkg-config consumer (shared, LD_LIBRARY_PATH)" env LD_LIBRARY_PATH="$libdir" "$tmp/consumer_pc"
run "pkg-config consumer (static)" "$tmp/consumer_pc_static"

if [ $skipped -eq 1 ]; then
  echo "package: install, tree, exports, SONAME and builds OK; runs skipped (no model)"
  exit 77
fi
echo "package: OK (install, tree, exports, SONAME, 4 consumers built and run)"
