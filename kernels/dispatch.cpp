#include "kernels/dispatch.h"

#include <cstdlib>
#include <cstring>

#include "kernels/cpu_features.h"

namespace ingot::kernels {

static const char* const kIsaNames[kIsaCount] = {"ref", "avx2", "avx512vnni", "neon-dot"};

bool ParseIsaName(const char* name, Isa* isa) {
  for (int32_t i = 0; i < kIsaCount; ++i) {
    if (std::strcmp(name, kIsaNames[i]) == 0) {
      *isa = static_cast<Isa>(i);
      return true;
    }
  }
  return false;
}

IsaStatus GetIsaStatus(Isa isa) {
  const CpuFeatures cpu = DetectCpuFeatures();
  IsaStatus s{isa, kIsaNames[static_cast<int32_t>(isa)], BuiltKernelTable(isa) != nullptr, false};
  switch (isa) {
    case Isa::kRef: s.detected = true; break;
    case Isa::kAvx2: s.detected = cpu.avx2; break;
    case Isa::kAvx512Vnni: s.detected = cpu.avx512vnni; break;
    case Isa::kNeonDot: s.detected = cpu.neon_dot; break;
  }
  return s;
}

KernelSelection SelectKernels(const char* request) {
  if (request == nullptr) request = std::getenv("INGOT_ISA");
  KernelSelection sel;
  if (request == nullptr || request[0] == '\0' || std::strcmp(request, "auto") == 0) {
    static constexpr Isa kPreference[] = {Isa::kAvx512Vnni, Isa::kAvx2, Isa::kNeonDot, Isa::kRef};
    for (Isa isa : kPreference) {
      const IsaStatus s = GetIsaStatus(isa);
      if (s.built && s.detected) {
        sel.table = BuiltKernelTable(isa);
        return sel;
      }
    }
    sel.error = "no kernel table available (internal error: ref is always built)";
    return sel;
  }
  Isa isa = Isa::kRef;
  if (!ParseIsaName(request, &isa)) {
    sel.error = "INGOT_ISA: unknown ISA name (expected ref, avx2, avx512vnni or neon-dot)";
    return sel;
  }
  const IsaStatus s = GetIsaStatus(isa);
  if (!s.built) {
    static const char* const kNotBuilt[kIsaCount] = {
        "INGOT_ISA=ref: not built into this binary", "INGOT_ISA=avx2: not built into this binary",
        "INGOT_ISA=avx512vnni: not built into this binary",
        "INGOT_ISA=neon-dot: not built into this binary"};
    sel.error = kNotBuilt[static_cast<int32_t>(isa)];
    return sel;
  }
  if (!s.detected) {
    static const char* const kNotDetected[kIsaCount] = {
        "INGOT_ISA=ref: not supported", "INGOT_ISA=avx2: this CPU or OS does not support AVX2",
        "INGOT_ISA=avx512vnni: this CPU or OS does not support AVX-512 F/BW/VL/VNNI",
        "INGOT_ISA=neon-dot: this CPU does not support the ARMv8.2 dot product"};
    sel.error = kNotDetected[static_cast<int32_t>(isa)];
    return sel;
  }
  sel.table = BuiltKernelTable(isa);
  return sel;
}

const char* SelectedIsaReport() {
  const KernelSelection sel = SelectKernels(nullptr);
  return sel.table != nullptr ? sel.table->name : sel.error;
}

}  // namespace ingot::kernels
