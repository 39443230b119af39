/* Gemm and MatMul on the GPU through the tiled kernel of kernels/gemm.cl,
 * float32. MatMul batches when each operand's batch axes either match the
 * output's or are all 1 (a shared matrix); other broadcasts of the batch
 * axes run on the CPU. */
#include "cpu/cpu-postops.h"
#include "gpu-exec.h"

/* Common launch: Y[z] = alpha A[z] B[z] + beta C (C broadcast through
 * scm, scn), z over `batch` with per-operand batch strides. */
static void
launch_gemm (OviGpuBuild *b, int a, int bv, int c, int y, int64_t M,
    int64_t N, int64_t K, int64_t sam, int64_t sak, int64_t sbk, int64_t sbn,
    int64_t scm, int64_t scn, int64_t batch, int64_t a_batch,
    int64_t b_batch, float alpha, float beta)
{
  OviGpuLaunch *l = ovi_gpu_launch (b, "gemm", "gemm");
  size_t global[3] = { ((size_t) N + 63) / 64 * 16,
    ((size_t) M + 63) / 64 * 16, (size_t) batch };
  size_t local[3] = { 16, 16, 1 };
  ovi_gpu_arg_value (l, a);
  ovi_gpu_arg_value (l, bv);
  ovi_gpu_arg_value (l, c >= 0 ? c : y);
  ovi_gpu_arg_value (l, y);
  ovi_gpu_arg_value (l, y);
  ovi_gpu_arg_int (l, M);
  ovi_gpu_arg_int (l, N);
  ovi_gpu_arg_int (l, K);
  ovi_gpu_arg_int (l, sam);
  ovi_gpu_arg_int (l, sak);
  ovi_gpu_arg_int (l, sbk);
  ovi_gpu_arg_int (l, sbn);
  ovi_gpu_arg_int (l, scm);
  ovi_gpu_arg_int (l, scn);
  ovi_gpu_arg_int (l, 1);           /* groups: z is the batch */
  ovi_gpu_arg_int (l, a_batch);
  ovi_gpu_arg_int (l, 0);
  ovi_gpu_arg_int (l, b_batch);
  ovi_gpu_arg_int (l, 0);
  ovi_gpu_arg_int (l, 0);           /* C is shared by the batch */
  ovi_gpu_arg_int (l, 0);
  ovi_gpu_arg_int (l, M * N);
  ovi_gpu_arg_int (l, 0);
  ovi_gpu_arg_float (l, alpha);
  ovi_gpu_arg_float (l, beta);
  ovi_gpu_arg_int (l, c >= 0);
  ovi_gpu_arg_int (l, 0);           /* no residual */
  ovi_gpu_arg_int (l, OVI_ACT_NONE);
  ovi_gpu_arg_float (l, 0);
  ovi_gpu_arg_float (l, 0);
  ovi_gpu_range (l, 3, global, local);
  {
    OviGpuGemmOut out = { .c = c, .r = -1, .y = y, .M = M, .N = N,
      .batch = batch, .groups = 1, .scm = scm, .scn = scn, .y_outer = M * N,
      .alpha = alpha, .beta = beta, .act = OVI_ACT_NONE };
    ovi_gpu_gemm_split_k (b, b->launches->len - 1,
        ((M + 63) / 64) * ((N + 63) / 64), K, &out);
  }
}

static gboolean
build_gemm (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *a, *bm, *c = NULL, *y;
  gboolean ta = ovi_node_attr_int (n, "transA", 0) != 0;
  gboolean tb = ovi_node_attr_int (n, "transB", 0) != 0;
  int64_t M, N, K, scm = 0, scn = 0;
  int cv = n->n_inputs > 2 ? n->inputs[2] : -1;

  if (n->n_inputs < 2 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->inputs[1])
      || !ovi_gpu_is_f32 (b, n->outputs[0])
      || (cv >= 0 && !ovi_gpu_is_f32 (b, cv)) || ovi_node_attr (n, "broadcast"))
    return FALSE;
  a = ovi_gpu_input (b, n, 0);
  bm = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_output (b, n, 0);
  if (a->rank != 2 || bm->rank != 2 || y->rank != 2)
    return FALSE;
  M = y->dims[0];
  N = y->dims[1];
  K = ta ? a->dims[0] : a->dims[1];
  if (cv >= 0) {
    c = ovi_gpu_value (b, cv);
    if (c->rank > 2)
      return FALSE;
    if (c->rank == 2) {
      scm = c->dims[0] == 1 ? 0 : c->dims[1];
      scn = c->dims[1] == 1 ? 0 : 1;
    } else if (c->rank == 1) {
      scn = c->dims[0] == 1 ? 0 : 1;
    }
  }
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  launch_gemm (b, n->inputs[0], n->inputs[1], cv, n->outputs[0], M, N, K,
      ta ? 1 : K, ta ? M : 1, tb ? 1 : N, tb ? K : 1, scm, scn, 1, 0, 0,
      ovi_node_attr_float (n, "alpha", 1.0f),
      ovi_node_attr_float (n, "beta", 1.0f));
  return TRUE;
}

/* The batch stride of an operand whose batch axes are the output's
 * (matrix size) or all 1 (0: shared); FALSE otherwise. */
static gboolean
batch_stride (const OviValue *x, const OviValue *y, int64_t matrix,
    int64_t *stride)
{
  int64_t xb = 1;
  int shift = (y->rank - 2) - (x->rank - 2);
  for (int d = 0; d < x->rank - 2; d++)
    xb *= x->dims[d];
  if (xb == 1) {
    *stride = 0;
    return TRUE;
  }
  for (int d = 0; d < x->rank - 2; d++)
    if (x->dims[d] != y->dims[d + shift])
      return FALSE;
  /* The missing leading axes must be 1 for the flat index to match. */
  for (int d = 0; d < shift; d++)
    if (y->dims[d] != 1)
      return FALSE;
  *stride = matrix;
  return TRUE;
}

static gboolean
build_matmul (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *a, *bm, *y;
  int64_t M, N, K, batch = 1, sa, sb;
  if (n->n_inputs != 2 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->inputs[1])
      || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  a = ovi_gpu_input (b, n, 0);
  bm = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_output (b, n, 0);
  /* 1-D operands (vector products) stay on the CPU. */
  if (a->rank < 2 || bm->rank < 2 || y->rank < 2)
    return FALSE;
  M = a->dims[a->rank - 2];
  K = a->dims[a->rank - 1];
  N = bm->dims[bm->rank - 1];
  if (y->dims[y->rank - 2] != M || y->dims[y->rank - 1] != N
      || bm->dims[bm->rank - 2] != K)
    return FALSE;
  for (int d = 0; d < y->rank - 2; d++)
    batch *= y->dims[d];
  if (!batch_stride (a, y, M * K, &sa) || !batch_stride (bm, y, K * N, &sb))
    return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  launch_gemm (b, n->inputs[0], n->inputs[1], -1, n->outputs[0], M, N, K, K,
      1, N, 1, 0, 0, batch, sa, sb, 1.0f, 0.0f);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_gemm[] = {
  { "Gemm", build_gemm },
  { "MatMul", build_matmul },
  { NULL, NULL },
};
