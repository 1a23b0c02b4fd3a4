// The scalar reference kernels: the spec every ISA reproduces bit for bit.
#pragma once

#include "kernels/ref/gelu.h"
#include "kernels/ref/gemm_s8.h"
#include "kernels/ref/gemv_codes.h"
#include "kernels/ref/gemv_s8.h"
#include "kernels/ref/grouped_s8.h"
#include "kernels/ref/iexp.h"
#include "kernels/ref/isqrt.h"
#include "kernels/ref/norm.h"
#include "kernels/ref/quantize_row.h"
#include "kernels/ref/requantize.h"
#include "kernels/ref/rope.h"
#include "kernels/ref/sigmoid.h"
#include "kernels/ref/sincos.h"
#include "kernels/ref/softmax.h"
#include "kernels/ref/weighted_sum.h"
