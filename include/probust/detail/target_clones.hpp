#pragma once
/// \file target_clones.hpp
/// PROBUST_TARGET_CLONES: compile a hot, vectorizable loop twice — for AVX2 and for the
/// baseline the program is built for — and choose the version once, at load time, by the
/// CPU that runs it (GCC's target_clones, an ELF ifunc).
///
/// The loops of normal_cdf_batch and normal_quantile_batch are written to auto-vectorize,
/// but a default x86-64 build may use only SSE2 (two doubles per instruction); the AVX2
/// version handles four: Φ 1.2×, Φ⁻¹ 1.7× and the held-out k = 9 QMC problem 1.3× faster
/// (benchmarks/normal_batch_benchmark.cpp, table in benchmarks/README.md). The AVX2 clone
/// does not enable FMA, so both versions perform the same IEEE operations in the same order
/// and give bit-identical results (tests/dispatch_identity.cpp): the machine does not
/// change a result.
///
/// Defined empty (one version, the build's own) when the build already targets AVX2, on
/// compilers other than GCC (Clang 14 defines an inline function's clone resolver in every
/// translation unit, which fails to link), off x86-64 Linux, or when the user defines
/// PROBUST_NO_TARGET_CLONES.

#if !defined(PROBUST_NO_TARGET_CLONES) && defined(__GNUC__) && !defined(__clang__) &&    \
    !defined(__INTEL_COMPILER) && !defined(__INTEL_LLVM_COMPILER) && defined(__x86_64__) && \
    defined(__linux__) && !defined(__AVX2__)
#define PROBUST_TARGET_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PROBUST_TARGET_CLONES
#endif
