/* Planning: specialize shapes, fold constants, drop dead nodes, bind CPU
 * kernels, alias in-place ops, and lay out the arena by liveness. */
#include <omp.h>
#include <string.h>

#include "passes/passes.h"
#include "plan.h"

/* Ops whose output may share its input's memory: they only reinterpret
 * the shape of a dense buffer. */
static gboolean
is_view_op (const char *op)
{
  return strcmp (op, "Reshape") == 0 || strcmp (op, "Flatten") == 0
      || strcmp (op, "Squeeze") == 0 || strcmp (op, "Unsqueeze") == 0
      || strcmp (op, "Identity") == 0;
}

/* The op definition for a node given its inputs' types; string and
 * sequence values reach only the ops made for them (ovi_op_find_for). */
static const OviOpDef *
find_def (const OviNode *node, const char *source, OviTensor **in,
    int n_in, GError **error)
{
  const OviOpDef *def = ovi_op_find_for (node, in, n_in);
  OviDType object;
  if (def)
    return def;
  object = ovi_op_object_type (node, in, n_in);
  if (object != OVI_DTYPE_UNDEFINED && ovi_op_find (node->domain,
          node->op_type))
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "%s: node '%s': op %s does not support %s", source, node->name,
        node->op_type, object == OVI_DTYPE_STRING ? "string tensors"
        : "sequences");
  else
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "%s: node '%s': op %s%s%s is not supported", source, node->name,
        node->domain[0] ? node->domain : "", node->domain[0] ? "." : "",
        node->op_type);
  return NULL;
}

/* Only the ops of the object tables may produce string or sequence
 * values: another op's kernel would fill them byte-wise. */
static gboolean
check_object_outputs (const OviNode *node, const char *source,
    const OviOpDef *def, OviTensor **out, int n_out, GError **error)
{
  for (int o = 0; o < n_out; o++) {
    if (out[o] && ovi_dtype_is_object (out[o]->dtype)
        && def != ovi_op_find_object (node->domain, node->op_type)) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: node '%s': op %s does not support %s", source, node->name,
          node->op_type, out[o]->dtype == OVI_DTYPE_STRING
          ? "string tensors" : "sequences");
      return FALSE;
    }
  }
  return TRUE;
}

static OviInferResult
infer_node (const OviNode *node, int opset, const char *source,
    OviTensor **in, int n_in, OviTensor **out, int n_out, GError **error)
{
  const OviOpDef *def = find_def (node, source, in, n_in, error);
  OviOpCtx ctx = { .node = node, .opset = opset, .n_inputs = n_in,
    .inputs = in, .n_outputs = n_out, .outputs = out, .source = source };
  OviInferResult r;
  if (def == NULL)
    return OVI_INFER_ERROR;
  r = def->infer (&ctx, error);
  if (r != OVI_INFER_ERROR
      && !check_object_outputs (node, source, def, out, n_out, error))
    return OVI_INFER_ERROR;
  return r;
}

gboolean
ovi_plan_eval_node (const OviNode *node, int opset, const char *source,
    OviTensor **in, int n_in, OviTensor **out, int n_out, GError **error)
{
  const OviCpuKernel *k = ovi_cpu_kernel_find_for (node, in, n_in);
  OviOpCtx ctx = { .node = node, .opset = opset, .n_inputs = n_in,
    .inputs = in, .n_outputs = n_out, .outputs = out, .source = source };
  OviInferResult r;

  r = infer_node (node, opset, source, in, n_in, out, n_out, error);
  if (r == OVI_INFER_ERROR)
    return FALSE;
  if (r == OVI_INFER_NEED_DATA) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
        "%s: node '%s' (%s): cannot infer shapes from its inputs", source,
        node->name, node->op_type);
    return FALSE;
  }
  if (k == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "%s: node '%s': op %s has no CPU kernel", source, node->name,
        node->op_type);
    return FALSE;
  }
  for (int i = 0; i < n_out; i++) {
    if (out[i] == NULL)
      continue;
    if (!ovi_tensor_ensure (out[i], out[i]->dtype, out[i]->rank,
            out[i]->dims)) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "%s: node '%s' (%s): output %d is too large or untyped", source,
          node->name, node->op_type, i);
      return FALSE;
    }
  }
  return ovi_cpu_kernel_run_once (k, &ctx, NULL, error);
}

