/* IR -> ONNX: layers that reshape, reorder, slice, pad, join or split
 * tensors. */
#include <string.h>

#include "ir-private.h"

static gboolean
import_shape_of (OviIrImport *c, GError **error)
{
  OviDType t = ovi_ir_parse_type (ovi_ir_attr_str (c, "output_type", "i64"));
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  if (t != OVI_DTYPE_INT32 && t != OVI_DTYPE_INT64)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "output_type must be i32 or i64");
  if (t == OVI_DTYPE_INT64) {
    ovi_ir_add_node (c, "Shape", 1, c->in, 1, c->out);
  } else {
    int s = ovi_ir_node1 (c, "Shape", -1, OVI_DTYPE_INT64, 1, c->in[0]);
    ovi_ir_cast (c, s, t, c->out[0]);
  }
  return TRUE;
}

static gboolean
import_concat (OviIrImport *c, GError **error)
{
  int64_t axis;
  if (!ovi_ir_check_io (c, 1, OVI_IR_MAX_PORTS, 1, 1, error)
      || !ovi_ir_attr_int (c, "axis", TRUE, 0, &axis, error))
    return FALSE;
  ovi_ir_add_node (c, "Concat", c->n_in, c->in, 1, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
import_reshape (OviIrImport *c, GError **error)
{
  gboolean special_zero;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_bool (c, "special_zero", FALSE, &special_zero, error))
    return FALSE;
  ovi_ir_node1 (c, "Reshape", c->out[0], ovi_ir_out_dtype (c, 0), 2, c->in[0],
      ovi_ir_to_1d (c, ovi_ir_to_i64 (c, c->in[1]), ovi_ir_in_rank (c, 1)));
  ovi_node_set_attr_int (ovi_ir_last_node (c), "allowzero",
      special_zero ? 0 : 1);
  return TRUE;
}

static gboolean
import_squeeze (OviIrImport *c, GError **error)
{
  gboolean squeeze = strcmp (c->layer->type, "Squeeze") == 0;
  if (!ovi_ir_check_io (c, squeeze ? 1 : 2, 2, 1, 1, error))
    return FALSE;
  if (c->n_in == 1)
    ovi_ir_add_node (c, "Squeeze", 1, c->in, 1, c->out);
  else
    ovi_ir_node1 (c, squeeze ? "Squeeze" : "Unsqueeze", c->out[0],
        ovi_ir_out_dtype (c, 0), 2, c->in[0], ovi_ir_axes_input (c, 1));
  return TRUE;
}

static gboolean
import_transpose (OviIrImport *c, GError **error)
{
  int64_t perm[OVI_MAX_RANK];
  int n;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_const_ints (c, 1, "input_order", OVI_MAX_RANK, &n, perm,
          error))
    return FALSE;
  ovi_ir_add_node (c, "Transpose", 1, c->in, 1, c->out);
  if (n > 0)
    ovi_node_set_attr_ints (ovi_ir_last_node (c), "perm", n, perm);
  return TRUE;
}

static gboolean
import_split (OviIrImport *c, GError **error)
{
  int64_t axis, n;
  if (!ovi_ir_check_io (c, 2, 2, 1, OVI_IR_MAX_PORTS, error)
      || !ovi_ir_const_scalar_int (c, 1, "axis", &axis, error)
      || !ovi_ir_attr_int (c, "num_splits", TRUE, 1, &n, error))
    return FALSE;
  if (n != c->n_out)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "num_splits is %" G_GINT64_FORMAT " but it has %d outputs", n,
        c->n_out);
  ovi_ir_add_node (c, "Split", 1, c->in, c->n_out, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "num_outputs", n);
  return TRUE;
}

