// Main of the per-ISA kernel test: INGOT_ISA names the table under test (each
// ctest entry sets it). The test asserts that table really runs, skips (exit
// 77) with the reason when this CPU or build lacks it, and otherwise runs the
// bit-exactness cases of test_isa_equivalence.cpp.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels/dispatch.h"
#include "tests/kernels/isa_under_test.h"

namespace ingot::kernels::test {
const KernelTable* g_table = nullptr;
}

int main(int argc, char** argv) {
  using namespace ingot::kernels;
  const char* want = std::getenv("INGOT_ISA");
  const KernelSelection sel = SelectKernels(nullptr);
  if (sel.table == nullptr) {
    Isa isa = Isa::kRef;
    if (want != nullptr && ParseIsaName(want, &isa)) {
      const IsaStatus s = GetIsaStatus(isa);
      std::printf("SKIPPED kernel ISA %s: %s (built=%d, detected=%d)\n", want, sel.error, s.built ? 1 : 0,
                  s.detected ? 1 : 0);
      return 77;
    }
    std::printf("FAILED: %s\n", sel.error);
    return 1;
  }
  if (want != nullptr && want[0] != '\0' && std::strcmp(want, sel.table->name) != 0) {
    std::printf("FAILED: INGOT_ISA=%s but the table is %s\n", want, sel.table->name);
    return 1;
  }
  test::g_table = sel.table;
  std::printf("kernel ISA under test: %s (INGOT_ISA=%s), seed base 0x%llx\n", sel.table->name,
              want != nullptr ? want : "(unset)", static_cast<unsigned long long>(test::BaseSeed()));
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  const int result = context.run();
  std::printf("kernel ISA %s: %s bit-exact against ref\n", sel.table->name, result == 0 ? "all kernels" : "NOT");
  return result;
}
