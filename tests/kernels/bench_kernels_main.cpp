// Standalone driver for `bench kernels` (the bench app calls RunKernelBench).
#include "apps/bench_kernels.h"

int main(int argc, char** argv) { return ingot::RunKernelBench(argc, argv); }