static gboolean
import_variadic_split (OviIrImport *c, GError **error)
{
  int64_t axis;
  int split, ins[2];
  const OviTensor *lengths;
  if (!ovi_ir_check_io (c, 3, 3, 1, OVI_IR_MAX_PORTS, error)
      || !ovi_ir_const_scalar_int (c, 1, "axis", &axis, error))
    return FALSE;
  lengths = ovi_ir_in_const (c, 2);
  split = -1;
  if (lengths) {
    int64_t *v;
    int64_t n = ovi_tensor_numel (lengths), known = 0;
    int unknown = -1, r = ovi_ir_in_rank (c, 0);
    if (n != c->n_out || lengths->rank > 1)
      return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
          "split_lengths has %" G_GINT64_FORMAT " values for %d outputs", n,
          c->n_out);
    v = g_new (int64_t, n + 1);
    for (int64_t i = 0; i < n; i++) {
      v[i] = ovi_tensor_get_i64 (lengths, i);
      if (v[i] == -1 && unknown < 0)
        unknown = (int) i;
      else if (v[i] >= 0 && known <= G_MAXINT64 - v[i])
        known += v[i];
    }
    if (unknown >= 0) {
      /* -1 takes what is left of the axis: needs the input's shape. */
      int64_t a = axis < 0 ? axis + r : axis;
      if (r < 0 || a < 0 || a >= r || ovi_ir_in_dims (c, 0)[a] < 0) {
        g_free (v);
        return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
            "split_lengths has -1 and the split dimension is unknown");
      }
      v[unknown] = ovi_ir_in_dims (c, 0)[a] - known;
    }
    split = ovi_ir_const_i64 (c, (int) n, v, FALSE);
    g_free (v);
  } else {
    split = ovi_ir_to_i64 (c, c->in[2]);
  }
  ins[0] = c->in[0];
  ins[1] = split;
  ovi_ir_add_node (c, "Split", 2, ins, c->n_out, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
import_pad (OviIrImport *c, GError **error)
{
  const char *mode = ovi_ir_attr_str (c, "pad_mode", "constant");
  int ins[3], n = 2;
  if (!ovi_ir_check_io (c, 3, 4, 1, 1, error))
    return FALSE;
  if (strcmp (mode, "constant") != 0 && strcmp (mode, "edge") != 0
      && strcmp (mode, "reflect") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "pad_mode '%s' is not supported", mode);
  ins[0] = c->in[0];
  {
    int both[2];
    OviNode *cat;
    both[0] = ovi_ir_axes_input (c, 1);
    both[1] = ovi_ir_axes_input (c, 2);
    ins[1] = ovi_ir_new_value (c, OVI_DTYPE_INT64);
    cat = ovi_ir_add_node (c, "Concat", 2, both, 1, &ins[1]);
    ovi_node_set_attr_int (cat, "axis", 0);
  }
  if (c->n_in == 4 && strcmp (mode, "constant") == 0)
    ins[n++] = c->in[3];
  ovi_ir_add_node (c, "Pad", n, ins, 1, c->out);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "mode", mode);
  return TRUE;
}

static gboolean
import_broadcast (OviIrImport *c, GError **error)
{
  const char *mode = ovi_ir_attr_str (c, "mode", "numpy");
  int x = c->in[0];
  if (!ovi_ir_check_io (c, 2, 3, 1, 1, error))
    return FALSE;
  if (strcmp (mode, "explicit") == 0) {
    int64_t map[OVI_MAX_RANK], axes[OVI_MAX_RANK];
    int n_map, n_axes = 0, r, k = 0;
    if (c->n_in != 3)
      return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
          "explicit mode needs axes_mapping");
    if (!ovi_ir_const_ints (c, 2, "axes_mapping", OVI_MAX_RANK, &n_map, map,
            error))
      return FALSE;
    r = ovi_ir_in_rank (c, 1) == 1 && ovi_ir_in_dims (c, 1)[0] >= 0
            && ovi_ir_in_dims (c, 1)[0] <= OVI_MAX_RANK
        ? (int) ovi_ir_in_dims (c, 1)[0]
        : -1;
    if (r < 0 || n_map > r)
      return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
          "explicit mode needs a target shape of known length");
    for (int i = 0; i < r; i++) {
      if (k < n_map && map[k] == i) {
        k++;
        continue;
      }
      axes[n_axes++] = i;
    }
    if (k != n_map)
      return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
          "axes_mapping must be increasing and within the target rank");
    if (n_axes)
      x = ovi_ir_node1 (c, "Unsqueeze", -1, ovi_ir_in_dtype (c, 0), 2, x,
          ovi_ir_const_i64 (c, n_axes, axes, FALSE));
  } else if (strcmp (mode, "numpy") != 0
      && strcmp (mode, "bidirectional") != 0) {
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  }
  ovi_ir_node1 (c, "Expand", c->out[0], ovi_ir_out_dtype (c, 0), 2, x,
      ovi_ir_to_1d (c, ovi_ir_to_i64 (c, c->in[1]), ovi_ir_in_rank (c, 1)));
  return TRUE;
}

