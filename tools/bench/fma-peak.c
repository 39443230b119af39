/* The machine's float32 FMA peak: every thread runs independent chains of
 * fused multiply-adds as wide as the CPU has (16 floats with AVX-512, 8
 * with AVX2; enough chains to cover the FMA latency on two pipes, few
 * enough to stay in registers); best of several rounds.
 *   ovi-fma-peak [THREADS]   (default: every CPU)
 * Prints GFLOPS (2 per multiply-add) and the ISA. OVI_CPU_ISA=avx2
 * measures the AVX2 peak on an AVX-512 machine. The yardstick for kernel
 * efficiency in docs/performance.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#define CHAINS 10
#define STEPS 50000000L

/* A function body: CHAINS chains of W-float vectors, steps rounds;
 * returns their sum. */
#define CHAINS_BODY(W) {                                              \
    typedef float Vec __attribute__((vector_size (4 * (W))));               \
    Vec acc[CHAINS], m = { 0 }, c = { 0 };                                  \
    float sum = 0;                                                          \
    m += 0.999f;                                                            \
    c += 0.001f;                                                            \
    for (int j = 0; j < CHAINS; j++) {                                      \
      Vec z = { 0 };                                                        \
      acc[j] = z + (float) j;                                               \
    }                                                                       \
    for (long i = 0; i < steps; i++) {                                      \
      _Pragma ("GCC unroll 10")                                             \
      for (int j = 0; j < CHAINS; j++)                                      \
        acc[j] = acc[j] * m + c;   /* one FMA: -ffp-contract=fast */        \
    }                                                                       \
    for (int j = 0; j < CHAINS; j++)                                        \
      for (int l = 0; l < (W); l++)                                         \
        sum += acc[j][l];                                                   \
    return sum;                                                             \
  }

__attribute__((target ("avx2,fma")))
static float
run_chains_avx2 (long steps)
CHAINS_BODY (8)

__attribute__((target ("avx512f,avx2,fma")))
static float
run_chains_avx512 (long steps)
CHAINS_BODY (16)

int
main (int argc, char **argv)
{
  int threads = argc > 1 ? atoi (argv[1]) : omp_get_num_procs ();
  double best = 0;
  float sink = 0;
  int width;
  float (*run_chains) (long);

  __builtin_cpu_init ();
  if (!__builtin_cpu_supports ("avx2") || !__builtin_cpu_supports ("fma")) {
    fprintf (stderr, "ovi-fma-peak: this CPU has no AVX2 + FMA\n");
    return 1;
  }
  if (__builtin_cpu_supports ("avx512f")
      && (getenv ("OVI_CPU_ISA") == NULL
          || strcmp (getenv ("OVI_CPU_ISA"), "avx2") != 0)) {
    width = 16;
    run_chains = run_chains_avx512;
  } else {
    width = 8;
    run_chains = run_chains_avx2;
  }
  if (threads < 1)
    threads = 1;
  for (int round = 0; round < 5; round++) {
    double t0 = omp_get_wtime (), t;
#pragma omp parallel num_threads (threads) reduction (+:sink)
    sink += run_chains (STEPS / 5);
    t = omp_get_wtime () - t0;
    if (threads * (STEPS / 5) * CHAINS * 2.0 * width / t / 1e9 > best)
      best = threads * (STEPS / 5) * CHAINS * 2.0 * width / t / 1e9;
  }
  printf ("{\"threads\": %d, \"gflops\": %.1f, \"isa\": \"%s\", "
      "\"sink\": %g}\n", threads, best, width == 16 ? "avx512" : "avx2",
      sink);
  return 0;
}