/* Dynamic steps are shaped now, with every input's data, and choose
 * their definition and kernel by the input types they really got: a value
 * whose type was unknown at plan time may turn out to be a string or a
 * sequence, which only the ops made for them may read. */
gboolean
ovi_plan_run_dynamic_step (const OviPlan *plan, const OviPlanStep *step,
    OviOpCtx *ctx, OviTensor *scratch, GError **error)
{
  const OviNode *n = step->node;
  const OviOpDef *def = ovi_op_find_for (n, ctx->inputs, ctx->n_inputs);
  const OviCpuKernel *kernel = ovi_cpu_kernel_find_for (n, ctx->inputs,
      ctx->n_inputs);
  OviInferResult res;
  if (def == NULL || kernel == NULL) {
    OviDType object = ovi_op_object_type (n, ctx->inputs, ctx->n_inputs);
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "%s: node '%s': op %s does not support %s", plan->graph->source,
        n->name, n->op_type, object == OVI_DTYPE_STRING ? "string tensors"
        : object == OVI_DTYPE_SEQUENCE ? "sequences" : "these inputs");
    return FALSE;
  }
  res = def->infer (ctx, error);
  if (res == OVI_INFER_ERROR)
    return FALSE;
  for (int o = 0; o < ctx->n_outputs; o++) {
    OviTensor *t = ctx->outputs[o];
    if (t && ovi_dtype_is_object (t->dtype)
        && def != ovi_op_find_object (n->domain, n->op_type)) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: node '%s': op %s does not support %s",
          plan->graph->source, n->name, n->op_type,
          t->dtype == OVI_DTYPE_STRING ? "string tensors" : "sequences");
      return FALSE;
    }
  }
  if (res == OVI_INFER_NEED_DATA) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
        "%s: node '%s' (%s): cannot infer its output shape",
        plan->graph->source, step->node->name, step->node->op_type);
    return FALSE;
  }
  for (int o = 0; o < ctx->n_outputs; o++) {
    OviTensor *t = ctx->outputs[o];
    if (t && !ovi_tensor_ensure (t, t->dtype, t->rank, t->dims)) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "%s: node '%s' (%s): output %d is too large",
          plan->graph->source, step->node->name, step->node->op_type, o);
      return FALSE;
    }
  }
  return ovi_cpu_kernel_run_once (kernel, ctx, scratch, error);
}

