// Kernel-table selection: built AND detected AND allowed (INGOT_ISA), with a
// clear error (never a silent fallback) for unknown or unavailable names; and
// the thread partitioner's ranges.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/parallel.h"

namespace ingot::kernels {
namespace {

TEST_CASE("every ISA is either selectable by name or reported with a reason") {
  for (int32_t i = 0; i < kIsaCount; ++i) {
    const IsaStatus s = GetIsaStatus(static_cast<Isa>(i));
    const KernelSelection sel = SelectKernels(s.name);
    std::printf("ISA %-10s built=%d detected=%d -> %s\n", s.name, s.built ? 1 : 0, s.detected ? 1 : 0,
                sel.table != nullptr ? "selectable" : sel.error);
    if (s.built && s.detected) {
      REQUIRE(sel.table != nullptr);
      CHECK(std::strcmp(sel.table->name, s.name) == 0);
      CHECK(sel.table->isa == s.isa);
      CHECK(sel.error == nullptr);
    } else {
      CHECK(sel.table == nullptr);
      REQUIRE(sel.error != nullptr);
      CHECK(std::strstr(sel.error, s.name) != nullptr);
    }
  }
  CHECK(GetIsaStatus(Isa::kRef).built);
  CHECK(GetIsaStatus(Isa::kRef).detected);
}

TEST_CASE("unknown names are an error; auto and empty pick the best available") {
  const KernelSelection bad = SelectKernels("avx9000");
  CHECK(bad.table == nullptr);
  REQUIRE(bad.error != nullptr);
  CHECK(std::strstr(bad.error, "unknown") != nullptr);
  const KernelSelection best = SelectKernels("auto");
  REQUIRE(best.table != nullptr);
  CHECK(SelectKernels("").table == best.table);
  for (Isa preferred : {Isa::kAvx512Vnni, Isa::kAvx2, Isa::kNeonDot, Isa::kRef}) {
    const IsaStatus s = GetIsaStatus(preferred);
    if (s.built && s.detected) {
      CHECK(best.table->isa == preferred);
      break;
    }
  }
}

TEST_CASE("INGOT_ISA forces the table and SelectedIsaReport names it") {
  const char* saved = std::getenv("INGOT_ISA");
  const std::string restore = saved != nullptr ? saved : "";
  for (const char* name : {"ref", "avx2", "avx512vnni", "neon-dot"}) {
    setenv("INGOT_ISA", name, 1);
    const KernelSelection sel = SelectKernels(nullptr);
    if (sel.table != nullptr) {
      CHECK(std::strcmp(SelectedIsaReport(), name) == 0);
    } else {
      CHECK(std::strcmp(SelectedIsaReport(), sel.error) == 0);
    }
  }
  setenv("INGOT_ISA", "bogus", 1);
  CHECK(SelectKernels(nullptr).table == nullptr);
  if (saved != nullptr) {
    setenv("INGOT_ISA", restore.c_str(), 1);
  } else {
    unsetenv("INGOT_ISA");
  }
}

TEST_CASE("ParallelForRanges covers [0, count) once, in grain-aligned ranges") {
  for (int32_t count : {0, 1, 15, 16, 17, 100, 1000, 11008}) {
    for (int32_t grain : {1, 16}) {
      for (int32_t threads : {1, 2, 3, 8}) {
        std::vector<int32_t> hits(static_cast<size_t>(count), 0);
        ParallelFor(count, grain, threads, [&](int32_t b, int32_t e) {
          CHECK(b % grain == 0);
          for (int32_t i = b; i < e; ++i) hits[static_cast<size_t>(i)] += 1;  // ranges are disjoint
        });
        for (int32_t h : hits) CHECK(h == 1);
      }
    }
  }
}

}  // namespace
}  // namespace ingot::kernels
