#include "core/cpu_isa.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace pydl {
namespace {
bool g_compiled[kNumCpuIsa] = {};
}

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Scalar: return "scalar";
    case CpuIsa::Neon: return "neon";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Avx512: return "avx512";
  }
  return "?";
}

bool cpu_supports(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Scalar: return true;
#if defined(__x86_64__) || defined(__i386__)
    // __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0).
    case CpuIsa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case CpuIsa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    case CpuIsa::Neon: return false;
#elif defined(__aarch64__)
    case CpuIsa::Neon: return true;
    default: return false;
#else
    default: return false;
#endif
  }
  return false;
}

void note_compiled_isa(CpuIsa isa) { g_compiled[static_cast<int>(isa)] = true; }

std::vector<CpuIsa> compiled_cpu_isas() {
  std::vector<CpuIsa> out;
  for (int i = 0; i < kNumCpuIsa; ++i)
    if (g_compiled[i]) out.push_back(static_cast<CpuIsa>(i));
  return out;
}

static CpuIsa choose_isa() {
  if (const char* env = std::getenv("PYDL_CPU_ISA"); env && *env) {
    for (int i = 0; i < kNumCpuIsa; ++i) {
      auto isa = static_cast<CpuIsa>(i);
      if (std::strcmp(env, cpu_isa_name(isa)) == 0) {
        PYDL_CHECK(g_compiled[i], "PYDL_CPU_ISA=", env, ": this build has no kernels for that level");
        PYDL_CHECK(cpu_supports(isa), "PYDL_CPU_ISA=", env, ": this CPU does not support it");
        return isa;
      }
    }
    PYDL_FAIL("PYDL_CPU_ISA=", env, " is not one of scalar, avx2, avx512, neon");
  }
  for (int i = kNumCpuIsa - 1; i > 0; --i)
    if (g_compiled[i] && cpu_supports(static_cast<CpuIsa>(i))) return static_cast<CpuIsa>(i);
  return CpuIsa::Scalar;
}

CpuIsa selected_cpu_isa() {
  static CpuIsa isa = choose_isa();
  return isa;
}

}  // namespace pydl