static gboolean
import_tile (OviIrImport *c, GError **error)
{
  const OviTensor *rep;
  int x = c->in[0], reps, r;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error))
    return FALSE;
  rep = ovi_ir_in_const (c, 1);
  r = ovi_ir_in_rank (c, 0);
  if (rep && rep->rank <= 1 && r >= 0) {
    int64_t n = ovi_tensor_numel (rep), v[OVI_MAX_RANK];
    int64_t axes[OVI_MAX_RANK];
    if (n > OVI_MAX_RANK)
      return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "too many repeats");
    if (n < r) {
      /* Missing leading repeats are 1. */
      for (int i = 0; i < r; i++)
        v[i] = i < r - n ? 1 : ovi_tensor_get_i64 (rep, i - (r - n));
      reps = ovi_ir_const_i64 (c, r, v, FALSE);
    } else {
      for (int i = 0; i < n; i++)
        v[i] = ovi_tensor_get_i64 (rep, i);
      if (n > r) {
        /* More repeats than dimensions: the input gains leading 1s. */
        for (int i = 0; i < n - r; i++)
          axes[i] = i;
        x = ovi_ir_node1 (c, "Unsqueeze", -1, ovi_ir_in_dtype (c, 0), 2, x,
            ovi_ir_const_i64 (c, (int) (n - r), axes, FALSE));
      }
      reps = ovi_ir_const_i64 (c, (int) n, v, FALSE);
    }
  } else {
    reps = ovi_ir_to_1d (c, ovi_ir_to_i64 (c, c->in[1]), ovi_ir_in_rank (c, 1));
  }
  ovi_ir_node1 (c, "Tile", c->out[0], ovi_ir_out_dtype (c, 0), 2, x, reps);
  return TRUE;
}

static gboolean
import_depth_to_space (OviIrImport *c, GError **error)
{
  gboolean d2s = strcmp (c->layer->type, "DepthToSpace") == 0;
  const char *mode = ovi_ir_attr_str (c, "mode", "blocks_first");
  int64_t bs;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error)
      || !ovi_ir_attr_int (c, "block_size", FALSE, 1, &bs, error))
    return FALSE;
  if (strcmp (mode, "blocks_first") != 0
      && (strcmp (mode, "depth_first") != 0 || !d2s))
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  ovi_ir_add_node (c, d2s ? "DepthToSpace" : "SpaceToDepth", 1, c->in, 1,
      c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "blocksize", bs);
  if (d2s)
    ovi_node_set_attr_string (ovi_ir_last_node (c), "mode",
        strcmp (mode, "blocks_first") == 0 ? "DCR" : "CRD");
  return TRUE;
}

static gboolean
import_reverse_sequence (OviIrImport *c, GError **error)
{
  int64_t batch, seq;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_int (c, "batch_axis", FALSE, 0, &batch, error)
      || !ovi_ir_attr_int (c, "seq_axis", FALSE, 1, &seq, error))
    return FALSE;
  ovi_ir_node1 (c, "ReverseSequence", c->out[0], ovi_ir_out_dtype (c, 0), 2,
      c->in[0], ovi_ir_to_i64 (c, c->in[1]));
  ovi_node_set_attr_int (ovi_ir_last_node (c), "batch_axis", batch);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "time_axis", seq);
  return TRUE;
}

static gboolean
import_slice (OviIrImport *c, GError **error)
{
  int ins[5];
  if (!ovi_ir_check_io (c, 4, 5, 1, 1, error))
    return FALSE;
  /* IR: data, start, stop, step[, axes]; ONNX: data, starts, ends[, axes
   * [, steps]]. */
  ins[0] = c->in[0];
  ins[1] = ovi_ir_axes_input (c, 1);
  ins[2] = ovi_ir_axes_input (c, 2);
  ins[3] = c->n_in == 5 ? ovi_ir_axes_input (c, 4) : -1;
  ins[4] = ovi_ir_axes_input (c, 3);
  ovi_ir_add_node (c, "Slice", 5, ins, 1, c->out);
  return TRUE;
}

