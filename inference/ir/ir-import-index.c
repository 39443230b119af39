/* IR -> ONNX: layers that gather, scatter or select by index (and
 * produce indices: TopK, NonZero, Unique, OneHot). */
#include <string.h>

#include "ir-private.h"

/* The ONNX spelling of a scatter reduction, NULL when it has none. */
static const char *
onnx_reduction (const char *ir)
{
  return strcmp (ir, "none") == 0 ? "none"
      : strcmp (ir, "sum") == 0 ? "add"
      : strcmp (ir, "prod") == 0 ? "mul"
      : strcmp (ir, "min") == 0 ? "min"
      : strcmp (ir, "max") == 0 ? "max" : NULL;
}

static gboolean
import_gather (OviIrImport *c, GError **error)
{
  int64_t axis, batch_dims = 0;
  if (!ovi_ir_check_io (c, 3, 3, 1, 1, error)
      || !ovi_ir_const_scalar_int (c, 2, "axis", &axis, error)
      || !ovi_ir_attr_int (c, "batch_dims", FALSE, 0, &batch_dims, error))
    return FALSE;
  if (batch_dims != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "batch_dims %" G_GINT64_FORMAT " is not supported", batch_dims);
  ovi_ir_add_node (c, "Gather", 2, c->in, 1, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
import_gather_elements (OviIrImport *c, GError **error)
{
  int64_t axis;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_int (c, "axis", TRUE, 0, &axis, error))
    return FALSE;
  ovi_ir_add_node (c, "GatherElements", 2, c->in, 1, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
import_gather_nd (OviIrImport *c, GError **error)
{
  int64_t batch_dims;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_int (c, "batch_dims", FALSE, 0, &batch_dims, error))
    return FALSE;
  if (batch_dims != 0 && c->version < 8)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "GatherND-5 with batch_dims is not supported");
  ovi_ir_node1 (c, "GatherND", c->out[0], ovi_ir_out_dtype (c, 0), 2, c->in[0],
      ovi_ir_to_i64 (c, c->in[1]));
  ovi_node_set_attr_int (ovi_ir_last_node (c), "batch_dims", batch_dims);
  return TRUE;
}

static gboolean
import_scatter_elements (OviIrImport *c, GError **error)
{
  int64_t axis;
  const char *reduction = ovi_ir_attr_str (c, "reduction", "none");
  const char *onnx;
  gboolean use_init;
  if (!ovi_ir_check_io (c, 4, 4, 1, 1, error)
      || !ovi_ir_const_scalar_int (c, 3, "axis", &axis, error)
      || !ovi_ir_attr_bool (c, "use_init_val", TRUE, &use_init, error))
    return FALSE;
  onnx = onnx_reduction (reduction);
  if (onnx == NULL || (!use_init && strcmp (onnx, "none") != 0))
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "reduction '%s'%s is not supported", reduction,
        use_init ? "" : " without use_init_val");
  ovi_ir_node1 (c, "ScatterElements", c->out[0], ovi_ir_out_dtype (c, 0), 3,
      c->in[0], ovi_ir_to_i64 (c, c->in[1]), c->in[2]);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  if (strcmp (onnx, "none") != 0)
    ovi_node_set_attr_string (ovi_ir_last_node (c), "reduction", onnx);
  return TRUE;
}

static gboolean
import_scatter_nd (OviIrImport *c, GError **error)
{
  const char *reduction = ovi_ir_attr_str (c, "reduction", "none");
  const char *onnx;
  if (!ovi_ir_check_io (c, 3, 3, 1, 1, error))
    return FALSE;
  onnx = onnx_reduction (reduction);
  if (onnx == NULL)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "reduction '%s' is not supported", reduction);
  ovi_ir_node1 (c, "ScatterND", c->out[0], ovi_ir_out_dtype (c, 0), 3, c->in[0],
      ovi_ir_to_i64 (c, c->in[1]), c->in[2]);
  if (strcmp (onnx, "none") != 0)
    ovi_node_set_attr_string (ovi_ir_last_node (c), "reduction", onnx);
  return TRUE;
}

/* ScatterUpdate along axis 0 is ScatterND with one index per update row. */
static gboolean
import_scatter_update (OviIrImport *c, GError **error)
{
  int64_t axis, minus1 = -1;
  int idx;
  if (!ovi_ir_check_io (c, 4, 4, 1, 1, error)
      || !ovi_ir_const_scalar_int (c, 3, "axis", &axis, error))
    return FALSE;
  if (axis != 0
      && !(ovi_ir_in_rank (c, 0) > 0 && axis == -ovi_ir_in_rank (c, 0)))
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "only axis 0 is supported");
  idx = ovi_ir_node1 (c, "Unsqueeze", -1, OVI_DTYPE_INT64, 2,
      ovi_ir_to_i64 (c, c->in[1]), ovi_ir_const_i64 (c, 1, &minus1, FALSE));
  ovi_ir_node1 (c, "ScatterND", c->out[0], ovi_ir_out_dtype (c, 0), 3, c->in[0],
      idx, c->in[2]);
  return TRUE;
}

