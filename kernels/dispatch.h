// Choosing the kernel table: built AND detected AND allowed (INGOT_ISA).
#pragma once

#include "kernels/kernel_table.h"

namespace ingot::kernels {

struct IsaStatus {
  Isa isa;
  const char* name;
  bool built;     // compiled into this binary
  bool detected;  // the CPU and OS support it (always true for ref)
};

// Status of every ISA, in Isa order.
IsaStatus GetIsaStatus(Isa isa);

// Parses "ref" | "avx2" | "avx512vnni" | "neon-dot". Returns false if unknown.
bool ParseIsaName(const char* name, Isa* isa);

struct KernelSelection {
  const KernelTable* table = nullptr;  // non-null on success
  const char* error = nullptr;         // static message on failure, else nullptr
};

// request == nullptr: use the INGOT_ISA environment variable; an unset or
// empty value (or "auto") picks the best built and detected ISA. A named ISA
// that is unknown, not built or not supported by this CPU is an error (no
// silent fallback). Thread-safe; no I/O besides reading the environment.
KernelSelection SelectKernels(const char* request = nullptr);

// The name of the table SelectKernels(nullptr) picks, or its error message.
const char* SelectedIsaReport();

}  // namespace ingot::kernels
