// Run-time choice of the CPU instruction-set level. Kernels in csrc/cpu/kernels/ are compiled
// once per level and register themselves in a KernelStub; a call goes to the best level this
// CPU supports, or to the one PYDL_CPU_ISA names (scalar|avx2|avx512|neon) for testing.
#pragma once
#include <string>
#include <vector>

#include "core/error.h"

namespace pydl {

enum class CpuIsa : int { Scalar = 0, Neon = 1, Avx2 = 2, Avx512 = 3 };
constexpr int kNumCpuIsa = 4;

const char* cpu_isa_name(CpuIsa isa);
// Levels this CPU (and OS) can run, whether or not they were compiled.
bool cpu_supports(CpuIsa isa);
// The level kernels dispatch to: PYDL_CPU_ISA if set (RuntimeError if the CPU lacks it),
// else the best compiled level the CPU supports. Read once, at first use.
CpuIsa selected_cpu_isa();
// Compiled levels, as registered by the kernel object files.
std::vector<CpuIsa> compiled_cpu_isas();
void note_compiled_isa(CpuIsa isa);

// One function pointer per ISA level; ISA-compiled files fill their slot at load time.
template <typename Fn>
struct KernelStub {
  const char* name;
  Fn table[kNumCpuIsa];

  Fn get() const {
    // Best level <= the selected one that has this kernel (scalar always does).
    for (int i = static_cast<int>(selected_cpu_isa()); i >= 0; --i)
      if (table[i] && (i == 0 || cpu_supports(static_cast<CpuIsa>(i)))) return table[i];
    PYDL_FAIL("internal error: no CPU kernel registered for ", name);
  }
  template <typename... Args>
  auto operator()(Args&&... args) const {
    return get()(std::forward<Args>(args)...);
  }
};

#define PYDL_DECLARE_KERNEL(fn_type, stub) extern ::pydl::KernelStub<fn_type> stub
#define PYDL_DEFINE_KERNEL(fn_type, stub) ::pydl::KernelStub<fn_type> stub = {#stub, {}}

}  // namespace pydl
