// The kernel table chosen by test_isa_main.cpp for this run.
#pragma once

#include "kernels/kernel_table.h"
#include "tests/kernels/kernel_test_util.h"

namespace ingot::kernels::test {
extern const KernelTable* g_table;
}  // namespace ingot::kernels::test
