// Integer kernels: the scalar reference (kernels/ref) is the spec; see the kernel issue.
#pragma once
