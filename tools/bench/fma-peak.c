/* The machine's float32 FMA peak: every thread runs independent chains of
 * 8-wide fused multiply-adds (enough of them to cover the FMA latency on
 * two pipes, few enough to stay in registers); best of several rounds.
 *   ovi-fma-peak [THREADS]   (default: every CPU)
 * Prints GFLOPS (2 per multiply-add). The yardstick for kernel
 * efficiency in docs/performance.md. */
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>

#define CHAINS 10
#define STEPS 50000000L

__attribute__((target ("avx2,fma")))
static float
run_chains (long steps)
{
  typedef float V8f __attribute__((vector_size (32)));
  V8f acc[CHAINS], m = { 0 }, c = { 0 };
  float sum = 0;
  m += 0.999f;
  c += 0.001f;
  for (int j = 0; j < CHAINS; j++) {
    V8f z = { 0 };
    acc[j] = z + (float) j;
  }
  for (long i = 0; i < steps; i++) {
#pragma GCC unroll 10
    for (int j = 0; j < CHAINS; j++)
      acc[j] = acc[j] * m + c;   /* one FMA: -ffp-contract=fast */
  }
  for (int j = 0; j < CHAINS; j++)
    for (int l = 0; l < 8; l++)
      sum += acc[j][l];
  return sum;
}

int
main (int argc, char **argv)
{
  int threads = argc > 1 ? atoi (argv[1]) : omp_get_num_procs ();
  double best = 0;
  float sink = 0;

  __builtin_cpu_init ();
  if (!__builtin_cpu_supports ("avx2") || !__builtin_cpu_supports ("fma")) {
    fprintf (stderr, "ovi-fma-peak: this CPU has no AVX2 + FMA\n");
    return 1;
  }
  if (threads < 1)
    threads = 1;
  for (int round = 0; round < 5; round++) {
    double t0 = omp_get_wtime (), t;
#pragma omp parallel num_threads (threads) reduction (+:sink)
    sink += run_chains (STEPS / 5);
    t = omp_get_wtime () - t0;
    if (threads * (STEPS / 5) * CHAINS * 16.0 / t / 1e9 > best)
      best = threads * (STEPS / 5) * CHAINS * 16.0 / t / 1e9;
  }
  printf ("{\"threads\": %d, \"gflops\": %.1f, \"sink\": %g}\n", threads,
      best, sink);
  return 0;
}