static gint
compare_size_desc (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const OviArenaBlock *blocks = user_data;
  gsize sa = blocks[*(const int *) a].size, sb = blocks[*(const int *) b].size;
  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* First alive, then larger first. */
static gint
compare_start (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const OviArenaBlock *blocks = user_data;
  int sa = blocks[*(const int *) a].start, sb = blocks[*(const int *) b].start;
  return sa != sb ? (sa < sb ? -1 : 1) : compare_size_desc (a, b, user_data);
}

/* Places the blocks in the given order, each at the lowest offset that
 * overlaps no placed block alive at the same time; returns the total. */
static gsize
place_in_order (OviArenaBlock *blocks, int n, const int *order)
{
  int *placed = g_new (int, MAX (n, 1));
  int n_placed = 0;
  gsize total = 0;

  for (int k = 0; k < n; k++) {
    OviArenaBlock *b = &blocks[order[k]];
    gsize offset = 0;
    gboolean moved = TRUE;
    while (moved) {
      moved = FALSE;
      for (int j = 0; j < n_placed; j++) {
        OviArenaBlock *o = &blocks[placed[j]];
        if (o->end < b->start || b->end < o->start)
          continue;
        if (offset < o->offset + o->size && o->offset < offset + b->size) {
          offset = o->offset + o->size;
          moved = TRUE;
        }
      }
    }
    b->offset = offset;
    total = MAX (total, offset + b->size);
    placed[n_placed++] = order[k];
  }
  g_free (placed);
  return total;
}

/* Greedy placement, in two orders, keeping the smaller arena: by
 * decreasing size (big blocks first, the small ones fill the gaps), and
 * by the step each block starts at (a chain's blocks stack as their
 * lifetimes do: by size, a later block alive alone goes to offset 0 and
 * pushes the one alive beside it and its predecessor above both). */
gsize
ovi_arena_place (OviArenaBlock *blocks, int n)
{
  int *order = g_new (int, MAX (n, 1));
  gsize *by_size = g_new (gsize, MAX (n, 1));
  gsize size_total, start_total;

  for (int i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, n, sizeof (int), compare_size_desc, blocks);
  size_total = place_in_order (blocks, n, order);
  for (int i = 0; i < n; i++)
    by_size[i] = blocks[i].offset;
  g_qsort_with_data (order, n, sizeof (int), compare_start, blocks);
  start_total = place_in_order (blocks, n, order);
  if (size_total <= start_total)
    for (int i = 0; i < n; i++)
      blocks[i].offset = by_size[i];
  g_free (order);
  g_free (by_size);
  return MIN (size_total, start_total);
}

static gsize
align_up (gsize n)
{
  return (n + OVI_ALIGNMENT - 1) & ~(gsize) (OVI_ALIGNMENT - 1);
}

static gboolean
reads_only_shapes (const OviNode *n)
{
  return n->domain[0] == '\0' && (strcmp (n->op_type, "Shape") == 0
      || strcmp (n->op_type, "Size") == 0);
}

/* Per-node argument arrays, sized once for the widest node of a graph
 * (a Concat may have hundreds of inputs). */
typedef struct {
  OviTensor **in, **out, **res;
  OviTensor *tin, *tout;
  void **saved;
} Scratch;

static void
scratch_init (Scratch *sc, const OviGraph *g)
{
  int w = 1;
  for (guint i = 0; i < g->nodes->len; i++) {
    const OviNode *n = ovi_graph_node (g, i);
    w = MAX (w, MAX (n->n_inputs, n->n_outputs));
  }
  sc->in = g_new0 (OviTensor *, w);
  sc->out = g_new0 (OviTensor *, w);
  sc->res = g_new0 (OviTensor *, w);
  sc->tin = g_new0 (OviTensor, w);
  sc->tout = g_new0 (OviTensor, w);
  sc->saved = g_new0 (void *, w);
}

static void
scratch_clear (Scratch *sc)
{
  g_free (sc->in);
  g_free (sc->out);
  g_free (sc->res);
  g_free (sc->tin);
  g_free (sc->tout);
  g_free (sc->saved);
}

/* Phase 1: shapes for these inputs. Infers every live node in order,
 * folds nodes whose inputs are all constant, and keeps only the nodes left
 * to run. Values get their static shape, or `dynamic` when it depends on
 * data seen only at run time. */
static gboolean
specialize (OviPlan *plan, const OviTensorView *inputs, GError **error)
{
  OviGraph *g = plan->graph;
  int nv = g->values->len, nn = g->nodes->len;
  gboolean *live_node = g_new0 (gboolean, nn);
  gboolean *needed = g_new0 (gboolean, nv);
  OviTensor *shapes = g_new0 (OviTensor, nv);
  gboolean *removed = g_new0 (gboolean, nn);
  gboolean ok = FALSE;
  Scratch sc;

  scratch_init (&sc, g);

  for (int v = 0; v < nv; v++) {
    OviValue *val = ovi_graph_value (g, v);
    val->dynamic = FALSE;
    if (val->constant) {
      shapes[v] = *val->constant;
      shapes[v].owned = NULL;
    }
  }
  for (guint i = 0; i < g->inputs->len; i++) {
    int v = g_array_index (g->inputs, int, i);
    shapes[v].dtype = inputs[i].dtype;
    shapes[v].rank = inputs[i].rank;
    memcpy (shapes[v].dims, inputs[i].dims, sizeof (inputs[i].dims));
  }

  /* Which nodes matter: walk back from the outputs. */
  for (guint i = 0; i < g->outputs->len; i++)
    needed[g_array_index (g->outputs, int, i)] = TRUE;
  for (int i = nn - 1; i >= 0; i--) {
    OviNode *n = ovi_graph_node (g, i);
    for (int o = 0; o < n->n_outputs; o++)
      if (n->outputs[o] >= 0 && needed[n->outputs[o]])
        live_node[i] = TRUE;
    if (live_node[i])
      for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0)
          needed[n->inputs[k]] = TRUE;
  }

  for (int i = 0; i < nn; i++) {
    OviNode *n = ovi_graph_node (g, i);
    OviTensor **in = sc.in, **out = sc.out;
    gboolean all_const = TRUE, any_dynamic = FALSE;
    const OviOpDef *def;
    OviInferResult r;

    if (!live_node[i]) {
      removed[i] = TRUE;
      continue;
    }
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      in[k] = v >= 0 ? &shapes[v] : NULL;
      if (v >= 0) {
        all_const &= ovi_graph_value (g, v)->constant != NULL;
        any_dynamic |= ovi_graph_value (g, v)->dynamic;
      }
    }
    for (int o = 0; o < n->n_outputs; o++)
      out[o] = n->outputs[o] >= 0 ? &shapes[n->outputs[o]] : NULL;

    def = find_def (n, g->source, in, n->n_inputs, error);
    if (def == NULL)
      goto out;
    /* Ops that read only their inputs' shapes fold as soon as those are
     * static: Shape -> Gather -> Concat -> Reshape chains then vanish. */
    if (!any_dynamic && reads_only_shapes (n))
      all_const = TRUE;
    if (all_const && !def->no_fold) {
      /* Fold: evaluate now, keep the results as constants. */
      OviTensor **res = sc.res;
      gboolean folded;
      for (int o = 0; o < n->n_outputs; o++)
        res[o] = n->outputs[o] >= 0 ? g_new0 (OviTensor, 1) : NULL;
      folded = ovi_plan_eval_node (n, g->opset, g->source, in, n->n_inputs,
          res, n->n_outputs, error);
      for (int o = 0; o < n->n_outputs; o++) {
        int v = n->outputs[o];
        if (res[o] == NULL)
          continue;
        if (folded) {
          OviValue *val = ovi_graph_value (g, v);
          ovi_tensor_free (val->constant);
          val->constant = res[o];
          shapes[v] = *res[o];
          shapes[v].owned = NULL;
        } else {
          ovi_tensor_free (res[o]);
        }
      }
      if (!folded)
        goto out;
      plan->n_folded++;
      removed[i] = TRUE;
      continue;
    }

    if (any_dynamic) {
      r = OVI_INFER_NEED_DATA;
    } else {
      /* Input data is visible to infer only for constants. */
      void **saved = sc.saved;
      for (int k = 0; k < n->n_inputs; k++) {
        saved[k] = in[k] ? in[k]->data : NULL;
        if (in[k] && ovi_graph_value (g, n->inputs[k])->constant == NULL)
          in[k]->data = NULL;
      }
      r = infer_node (n, g->opset, g->source, in, n->n_inputs, out,
          n->n_outputs, error);
      for (int k = 0; k < n->n_inputs; k++)
        if (in[k])
          in[k]->data = saved[k];
    }
    if (r == OVI_INFER_ERROR)
      goto out;
    for (int o = 0; o < n->n_outputs; o++) {
      int v = n->outputs[o];
      if (v < 0)
        continue;
      if (r == OVI_INFER_NEED_DATA) {
        ovi_graph_value (g, v)->dynamic = TRUE;
      } else if (ovi_shape_numel (shapes[v].rank, shapes[v].dims) < 0
          || !(ovi_dtype_is_known (shapes[v].dtype)
              || ovi_dtype_is_object (shapes[v].dtype))) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
            "%s: node '%s' (%s): output %d has no concrete shape",
            g->source, n->name, n->op_type, o);
        goto out;
      }
    }
  }

  /* Values take their inferred types and shapes. */
  for (int v = 0; v < nv; v++) {
    OviValue *val = ovi_graph_value (g, v);
    if (shapes[v].dtype == OVI_DTYPE_UNDEFINED && !val->dynamic)
      continue;
    val->dtype = shapes[v].dtype;
    val->rank = val->dynamic ? -1 : shapes[v].rank;
    memcpy (val->dims, shapes[v].dims, sizeof (val->dims));
  }
  ok = TRUE;
  goto out;

