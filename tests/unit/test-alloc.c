/* Proves that inferences after the first allocate nothing.
 *
 * The test executable defines malloc and friends, which takes precedence
 * over libc's for every library in the process (GLib and libgomp too), and
 * counts calls while `counting` is set. Not built under sanitizers, which
 * interpose the allocator themselves. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "ovi.h"

extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
extern void *__libc_realloc (void *, size_t);
extern void *__libc_memalign (size_t, size_t);
extern void __libc_free (void *);

static volatile int counting;
static volatile int allocations;

void *
malloc (size_t n)
{
  if (counting)
    __atomic_add_fetch (&allocations, 1, __ATOMIC_RELAXED);
  return __libc_malloc (n);
}

void *
calloc (size_t n, size_t m)
{
  if (counting)
    __atomic_add_fetch (&allocations, 1, __ATOMIC_RELAXED);
  return __libc_calloc (n, m);
}

void *
realloc (void *p, size_t n)
{
  if (counting)
    __atomic_add_fetch (&allocations, 1, __ATOMIC_RELAXED);
  return __libc_realloc (p, n);
}

int
posix_memalign (void **p, size_t align, size_t n)
{
  if (counting)
    __atomic_add_fetch (&allocations, 1, __ATOMIC_RELAXED);
  *p = __libc_memalign (align, n);
  return *p ? 0 : 12;
}

void *
aligned_alloc (size_t align, size_t n)
{
  if (counting)
    __atomic_add_fetch (&allocations, 1, __ATOMIC_RELAXED);
  return __libc_memalign (align, n);
}

void *
memalign (size_t align, size_t n)
{
  if (counting)
    __atomic_add_fetch (&allocations, 1, __ATOMIC_RELAXED);
  return __libc_memalign (align, n);
}

void
free (void *p)
{
  __libc_free (p);
}

static void
check_model_hint (const char *name, OviPerformanceHint hint, int rank,
    const int64_t *dims)
{
  char *path = g_build_filename (g_getenv ("OVI_TEST_MODELS"), name, NULL);
  GError *error = NULL;
  OviModel *m = ovi_model_load (path, &error);
  OviCompiledModel *cm;
  OviCompileConfig config = { .hint = hint };
  OviRequest *r;
  OviTensorView in = { OVI_DTYPE_FLOAT32, rank, { 0 }, NULL };
  int64_t n = 1;
  float *x;

  g_assert_no_error (error);
  cm = ovi_compile (m, "CPU", &config, &error);
  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  for (int i = 0; i < rank; i++) {
    in.dims[i] = dims[i];
    n *= dims[i];
  }
  x = g_new0 (float, n);
  for (int64_t i = 0; i < n; i++)
    x[i] = (float) ((i * 7919) % 1000) / 1000.0f;
  in.data = x;
  g_assert_true (ovi_request_set_input_by_index (r, 0, &in, &error));
  /* Warm-up: binds the plan, sizes the arena, starts OpenMP's threads. */
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_true (ovi_request_infer (r, &error));

  allocations = 0;
  counting = 1;
  for (int i = 0; i < 20; i++) {
    ovi_request_set_input_by_index (r, 0, &in, &error);
    ovi_request_infer (r, &error);
  }
  counting = 0;
  g_assert_no_error (error);
  g_test_message ("%s (%s): %d allocations in 20 inferences", name,
      hint == OVI_HINT_LATENCY ? "latency" : "throughput", allocations);
  g_assert_cmpint (allocations, ==, 0);

  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
  g_free (x);
  g_free (path);
}

/* Under both hints: THROUGHPUT runs every kernel on one thread, where a
 * naive OpenMP region would allocate a team each time. */
static void
check_model (const char *name, int rank, const int64_t *dims)
{
  check_model_hint (name, OVI_HINT_LATENCY, rank, dims);
  check_model_hint (name, OVI_HINT_THROUGHPUT, rank, dims);
}

static void
test_chain (void)
{
  const int64_t dims[] = { 1, 16, 32, 32 };
  check_model ("chain.onnx", 4, dims);
}

static void
test_dynamic (void)
{
  const int64_t dims[] = { 3, 8 };
  check_model ("dynamic.onnx", 2, dims);
}

/* Conv (1x1, 3x3, depthwise) with folded BatchNorm, Clip, residual Add,
 * GlobalAveragePool, Gemm, Softmax. */
static void
test_cnn (void)
{
  const int64_t dims[] = { 1, 3, 64, 64 };
  check_model ("cnn.onnx", 4, dims);
}

/* Winograd 3x3 with a residual sum, a Swish gate, stride-2 depthwise,
 * a 1x1 conv on a 7x7 plane (transposed GEMM). */
static void
test_resnet (void)
{
  const int64_t dims[] = { 1, 32, 16, 16 };
  check_model ("resnet.onnx", 4, dims);
}

/* LayerNorm, MatMul, Softmax, Transpose, Concat, Slice, Gather,
 * ReduceMean, TopK, Resize. */
static void
test_block (void)
{
  const int64_t dims[] = { 2, 16, 32 };
  check_model ("block.onnx", 3, dims);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alloc/chain", test_chain);
  g_test_add_func ("/alloc/cnn", test_cnn);
  g_test_add_func ("/alloc/block", test_block);
  g_test_add_func ("/alloc/resnet", test_resnet);
  g_test_add_func ("/alloc/dynamic-shape", test_dynamic);
  return g_test_run ();
}
