# cmake -DOBJDUMP=... -DLIBRARY=... -P check_no_float.cmake
# Fails if the kernel library contains any floating-point instruction
# (x87, SSE/AVX scalar or packed float/double arithmetic, moves or
# conversions; AArch64 f* and [su]cvtf). DESIGN.md: no float in kernels/.
execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn ${LIBRARY}
                OUTPUT_VARIABLE disassembly RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump failed on ${LIBRARY}")
endif()
string(REPLACE "\n" ";" lines "${disassembly}")
set(function "?")
set(found 0)
set(count 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^[0-9a-f]+ <(.*)>:$")
    set(function "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^ +[0-9a-f]+:\t([a-z0-9.]+)")
    set(op "${CMAKE_MATCH_1}")
    math(EXPR count "${count} + 1")
    if(op MATCHES "^f[a-z0-9]*$" OR op MATCHES "^[su]cvtf" OR
       op MATCHES "^v?(add|sub|mul|div|sqrt|min|max|rcp|rsqrt|rcp14|rsqrt14|cmp|comi|ucomi|round|rndscale|mov|movnt|movup|movap|movh|movl|and|andn|or|xor|shuf|unpckh|unpckl|blend|blendv|perm|permil|broadcast|insert|extract|movmsk|hadd|hsub|dp|getexp|getmant|scalef|range|reduce|fixupimm|fpclass|compress|expand|gather|scatter)(ps|pd|ss|sd)$" OR
       op MATCHES "^v?cvt" OR op MATCHES "^vf(n)?m(add|sub)")
      message(NOTICE "floating-point instruction '${op}' in ${function}")
      set(found 1)
    endif()
  endif()
endforeach()
if(found)
  message(FATAL_ERROR "kernel library contains floating-point instructions")
endif()
if(count EQUAL 0)
  message(FATAL_ERROR "no instructions found in ${LIBRARY}")
endif()
message(STATUS "no floating-point instruction among ${count} instructions of ${LIBRARY}")