out:
  {
    /* Drop folded and dead nodes, keeping the order. */
    GPtrArray *kept = g_ptr_array_sized_new (nn);
    for (int i = 0; i < nn; i++) {
      if (removed[i])
        ovi_node_free (ovi_graph_node (g, i));
      else
        g_ptr_array_add (kept, ovi_graph_node (g, i));
    }
    g_ptr_array_free (g->nodes, TRUE);
    g->nodes = kept;
  }
  g_free (removed);
  scratch_clear (&sc);
  g_free (live_node);
  g_free (needed);
  g_free (shapes);
  return ok;
}

/* A context for a static step at plan time: shapes from the plan's
 * values, data for constants only. Points into sc's arrays. */
static void
step_ctx (const OviPlan *plan, const OviPlanStep *step, Scratch *sc,
    OviOpCtx *ctx)
{
  const OviGraph *g = plan->graph;
  const OviNode *n = step->node;
  memset (ctx, 0, sizeof (*ctx));
  ctx->node = n;
  ctx->opset = g->opset;
  ctx->n_inputs = n->n_inputs;
  ctx->inputs = sc->in;
  ctx->n_outputs = n->n_outputs;
  ctx->outputs = sc->out;
  ctx->source = g->source;
  ctx->max_threads = plan->max_threads;
  for (int k = 0; k < n->n_inputs + n->n_outputs; k++) {
    gboolean is_in = k < n->n_inputs;
    int v = is_in ? n->inputs[k] : n->outputs[k - n->n_inputs];
    OviTensor *t = is_in ? &sc->tin[k] : &sc->tout[k - n->n_inputs];
    OviTensor **slot = is_in ? &sc->in[k] : &sc->out[k - n->n_inputs];
    const OviValue *val;
    if (v < 0) {
      *slot = NULL;
      continue;
    }
    val = ovi_graph_value (g, v);
    memset (t, 0, sizeof (*t));
    t->dtype = val->dtype;
    t->rank = val->rank;
    memcpy (t->dims, val->dims, sizeof (t->dims));
    if (val->constant)
      t->data = val->constant->data;
    *slot = t;
  }
}

