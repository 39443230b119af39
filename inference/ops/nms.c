/* See nms.h. */
#include <math.h>

#include "nms.h"

typedef struct {
  double y1, x1, y2, x2;
} NmsBox;

static NmsBox
nms_box (OviDType dt, const void *data, int64_t off, gboolean center)
{
  double a = ovi_load_f64 (dt, data, off), b = ovi_load_f64 (dt, data,
      off + 1);
  double c = ovi_load_f64 (dt, data, off + 2), d = ovi_load_f64 (dt, data,
      off + 3);
  NmsBox r;
  if (center) {
    r.x1 = a - c / 2;
    r.x2 = a + c / 2;
    r.y1 = b - d / 2;
    r.y2 = b + d / 2;
  } else {
    r.y1 = MIN (a, c);
    r.y2 = MAX (a, c);
    r.x1 = MIN (b, d);
    r.x2 = MAX (b, d);
  }
  return r;
}

static double
nms_iou (const NmsBox *a, const NmsBox *b)
{
  double area_a = (a->y2 - a->y1) * (a->x2 - a->x1);
  double area_b = (b->y2 - b->y1) * (b->x2 - b->x1);
  double ih = MIN (a->y2, b->y2) - MAX (a->y1, b->y1);
  double iw = MIN (a->x2, b->x2) - MAX (a->x1, b->x1);
  double inter;
  if (!(area_a > 0) || !(area_b > 0) || !(ih > 0) || !(iw > 0))
    return 0;
  inter = ih * iw;
  return inter / (area_a + area_b - inter);
}

static gint
nms_cmp (gconstpointer a, gconstpointer b, gpointer user)
{
  const double *s = user;
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  if (s[x] != s[y])
    return s[x] > s[y] ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

int64_t
ovi_nms_select (OviOpCtx *ctx, OviNmsEmit emit, gpointer data)
{
  OviTensor *boxes = ctx->inputs[0], *scores = ctx->inputs[1];
  OviTensor *tmax = ovi_op_input (ctx, 2), *tiou = ovi_op_input (ctx, 3);
  OviTensor *tscore = ovi_op_input (ctx, 4);
  gboolean center = ovi_node_attr_int (ctx->node, "center_point_box", 0)
      != 0;
  int64_t nb = boxes->dims[0], n = boxes->dims[1], nc = scores->dims[1];
  int64_t max_out = 0, count = 0;
  double iou_thr = 0, score_thr = 0;
  gboolean has_score_thr = FALSE;
  NmsBox *bx;
  double *sc;
  int64_t *order, *sel;

  if (tmax && ovi_tensor_numel (tmax) > 0)
    max_out = ovi_tensor_get_i64 (tmax, 0);
  if (tiou && ovi_tensor_numel (tiou) > 0)
    iou_thr = ovi_tensor_get_f64 (tiou, 0);
  if (tscore && ovi_tensor_numel (tscore) > 0) {
    score_thr = ovi_tensor_get_f64 (tscore, 0);
    has_score_thr = TRUE;
  }
  if (max_out <= 0 || n == 0)
    return 0;
  bx = g_new (NmsBox, n);
  sc = g_new (double, n);
  order = g_new (int64_t, n);
  sel = g_new (int64_t, n);
  for (int64_t b = 0; b < nb; b++) {
    for (int64_t i = 0; i < n; i++)
      bx[i] = nms_box (boxes->dtype, boxes->data, (b * n + i) * 4, center);
    for (int64_t c = 0; c < nc; c++) {
      int64_t cand = 0, nsel = 0;
      for (int64_t i = 0; i < n; i++) {
        sc[i] = ovi_load_f64 (scores->dtype, scores->data, (b * nc + c) * n
            + i);
        if (!isnan (sc[i]) && (!has_score_thr || sc[i] > score_thr))
          order[cand++] = i;
      }
      g_qsort_with_data (order, cand, sizeof (int64_t), nms_cmp, sc);
      for (int64_t k = 0; k < cand && nsel < max_out; k++) {
        gboolean keep = TRUE;
        for (int64_t s = 0; s < nsel && keep; s++)
          keep = !(nms_iou (&bx[order[k]], &bx[sel[s]]) > iou_thr);
        if (!keep)
          continue;
        sel[nsel++] = order[k];
        if (emit)
          emit (b, c, order[k], data);
      }
      count += nsel;
    }
  }
  g_free (bx);
  g_free (sc);
  g_free (order);
  g_free (sel);
  return count;
}

