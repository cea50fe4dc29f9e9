// Portability macros shared by C++ and CUDA sources.
#pragma once
#if defined(__CUDACC__)
#define PYDL_HOST_DEVICE __host__ __device__
#define PYDL_DEVICE __device__
#else
#define PYDL_HOST_DEVICE
#define PYDL_DEVICE
#endif
#define PYDL_INLINE inline __attribute__((always_inline))
