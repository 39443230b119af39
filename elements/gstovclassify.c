/**
 * SECTION:element-ovclassify
 * @title: ovclassify
 *
 * Classification of regions of interest (by default; or of whole frames
 * with `inference-region=full-frame`): each model output named in
 * model-proc becomes an attribute structure on the region (`label`,
 * `label_id`, `confidence`), or a raw tensor (`raw_data_copy`, e.g.
 * embeddings). `object-class` limits it to some labels; with ovtrack
 * upstream, `reclassify-interval` reuses a tracked object's results.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! videoconvert ! \
 *     ovdetect model=detector.onnx ! \
 *     ovclassify model=classifier.onnx model-proc=classifier.json \
 *     object-class=person ! ovmetaconvert ! fakesink
 * ]|
 */
#include "gstovclassify.h"

#include "gstovlandmarks.h"
#include "gstovmeta.h"
#include "gstovresults.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_classify_debug);
#define GST_CAT_DEFAULT gst_ov_classify_debug

#define DEFAULT_RECLASSIFY_INTERVAL 1
/* Tracked objects remembered at most; beyond, the cache starts over. */
#define MAX_CACHED_OBJECTS 4096

enum {
  PROP_0,
  PROP_RECLASSIFY_INTERVAL,
};

typedef struct {
  GPtrArray *results;   /* GstStructure copies */
  guint reused;         /* times served since the last inference */
} CachedObject;

struct _GstOvClassify {
  GstOvBaseInference parent;
  guint reclassify_interval;

  GMutex cache_lock;
  GHashTable *cache;    /* object id -> CachedObject */
};

G_DEFINE_TYPE (GstOvClassify, gst_ov_classify, GST_TYPE_OV_BASE_INFERENCE);
GST_ELEMENT_REGISTER_DEFINE (ovclassify, "ovclassify", GST_RANK_NONE,
    GST_TYPE_OV_CLASSIFY);

static void
cached_free (gpointer data)
{
  CachedObject *c = data;
  g_ptr_array_unref (c->results);
  g_free (c);
}

static gboolean
model_ready (GstOvBaseInference *base, GError **error)
{
  GstOvClassify *self = GST_OV_CLASSIFY (base);
  const GstOvModelProc *mp = gst_ov_base_inference_get_model_proc (base);
  OviModel *model = gst_ov_base_inference_get_model (base);
  int n = ovi_model_get_n_outputs (model);
  const char **names = g_new0 (const char *, n + 1);
  gboolean ok = TRUE;

  for (int i = 0; i < n; i++)
    ovi_model_get_output (model, i, &names[i], NULL);
  /* Every output model-proc names must exist. */
  for (guint i = 0; mp && i < mp->postprocs->len && ok; i++) {
    GstOvPostproc *pp = g_ptr_array_index (mp->postprocs, i);
    if (gst_ov_find_output (names, n, pp->layer_name, (int) i) < 0) {
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "model-proc names output '%s', which the model does not have",
          pp->layer_name ? pp->layer_name : "(by position)");
      ok = FALSE;
    }
  }
  g_free (names);
  g_mutex_lock (&self->cache_lock);
  g_hash_table_remove_all (self->cache);
  g_mutex_unlock (&self->cache_lock);
  return ok;
}

/* A tracked object classified recently gets its cached results. */
static gboolean
want_region (GstOvBaseInference *base, GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi)
{
  GstOvClassify *self = GST_OV_CLASSIFY (base);
  gint id = gst_ov_roi_get_object_id (roi);
  CachedObject *c;
  gboolean infer = TRUE;

  if (id < 0 || self->reclassify_interval == 1)
    return TRUE;
  g_mutex_lock (&self->cache_lock);
  c = g_hash_table_lookup (self->cache, GINT_TO_POINTER (id));
  if (c && (self->reclassify_interval == 0
          || c->reused + 1 < self->reclassify_interval)) {
    for (guint i = 0; i < c->results->len; i++) {
      const GstStructure *result = g_ptr_array_index (c->results, i);
      gst_ov_add_result (buffer, roi, gst_structure_copy (result));
    }
    c->reused++;
    infer = FALSE;
  }
  g_mutex_unlock (&self->cache_lock);
  return infer;
}

static void
remember (GstOvClassify *self, gint id, GPtrArray *results)
{
  CachedObject *c = g_new0 (CachedObject, 1);
  c->results = results;
  g_mutex_lock (&self->cache_lock);
  if (g_hash_table_size (self->cache) >= MAX_CACHED_OBJECTS)
    g_hash_table_remove_all (self->cache);
  g_hash_table_replace (self->cache, GINT_TO_POINTER (id), c);
  g_mutex_unlock (&self->cache_lock);
}