static void
mask_get (const int64_t *m, int n, int i, gboolean *out)
{
  *out = i < n && m[i] != 0;
}

static gboolean
import_strided_slice (OviIrImport *c, GError **error)
{
  int64_t *masks[5] = { NULL };
  int n_masks[5];
  static const char *const mask_names[5] = { "begin_mask", "end_mask",
    "new_axis_mask", "shrink_axis_mask", "ellipsis_mask" };
  int64_t begin[OVI_MAX_RANK * 2], end[OVI_MAX_RANK * 2],
      stride[OVI_MAX_RANK * 2];
  int64_t starts[OVI_MAX_RANK], ends[OVI_MAX_RANK], axes[OVI_MAX_RANK],
      steps[OVI_MAX_RANK];
  int64_t shrink[OVI_MAX_RANK], newax[OVI_MAX_RANK * 2];
  int n_b, n_e, n_s, n_sl = 0, n_shrink = 0, n_new = 0;
  int r, axis, out_axis, x;
  gboolean ok = FALSE, any_mask = FALSE;

  if (!ovi_ir_check_io (c, 3, 4, 1, 1, error))
    return FALSE;
  for (int i = 0; i < 5; i++) {
    if (!ovi_ir_attr_ints (c, mask_names[i], &n_masks[i], &masks[i], error))
      goto out;
    for (int j = 0; j < n_masks[i]; j++)
      any_mask |= masks[i][j] != 0;
  }
  r = ovi_ir_in_rank (c, 0);
  if (ovi_ir_in_const (c, 1) == NULL || ovi_ir_in_const (c, 2) == NULL
      || (c->n_in == 4 && ovi_ir_in_const (c, 3) == NULL)) {
    /* Dynamic bounds: only the plain form maps onto Slice. */
    int ins[5];
    int64_t n;
    if (any_mask || ovi_ir_in_rank (c, 1) != 1
        || ovi_ir_in_dims (c, 1)[0] < 0) {
      ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
          "non-constant begin/end with masks are not supported");
      goto out;
    }
    n = ovi_ir_in_dims (c, 1)[0];
    if (n > OVI_MAX_RANK) {
      ovi_ir_fail (c, error, OVI_ERROR_INVALID, "begin is too long");
      goto out;
    }
    for (int i = 0; i < n; i++)
      axes[i] = i;
    ins[0] = c->in[0];
    ins[1] = ovi_ir_to_i64 (c, c->in[1]);
    ins[2] = ovi_ir_to_i64 (c, c->in[2]);
    ins[3] = ovi_ir_const_i64 (c, (int) n, axes, FALSE);
    ins[4] = c->n_in == 4 ? ovi_ir_to_i64 (c, c->in[3]) : -1;
    ovi_ir_add_node (c, "Slice", c->n_in == 4 ? 5 : 4, ins, 1, c->out);
    ok = TRUE;
    goto out;
  }
  if (!ovi_ir_const_ints (c, 1, "begin", OVI_MAX_RANK * 2, &n_b, begin, error)
      || !ovi_ir_const_ints (c, 2, "end", OVI_MAX_RANK * 2, &n_e, end, error))
    goto out;
  if (c->n_in == 4) {
    if (!ovi_ir_const_ints (c, 3, "stride", OVI_MAX_RANK * 2, &n_s, stride,
            error))
      goto out;
  } else {
    n_s = n_b;
    for (int i = 0; i < n_s; i++)
      stride[i] = 1;
  }
  if (n_b != n_e || n_b != n_s) {
    ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "begin, end and stride lengths differ");
    goto out;
  }
  if (r < 0) {
    ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "needs an input of known rank");
    goto out;
  }
  {
    int consumed = 0, n_ellipsis = 0;
    for (int i = 0; i < n_b; i++) {
      gboolean na, el;
      mask_get (masks[2], n_masks[2], i, &na);
      mask_get (masks[4], n_masks[4], i, &el);
      if (el)
        n_ellipsis++;
      else if (!na)
        consumed++;
    }
    if (n_ellipsis > 1 || consumed > r) {
      ovi_ir_fail (c, error, OVI_ERROR_INVALID,
          "slices more dimensions than the input has");
      goto out;
    }
  }
  axis = 0;
  out_axis = 0;
  for (int i = 0; i < n_b; i++) {
    gboolean bm, em, na, sh, el;
    mask_get (masks[0], n_masks[0], i, &bm);
    mask_get (masks[1], n_masks[1], i, &em);
    mask_get (masks[2], n_masks[2], i, &na);
    mask_get (masks[3], n_masks[3], i, &sh);
    mask_get (masks[4], n_masks[4], i, &el);
    if (el) {
      /* Skip the dimensions the entries after this one do not name. */
      int later = 0;
      for (int j = i + 1; j < n_b; j++) {
        gboolean na2, el2;
        mask_get (masks[2], n_masks[2], j, &na2);
        mask_get (masks[4], n_masks[4], j, &el2);
        if (!na2 && !el2)
          later++;
      }
      out_axis += r - axis - later;
      axis = r - later;
      continue;
    }
    if (na) {
      newax[n_new++] = out_axis++;
      continue;
    }
    if (axis >= r)
      break;
    if (sh) {
      int64_t b = begin[i];
      starts[n_sl] = b;
      ends[n_sl] = b == -1 || b == G_MAXINT64 ? G_MAXINT64 : b + 1;
      steps[n_sl] = 1;
      axes[n_sl++] = axis;
      shrink[n_shrink++] = axis;
      axis++;
      continue;
    }
    if (stride[i] == 0) {
      ovi_ir_fail (c, error, OVI_ERROR_INVALID, "stride is 0");
      goto out;
    }
    if (!bm || !em || stride[i] != 1) {
      starts[n_sl] = bm ? (stride[i] > 0 ? 0 : G_MAXINT64) : begin[i];
      ends[n_sl] = em ? (stride[i] > 0 ? G_MAXINT64 : -G_MAXINT64) : end[i];
      steps[n_sl] = stride[i];
      axes[n_sl++] = axis;
    }
    axis++;
    out_axis++;
  }
  x = c->in[0];
  if (n_sl) {
    OviDType t = ovi_ir_in_dtype (c, 0);
    int out = (n_shrink || n_new) ? ovi_ir_new_value (c, t) : c->out[0];
    ovi_ir_node1 (c, "Slice", out, t, 5, x,
        ovi_ir_const_i64 (c, n_sl, starts, FALSE),
        ovi_ir_const_i64 (c, n_sl, ends, FALSE),
        ovi_ir_const_i64 (c, n_sl, axes, FALSE),
        ovi_ir_const_i64 (c, n_sl, steps, FALSE));
    x = out;
  }
  if (n_shrink) {
    OviDType t = ovi_ir_in_dtype (c, 0);
    int out = n_new ? ovi_ir_new_value (c, t) : c->out[0];
    ovi_ir_node1 (c, "Squeeze", out, t, 2, x,
        ovi_ir_const_i64 (c, n_shrink, shrink, FALSE));
    x = out;
  }
  if (n_new)
    ovi_ir_node1 (c, "Unsqueeze", c->out[0], ovi_ir_in_dtype (c, 0), 2, x,
        ovi_ir_const_i64 (c, n_new, newax, FALSE));
  if (!n_sl && !n_shrink && !n_new)
    ovi_ir_node1 (c, "Identity", c->out[0], ovi_ir_in_dtype (c, 0), 1, x);
  ok = TRUE;

out:
  for (int i = 0; i < 5; i++)
    g_free (masks[i]);
  return ok;
}

const OviIrImportOp ovi_ir_import_shape[] = {
  { "ShapeOf", import_shape_of, 1 },
  { "Concat", import_concat, 1 },
  { "Reshape", import_reshape, 1 },
  { "Squeeze", import_squeeze, 1 },
  { "Unsqueeze", import_squeeze, 1 },
  { "Transpose", import_transpose, 1 },
  { "Split", import_split, 1 },
  { "VariadicSplit", import_variadic_split, 1 },
  { "Pad", import_pad, 1 },
  { "Broadcast", import_broadcast, 1 },
  { "Tile", import_tile, 1 },
  { "DepthToSpace", import_depth_to_space, 1 },
  { "SpaceToDepth", import_depth_to_space, 1 },
  { "Slice", import_slice, 8 },
  { "StridedSlice", import_strided_slice, 1 },
  { "ReverseSequence", import_reverse_sequence, 1 },
  { NULL },
};
