// What the CPU and the OS let us run: cpuid + xgetbv on x86, getauxval on ARM.
#pragma once

namespace ingot::kernels {

struct CpuFeatures {
  bool avx2 = false;        // AVX2 and OS-enabled YMM state
  bool avx512vnni = false;  // AVX-512 F/BW/VL/VNNI and OS-enabled ZMM/opmask state
  bool neon_dot = false;    // AArch64 ASIMD dot product (sdot)
};

CpuFeatures DetectCpuFeatures();

}  // namespace ingot::kernels