static gboolean
decode (GstOvBaseInference *base, GstBuffer *buffer, const GstVideoInfo *info,
    const GstOvJob *job, GError **error)
{
  GstOvClassify *self = GST_OV_CLASSIFY (base);
  const GstOvModelProc *mp = gst_ov_base_inference_get_model_proc (base);
  const char *model_name = gst_ov_base_inference_get_model_name (base);
  const gchar *const *labels = gst_ov_base_inference_get_labels (base);
  OviTensorView outs[16];
  const char *names[16];
  /* Copies kept only for tracked objects that will be reclassified
   * later; -1 (untracked, or reclassifying always) keeps none. */
  gint object_id = self->reclassify_interval != 1 && job->roi
      ? gst_ov_roi_get_object_id (job->roi) : -1;
  GPtrArray *results;
  int n, entries;
  gboolean ok = TRUE;

  if (!gst_ov_job_get_outputs (job, outs, names, 16, &n, error))
    return FALSE;
  results = object_id >= 0 ? g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_structure_free) : NULL;
  /* With model-proc: its entries. Without: every output, as a label when
   * labels are known, else as a raw tensor. */
  entries = mp && mp->postprocs->len > 0 ? (int) mp->postprocs->len : n;
  for (int i = 0; i < entries && ok; i++) {
    const GstOvPostproc *pp = mp && mp->postprocs->len > 0
        ? g_ptr_array_index (mp->postprocs, i) : NULL;
    GstOvPostproc guess = { 0 };
    int k = gst_ov_find_output (names, n, pp ? pp->layer_name : NULL, i);
    GstStructure *s;
    if (k < 0)
      continue;
    if (pp == NULL || pp->converter == OV_CONVERTER_NONE) {
      if (pp)
        guess = *pp;
      guess.converter = labels ? OV_CONVERTER_LABEL : OV_CONVERTER_RAW;
      pp = &guess;
    }
    if (pp->converter == OV_CONVERTER_LANDMARK_POINTS) {
      /* Points are stored relative to the ROI (or the frame). */
      const GstOvPreprocParams *in = gst_ov_base_inference_get_preproc (base);
      GstVideoRectangle box = job->region;
      if (job->roi) {
        box.x = (gint) job->roi->x;
        box.y = (gint) job->roi->y;
        box.w = (gint) job->roi->w;
        box.h = (gint) job->roi->h;
      }
      s = gst_ov_landmarks_result (pp->attribute_name, names[k], model_name,
          &outs[k], in->width, in->height, &job->transform, &box, error);
    } else {
      s = gst_ov_classification_result (pp, labels, names[k], model_name,
          &outs[k], error);
    }
    if (s == NULL) {
      ok = FALSE;
      break;
    }
    if (results)
      g_ptr_array_add (results, gst_structure_copy (s));
    gst_ov_job_attach (job, buffer, s);
  }
  if (ok && results)
    remember (self, object_id, g_steal_pointer (&results));
  if (results)
    g_ptr_array_unref (results);
  return ok;
}

static void
set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstOvClassify *self = GST_OV_CLASSIFY (object);
  switch (prop_id) {
    case PROP_RECLASSIFY_INTERVAL:
      self->reclassify_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvClassify *self = GST_OV_CLASSIFY (object);
  switch (prop_id) {
    case PROP_RECLASSIFY_INTERVAL:
      g_value_set_uint (value, self->reclassify_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
finalize (GObject *object)
{
  GstOvClassify *self = GST_OV_CLASSIFY (object);
  g_hash_table_unref (self->cache);
  g_mutex_clear (&self->cache_lock);
  G_OBJECT_CLASS (gst_ov_classify_parent_class)->finalize (object);
}

static void
gst_ov_classify_class_init (GstOvClassifyClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstOvBaseInferenceClass *base_class = GST_OV_BASE_INFERENCE_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_ov_classify_debug, "ovclassify", 0,
      "ov classification");
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  g_object_class_install_property (gobject_class, PROP_RECLASSIFY_INTERVAL,
      g_param_spec_uint ("reclassify-interval", "Reclassify interval",
          "With ovtrack upstream: classify a tracked object again every Nth "
          "time it is seen (1: always, 0: only once), reusing its results "
          "in between", 0, G_MAXUINT, DEFAULT_RECLASSIFY_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (element_class,
      "Object classification", "Filter/Analyzer/Video",
      "Classifies regions of interest (or frames) with a neural network and "
      "attaches the attributes", "gst-ovi developers");
  base_class->model_ready = model_ready;
  base_class->want_region = want_region;
  base_class->decode = decode;
}

static void
gst_ov_classify_init (GstOvClassify *self)
{
  self->reclassify_interval = DEFAULT_RECLASSIFY_INTERVAL;
  g_mutex_init (&self->cache_lock);
  self->cache = g_hash_table_new_full (NULL, NULL, NULL, cached_free);
  gst_ov_base_inference_set_region (GST_OV_BASE_INFERENCE (self),
      GST_OV_REGION_ROI_LIST);
}
