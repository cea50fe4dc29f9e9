"""pydl.show_config(): what this build of pydl is and what it found on this machine."""
import sys

from . import _C


def show_config(file=None):
    """Print pydl's version, compiler, SIMD levels, threads and CUDA build/runtime/devices."""
    info = _C._build_info()
    lines = [
        f"pydl {info['version']}",
        f"  Python            : {sys.version.split()[0]}",
        f"  C++ compiler      : {info['compiler']}",
        f"  Build type        : {info['build_type']}",
        f"  C++ flags         : {info['cxx_flags']}",
        f"  CPU ISA compiled  : {', '.join(info['cpu_isa_compiled'])}",
        f"  CPU ISA selected  : {info['cpu_isa_selected']}  (override with PYDL_CPU_ISA)",
        f"  OpenMP            : {'yes' if info['openmp'] else 'no'}, {info['num_threads']} threads",
    ]
    if info["cuda_built"]:
        def ver(v):
            return f"{v // 1000}.{(v % 1000) // 10}" if v else "none"
        lines += [
            f"  CUDA built        : yes (nvcc {info['cuda_compiler']}, archs {info['cuda_archs']})",
            f"  CUDA runtime      : {ver(info['cuda_runtime_version'])}",
            f"  CUDA driver       : {ver(info['cuda_driver_version'])}",
        ]
        from . import cuda
        n = cuda.device_count()
        lines.append(f"  CUDA devices      : {n}")
        for i in range(n):
            p = cuda.get_device_properties(i)
            lines.append(f"    [{i}] {p.name}, sm_{p.major}{p.minor}, "
                         f"{p.total_memory / 2**30:.1f} GiB, {p.multi_processor_count} SMs")
    else:
        lines.append("  CUDA built        : no")
    print("\n".join(lines), file=file or sys.stdout)
