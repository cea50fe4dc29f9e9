# CPU kernels in csrc/cpu/kernels/ are compiled once per instruction-set level into object
# libraries; csrc/core/cpu_isa.cpp picks the best level the running CPU supports (or
# PYDL_CPU_ISA), so one build runs on any x86-64 / arm64 CPU.
include(CheckCXXCompilerFlag)
file(GLOB PYDL_CPU_KERNEL_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/csrc/cpu/kernels/*.cpp)

set(PYDL_CPU_ISA_LEVELS scalar)
set(_flags_scalar "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  check_cxx_compiler_flag("-mavx2 -mfma -mf16c" PYDL_HAS_AVX2)
  check_cxx_compiler_flag("-mavx512f -mavx512bw -mavx512vl -mavx512dq" PYDL_HAS_AVX512)
  if(PYDL_HAS_AVX2)
    list(APPEND PYDL_CPU_ISA_LEVELS avx2)
    set(_flags_avx2 -mavx2 -mfma -mf16c)
  endif()
  if(PYDL_HAS_AVX512)
    list(APPEND PYDL_CPU_ISA_LEVELS avx512)
    set(_flags_avx512 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mf16c)
  endif()
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64")
  # NEON is part of the arm64 baseline; the scalar level turns auto-vectorisation off.
  list(APPEND PYDL_CPU_ISA_LEVELS neon)
  set(_flags_scalar -fno-tree-vectorize)
  set(_flags_neon "")
endif()

# PYDL_CPU_ISA_MAX=avx2 (say) drops the levels above it: a faster developer build on a machine
# that cannot run them anyway. Distributed builds leave it empty and carry every level.
set(PYDL_CPU_ISA_MAX "" CACHE STRING "highest CPU kernel ISA level to compile (empty: all)")
if(PYDL_CPU_ISA_MAX)
  list(FIND PYDL_CPU_ISA_LEVELS "${PYDL_CPU_ISA_MAX}" _max_at)
  if(_max_at LESS 0)
    message(FATAL_ERROR "PYDL_CPU_ISA_MAX=${PYDL_CPU_ISA_MAX} is not one of: ${PYDL_CPU_ISA_LEVELS}")
  endif()
  math(EXPR _max_at "${_max_at} + 1")
  list(SUBLIST PYDL_CPU_ISA_LEVELS 0 ${_max_at} PYDL_CPU_ISA_LEVELS)
endif()

# The GEMM micro-kernel and GEMV loops write `acc += a * b` and rely on the compiler fusing it
# into one FMA instruction, which the project-wide -ffp-contract=off (CMakeLists.txt: casts and
# random draws must round alike on CPU and CUDA) would forbid. A matrix product's rounding
# depends on its summation order anyway, so these files alone turn contraction back on (the
# direct convolution's micro-kernel and the fused attention's block products are the same kind
# of loop).
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/csrc/cpu/kernels/gemm_kernel.cpp
                            ${CMAKE_CURRENT_SOURCE_DIR}/csrc/cpu/kernels/conv_direct_kernel.cpp
                            ${CMAKE_CURRENT_SOURCE_DIR}/csrc/cpu/kernels/conv_channels_kernel.cpp
                            ${CMAKE_CURRENT_SOURCE_DIR}/csrc/cpu/kernels/attention_kernel.cpp
                            PROPERTIES COMPILE_OPTIONS -ffp-contract=fast)
# The GEMM is the one kernel file where -O3 (below: -O2 for the rest) measured faster: 3-9 % on
# the products of an MLP step (Zen 3, GCC 12), mostly in packing a transposed B. Source options
# come after the target's on the command line, so this -O3 wins.
set_property(SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/csrc/cpu/kernels/gemm_kernel.cpp APPEND PROPERTY COMPILE_OPTIONS -O3)

foreach(isa IN LISTS PYDL_CPU_ISA_LEVELS)
  add_library(pydl_cpu_kernels_${isa} OBJECT ${PYDL_CPU_KERNEL_SOURCES})
  target_include_directories(pydl_cpu_kernels_${isa} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/csrc)
  string(TOUPPER ${isa} _ISA)
  target_compile_definitions(pydl_cpu_kernels_${isa} PRIVATE PYDL_CPU_ISA=${isa} PYDL_CPU_ISA_${_ISA}=1)
  # No trapping math / errno: lets the vectoriser turn selects into blends and libm calls like
  # sqrt into instructions; kernels never read FP exception flags or errno. -O2, not -O3: the
  # hot loops are `omp simd` loops, vectorised either way, and -O3's extra loop versions of
  # every (op, dtype) pair double both compile time and code size for no measured gain.
  target_compile_options(pydl_cpu_kernels_${isa} PRIVATE ${_flags_${isa}} ${PYDL_WARNINGS}
                         -O2 -fno-trapping-math -fno-math-errno)
endforeach()
message(STATUS "pydl: CPU kernel ISA levels: ${PYDL_CPU_ISA_LEVELS}")
