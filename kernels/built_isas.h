// The declarations of every ISA's kernels compiled into this binary (INGOT_BUILD_* comes from
// kernels/CMakeLists.txt). Only for the files that take their addresses into tables
// (kernel_tables.cpp, probe.cpp): everyone else calls them through a table.
#pragma once

#if defined(INGOT_BUILD_AVX2)
#include "kernels/x86/avx2/avx2.h"
#endif
#if defined(INGOT_BUILD_AVX512VNNI)
#include "kernels/x86/avx512vnni/avx512vnni.h"
#endif
#if defined(INGOT_BUILD_NEON_DOT)
#include "kernels/arm/neon_dot/neon_dot.h"
#endif
