/* What the NPU compiler is given besides the blob: the plan's graph as
 * IR v11 (the engine's IR writer, inference/ir/) and the build flags
 * naming each argument's precision and layout, so that the compiled
 * graph takes and returns exactly the tensors the engine holds. */
#include "ir/ir.h"
#include "npu-private.h"

gboolean
ovi_npu_serialize_plan (const OviPlan *plan, GString **xml, GByteArray **bin,
    GError **error)
{
  for (int s = 0; s < plan->n_steps; s++)
    if (plan->steps[s].dynamic) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "NPU: node '%s' (%s) has output shapes known only at run time; "
          "the NPU compiles static graphs only",
          plan->steps[s].node->name, plan->steps[s].node->op_type);
      return FALSE;
    }
  return ovi_ir_serialize (plan->graph, xml, bin, error);
}

const char *
ovi_npu_precision_name (OviDType dtype)
{
  switch (dtype) {
    case OVI_DTYPE_FLOAT32: return "FP32";
    case OVI_DTYPE_FLOAT16: return "FP16";
    case OVI_DTYPE_BFLOAT16: return "BF16";
    case OVI_DTYPE_FLOAT64: return "FP64";
    case OVI_DTYPE_UINT8: return "U8";
    case OVI_DTYPE_INT8: return "I8";
    case OVI_DTYPE_UINT16: return "U16";
    case OVI_DTYPE_INT16: return "I16";
    case OVI_DTYPE_UINT32: return "U32";
    case OVI_DTYPE_INT32: return "I32";
    case OVI_DTYPE_UINT64: return "U64";
    case OVI_DTYPE_INT64: return "I64";
    case OVI_DTYPE_BOOL: return "BOOL";
    default: return NULL;
  }
}

/* The plain layout of a rank: the compiler inserts transposes for any
 * other, and we hand it row-major tensors (OpenVINO's NPU plugin sends
 * the same default per rank). */
static const char *
layout_name (int rank)
{
  static const char *const names[] = { "**SCALAR**", "C", "NC", "CHW",
    "NCHW", "NCDHW" };
  return rank >= 0 && rank < (int) G_N_ELEMENTS (names) ? names[rank]
      : "BLOCKED";
}

static void
append_args (GString *s, const char *key, const OviGraph *g,
    const GArray *values, gboolean use_indices, gboolean layouts)
{
  g_string_append_printf (s, "%s%s=\"", s->len ? " " : "", key);
  for (guint i = 0; i < values->len; i++) {
    const OviValue *v = ovi_graph_value (g, g_array_index (values, int, i));
    const char *p = ovi_npu_precision_name (v->dtype);
    if (i)
      g_string_append_c (s, ' ');
    if (use_indices)
      g_string_append_printf (s, "%u", i);
    else
      g_string_append (s, v->name);
    g_string_append_printf (s, ":%s", layouts ? layout_name (v->rank)
        : p ? p : "FP32");
  }
  g_string_append_c (s, '"');
}

char *
ovi_npu_build_flags (const OviGraph *g, gboolean use_indices,
    const char *performance_hint)
{
  GString *s = g_string_new (NULL);
  append_args (s, "--inputs_precisions", g, g->inputs, use_indices, FALSE);
  append_args (s, "--inputs_layouts", g, g->inputs, use_indices, TRUE);
  append_args (s, "--outputs_precisions", g, g->outputs, use_indices, FALSE);
  append_args (s, "--outputs_layouts", g, g->outputs, use_indices, TRUE);
  if (performance_hint)
    g_string_append_printf (s, " --config PERFORMANCE_HINT=\"%s\"",
        performance_hint);
  return g_string_free (s, FALSE);
}