static gboolean
import_one_hot (OviIrImport *c, GError **error)
{
  int64_t axis, minus1 = -1;
  int both[2], values_v;
  OviNode *cat;
  OviDType t;
  if (!ovi_ir_check_io (c, 4, 4, 1, 1, error)
      || !ovi_ir_attr_int (c, "axis", TRUE, -1, &axis, error))
    return FALSE;
  t = ovi_ir_out_dtype (c, 0);
  both[0] = ovi_ir_node1 (c, "Reshape", -1, t, 2, c->in[3],
      ovi_ir_const_i64 (c, 1, &minus1, FALSE));
  both[1] = ovi_ir_node1 (c, "Reshape", -1, t, 2, c->in[2],
      ovi_ir_const_i64 (c, 1, &minus1, FALSE));
  values_v = ovi_ir_new_value (c, t);
  cat = ovi_ir_add_node (c, "Concat", 2, both, 1, &values_v);
  ovi_node_set_attr_int (cat, "axis", 0);
  ovi_ir_node1 (c, "OneHot", c->out[0], t, 3, c->in[0], c->in[1], values_v);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
import_topk (OviIrImport *c, GError **error)
{
  int64_t axis, minus1 = -1;
  const char *mode = ovi_ir_attr_str (c, "mode", "max");
  const char *sort = ovi_ir_attr_str (c, "sort", "none");
  OviDType it;
  int outs[2], k;
  if (!ovi_ir_check_io (c, 2, 2, 2, 2, error)
      || !ovi_ir_attr_int (c, "axis", TRUE, -1, &axis, error))
    return FALSE;
  if (strcmp (mode, "max") != 0 && strcmp (mode, "min") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "mode '%s' is unknown",
        mode);
  if (strcmp (sort, "index") == 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "sort by index is not supported");
  if (strcmp (sort, "value") != 0 && strcmp (sort, "none") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "sort '%s' is unknown",
        sort);
  it = ovi_ir_value (c, c->out[1])->dtype;
  if (it == OVI_DTYPE_UNDEFINED)
    it = ovi_ir_parse_type (ovi_ir_attr_str (c, "index_element_type", "i32"));
  if (it != OVI_DTYPE_INT32 && it != OVI_DTYPE_INT64)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "index_element_type must be i32 or i64");
  outs[0] = c->out[0];
  outs[1] = it == OVI_DTYPE_INT64 ? c->out[1]
      : ovi_ir_new_value (c, OVI_DTYPE_INT64);
  k = ovi_ir_node1 (c, "Reshape", -1, OVI_DTYPE_INT64, 2,
      ovi_ir_to_i64 (c, c->in[1]), ovi_ir_const_i64 (c, 1, &minus1, FALSE));
  {
    int ins[2] = { c->in[0], k };
    ovi_ir_add_node (c, "TopK", 2, ins, 2, outs);
  }
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "largest",
      strcmp (mode, "max") == 0);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "sorted", 1);
  if (outs[1] != c->out[1])
    ovi_ir_cast (c, outs[1], it, c->out[1]);
  return TRUE;
}

static gboolean
import_nonzero (OviIrImport *c, GError **error)
{
  OviDType it = ovi_ir_parse_type (ovi_ir_attr_str (c, "output_type", "i64"));
  int nz;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  if (it != OVI_DTYPE_INT32 && it != OVI_DTYPE_INT64)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "output_type must be i32 or i64");
  nz = it == OVI_DTYPE_INT64 ? c->out[0]
      : ovi_ir_new_value (c, OVI_DTYPE_INT64);
  ovi_ir_add_node (c, "NonZero", 1, c->in, 1, &nz);
  if (nz != c->out[0])
    ovi_ir_cast (c, nz, it, c->out[0]);
  return TRUE;
}

static gboolean
import_unique (OviIrImport *c, GError **error)
{
  gboolean sorted;
  int64_t axis = 0;
  int outs[4];
  OviDType types[4];
  if (!ovi_ir_check_io (c, 1, 2, 1, 4, error)
      || !ovi_ir_attr_bool (c, "sorted", TRUE, &sorted, error))
    return FALSE;
  if (c->n_in == 2 && !ovi_ir_const_scalar_int (c, 1, "axis", &axis, error))
    return FALSE;
  for (int k = 0; k < 4; k++) {
    OviDType t = k < c->n_out ? ovi_ir_value (c, c->out[k])->dtype
        : OVI_DTYPE_UNDEFINED;
    if (k > 0 && t == OVI_DTYPE_UNDEFINED)
      t = ovi_ir_parse_type (ovi_ir_attr_str (c, k == 3 ? "count_element_type"
              : "index_element_type", "i64"));
    types[k] = t;
    if (k >= c->n_out)
      outs[k] = -1;
    else if (k == 0 || t == OVI_DTYPE_INT64)
      outs[k] = c->out[k];
    else
      outs[k] = ovi_ir_new_value (c, OVI_DTYPE_INT64);
  }
  ovi_ir_add_node (c, "Unique", 1, c->in, c->n_out, outs);
  if (c->n_in == 2)
    ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "sorted", sorted);
  for (int k = 1; k < c->n_out; k++)
    if (outs[k] != c->out[k])
      ovi_ir_cast (c, outs[k], types[k], c->out[k]);
  return TRUE;
}

const OviIrImportOp ovi_ir_import_index[] = {
  { "Gather", import_gather, 1 },
  { "GatherElements", import_gather_elements, 1 },
  { "GatherND", import_gather_nd, 5 },
  { "ScatterElementsUpdate", import_scatter_elements, 3 },
  { "ScatterNDUpdate", import_scatter_nd, 3 },
  { "ScatterUpdate", import_scatter_update, 3 },
  { "OneHot", import_one_hot, 1 },
  { "TopK", import_topk, 1 },
  { "NonZero", import_nonzero, 1 },
  { "Unique", import_unique, 10 },
  { NULL },
};