/* Drops the plan's reference to each constant every reader of which
 * packed it in prepare (packed[s]: step s's packed_inputs); the value
 * keeps its type and shape, its data becomes NULL. */
static void
release_packed (OviPlan *plan, const guint32 *packed)
{
  OviGraph *g = plan->graph;
  int nv = g->values->len;
  int *uses = g_new0 (int, MAX (nv, 1));
  int *packed_uses = g_new0 (int, MAX (nv, 1));

  for (int s = 0; s < plan->n_steps; s++) {
    const OviNode *n = plan->steps[s].node;
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v < 0)
        continue;
      uses[v]++;
      if (k < 32 && (packed[s] & (1u << k)))
        packed_uses[v]++;
    }
  }
  for (int v = 0; v < nv; v++) {
    OviValue *val = ovi_graph_value (g, v);
    if (val->constant && uses[v] > 0 && packed_uses[v] == uses[v]
        && !ovi_graph_is_output (g, v)
        && !ovi_dtype_is_object (val->constant->dtype))
      ovi_tensor_clear (val->constant);
  }
  g_free (uses);
  g_free (packed_uses);
}

/* Phase 3: kernels, memory, and per-node preparation. */
static gboolean
bind_steps (OviPlan *plan, OviPlanFlags flags, GError **error)
{
  OviGraph *g = plan->graph;
  int nv = g->values->len, nn = g->nodes->len;
  int *alias = g_new (int, nv);
  gboolean ok = FALSE;
  Scratch sc;
  guint32 *packed = NULL;

  scratch_init (&sc, g);
  plan->storage = g_new0 (OviStorage, nv);
  plan->offset = g_new0 (gsize, nv);
  plan->steps = g_new0 (OviPlanStep, MAX (nn, 1));
  for (int v = 0; v < nv; v++) {
    OviValue *val = ovi_graph_value (g, v);
    alias[v] = -1;
    plan->storage[v] = val->constant ? OVI_STORAGE_CONSTANT : OVI_STORAGE_NONE;
  }
  for (guint i = 0; i < g->inputs->len; i++)
    plan->storage[g_array_index (g->inputs, int, i)] = OVI_STORAGE_INPUT;

  for (int i = 0; i < nn; i++) {
    OviNode *n = ovi_graph_node (g, i);
    OviPlanStep *step = &plan->steps[plan->n_steps];
    OviTensor *types = sc.tin, **in = sc.in;
    step->node = n;
    /* Kernels are chosen by input types, like definitions (dynamic steps
     * choose again at run time, when every type is known). */
    for (int k = 0; k < n->n_inputs; k++) {
      in[k] = NULL;
      if (n->inputs[k] >= 0) {
        memset (&types[k], 0, sizeof (types[k]));
        types[k].dtype = ovi_graph_value (g, n->inputs[k])->dtype;
        in[k] = &types[k];
      }
    }
    step->kernel = ovi_cpu_kernel_find_for (n, in, n->n_inputs);
    if (step->kernel == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: node '%s': op %s has no CPU kernel", g->source, n->name,
          n->op_type);
      goto out;
    }
    plan->n_steps++;
    /* Strings and sequences are owned, per inference, by the request:
     * never in the arena, never aliased, their step always run as dynamic
     * so that its outputs are made anew. A dynamic step's outputs are all
     * request-owned. */
    for (int o = 0; o < n->n_outputs; o++) {
      int v = n->outputs[o];
      if (v >= 0 && (ovi_graph_value (g, v)->dynamic
              || ovi_dtype_is_object (ovi_graph_value (g, v)->dtype)))
        step->dynamic = TRUE;
    }
    for (int o = 0; o < n->n_outputs; o++) {
      int v = n->outputs[o];
      if (v >= 0)
        plan->storage[v] = step->dynamic ? OVI_STORAGE_DYNAMIC
            : OVI_STORAGE_ARENA;
    }
    /* A view of an arena value shares its memory. */
    if (!step->dynamic && is_view_op (n->op_type) && n->n_outputs == 1
        && n->outputs[0] >= 0 && n->inputs[0] >= 0
        && plan->storage[n->inputs[0]] == OVI_STORAGE_ARENA) {
      int src = n->inputs[0];
      alias[n->outputs[0]] = alias[src] >= 0 ? alias[src] : src;
    }
  }

  for (guint i = 0; i < g->outputs->len; i++) {
    int v = g_array_index (g->outputs, int, i);
    if (ovi_graph_value (g, v)->dtype == OVI_DTYPE_SEQUENCE) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: output '%s' is a sequence, which is not supported",
          g->source, ovi_graph_value (g, v)->name);
      goto out;
    }
    if (plan->storage[v] == OVI_STORAGE_NONE) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "%s: output '%s' is never computed", g->source,
          ovi_graph_value (g, v)->name);
      goto out;
    }
  }

  /* Scratch sizes, with shapes final and weights readable. */
  for (int s = 0; s < plan->n_steps; s++) {
    OviPlanStep *step = &plan->steps[s];
    OviOpCtx ctx;
    if (step->dynamic || step->kernel->scratch == NULL)
      continue;
    step_ctx (plan, step, &sc, &ctx);
    step->scratch_size = align_up (step->kernel->scratch (&ctx));
  }

  /* Liveness: a block per arena root, from its producer to its last
   * reader (or the end for graph outputs); aliases extend their root. A
   * kernel's scratch is a block alive during its step only. */
  {
    OviArenaBlock *blocks = g_new0 (OviArenaBlock, nv + plan->n_steps + 1);
    int *block_of = g_new (int, nv);
    int *scratch_block = g_new (int, plan->n_steps + 1);
    int nb = 0;
    for (int v = 0; v < nv; v++) {
      block_of[v] = -1;
      if (plan->storage[v] == OVI_STORAGE_ARENA && alias[v] < 0) {
        OviValue *val = ovi_graph_value (g, v);
        OviTensor t = { .dtype = val->dtype, .rank = val->rank };
        memcpy (t.dims, val->dims, sizeof (t.dims));
        blocks[nb].size = align_up (ovi_tensor_nbytes (&t));
        blocks[nb].start = G_MAXINT;
        blocks[nb].end = -1;
        block_of[v] = nb++;
      }
    }
    for (int s = 0; s < plan->n_steps; s++) {
      const OviNode *n = plan->steps[s].node;
      scratch_block[s] = -1;
      if (plan->steps[s].scratch_size > 0) {
        blocks[nb].size = plan->steps[s].scratch_size;
        blocks[nb].start = blocks[nb].end = s;
        scratch_block[s] = nb++;
      }
      for (int k = 0; k < n->n_inputs + n->n_outputs; k++) {
        int v = k < n->n_inputs ? n->inputs[k] : n->outputs[k - n->n_inputs];
        int b;
        if (v < 0)
          continue;
        b = block_of[alias[v] >= 0 ? alias[v] : v];
        if (b < 0)
          continue;
        blocks[b].start = MIN (blocks[b].start, s);
        blocks[b].end = MAX (blocks[b].end, s);
      }
    }
    for (guint i = 0; i < g->outputs->len; i++) {
      int v = g_array_index (g->outputs, int, i);
      int b = block_of[alias[v] >= 0 ? alias[v] : v];
      if (b >= 0)
        blocks[b].end = plan->n_steps;
    }
    plan->arena_size = ovi_arena_place (blocks, nb);
    for (int v = 0; v < nv; v++) {
      int root = alias[v] >= 0 ? alias[v] : v;
      if (plan->storage[v] == OVI_STORAGE_ARENA && block_of[root] >= 0)
        plan->offset[v] = blocks[block_of[root]].offset;
    }
    for (int s = 0; s < plan->n_steps; s++)
      if (scratch_block[s] >= 0)
        plan->steps[s].scratch_offset = blocks[scratch_block[s]].offset;
    g_free (blocks);
    g_free (block_of);
    g_free (scratch_block);
  }

  /* Kernels prepare once per plan: shapes are final and constant inputs
   * (weights) readable; activations are not. */
  packed = g_new0 (guint32, MAX (plan->n_steps, 1));
  for (int s = 0; s < plan->n_steps; s++) {
    OviPlanStep *step = &plan->steps[s];
    OviOpCtx ctx;
    if (step->dynamic || step->kernel->prepare == NULL)
      continue;
    step_ctx (plan, step, &sc, &ctx);
    if (!step->kernel->prepare (&ctx, error))
      goto out;
    step->state = ctx.state;
    packed[s] = ctx.packed_inputs;
  }
  if (flags & OVI_PLAN_RELEASE_PACKED)
    release_packed (plan, packed);
  ok = TRUE;
out:
  g_free (packed);
  scratch_clear (&sc);
  g_free (alias);
  return ok;
}

OviPlan *
ovi_plan_new (const OviGraph *source_graph, const OviTensorView *inputs,
    int max_threads, GError **error)
{
  return ovi_plan_new_with_flags (source_graph, inputs, max_threads,
      OVI_PLAN_DEFAULT, error);
}

OviPlan *
ovi_plan_new_with_flags (const OviGraph *source_graph,
    const OviTensorView *inputs, int max_threads, OviPlanFlags flags,
    GError **error)
{
  OviPlan *plan = g_new0 (OviPlan, 1);
  plan->ref_count = 1;
  plan->max_threads = max_threads > 0 ? max_threads : omp_get_num_procs ();
  plan->graph = ovi_graph_copy (source_graph);
  if (!specialize (plan, inputs, error)
      || !ovi_optimize (plan->graph, !(flags & OVI_PLAN_STANDARD_OPS),
          (flags & OVI_PLAN_BLOCKED_LAYOUT) != 0, error)
      || !bind_steps (plan, flags, error)) {
    ovi_plan_unref (plan);
    return NULL;
  }
  return plan;
}

void
ovi_plan_bind_tensors (const OviPlan *plan, guint8 *arena,
    OviTensor **tensors_out, OviTensor ***io_out, int **io_start_out)
{
  const OviGraph *g = plan->graph;
  int nv = g->values->len, total = 0;
  OviTensor *tensors = g_new0 (OviTensor, MAX (nv, 1));
  int *io_start = g_new (int, plan->n_steps + 1);
  OviTensor **io;

  for (int v = 0; v < nv; v++) {
    const OviValue *val = ovi_graph_value (g, v);
    OviTensor *t = &tensors[v];
    t->dtype = val->dtype;
    t->rank = MAX (val->rank, 0);
    memcpy (t->dims, val->dims, sizeof (t->dims));
    if (plan->storage[v] == OVI_STORAGE_CONSTANT)
      t->data = val->constant->data;
    else if (plan->storage[v] == OVI_STORAGE_ARENA)
      t->data = arena + plan->offset[v];
  }
  for (int s = 0; s < plan->n_steps; s++) {
    io_start[s] = total;
    total += plan->steps[s].node->n_inputs + plan->steps[s].node->n_outputs;
  }
  io_start[plan->n_steps] = total;
  io = g_new0 (OviTensor *, MAX (total, 1));
  for (int s = 0; s < plan->n_steps; s++) {
    const OviNode *n = plan->steps[s].node;
    OviTensor **step_io = io + io_start[s];
    for (int k = 0; k < n->n_inputs; k++)
      step_io[k] = n->inputs[k] >= 0 ? &tensors[n->inputs[k]] : NULL;
    for (int k = 0; k < n->n_outputs; k++)
      step_io[n->n_inputs + k] = n->outputs[k] >= 0
          ? &tensors[n->outputs[k]] : NULL;
  }
  *tensors_out = tensors;
  *io_out = io;
  *io_start_out = io_start;
}

OviPlan *
ovi_plan_ref (OviPlan *plan)
{
  g_atomic_int_inc (&plan->ref_count);
  return plan;
}

void
ovi_plan_unref (OviPlan *plan)
{
  if (plan == NULL || !g_atomic_int_dec_and_test (&plan->ref_count))
    return;
  if (plan->executable)
    plan->release_executable (plan->executable);
  for (int s = 0; s < plan->n_steps; s++)
    if (plan->steps[s].kernel && plan->steps[s].kernel->release)
      plan->steps[s].kernel->release (plan->steps[s].state);
  g_free (plan->steps);
  g_free (plan->storage);
  g_free (plan->offset);
  ovi_graph_free (plan->graph);
  g_free (plan);
}
