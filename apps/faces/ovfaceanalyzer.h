/* Faces in photos: a long-lived GStreamer pipeline (decoder, ovdetect,
 * landmarks, recognition, age/gender and expression ovclassify) fed one
 * encoded photo after another, so models load once and decoding overlaps
 * inference. Used by the photo-library indexer and the gallery CLI. */
#ifndef OV_FACE_ANALYZER_H
#define OV_FACE_ANALYZER_H

#include <glib.h>

G_BEGIN_DECLS

#define OV_FACE_DESCRIPTOR_DIM 128

typedef struct {
  /* Box in photo pixels, detector confidence. */
  double x, y, w, h, score;
  gboolean has_descriptor;
  float descriptor[OV_FACE_DESCRIPTOR_DIM];
  double age;                   /* < 0: unknown */
  char *gender;                 /* NULL: unknown */
  double gender_confidence;
  char *expression;             /* NULL: unknown */
} OvFace;

typedef struct {
  const char *path;             /* as given */
  gpointer user_data;           /* as given */
  int width, height;
  GArray *faces;                /* OvFace; NULL on error */
  char *error;                  /* why the photo gave no result, or NULL */
} OvFaceResult;

typedef struct _OvFaceAnalyzer OvFaceAnalyzer;

/* Models from `models_dir` (ssd_mobilenetv1, face_landmark_68,
 * face_recognition, age_gender, face_expression: .onnx + .json each);
 * with_attributes FALSE skips age/gender and expression. */
OvFaceAnalyzer *ov_face_analyzer_new (const char *models_dir,
    gboolean with_attributes, GError **error);
void ov_face_analyzer_free (OvFaceAnalyzer *a);

typedef void (*OvFaceResultFunc) (const OvFaceResult *result,
    gpointer user_data);

/* Analyzes the photos (JPEG or PNG), calling `func` once per photo in
 * the order given (on this thread); a photo that cannot be read or
 * decoded gets a result with `error`. paths and datas are parallel
 * arrays (datas may be NULL). FALSE with error only when the pipeline
 * itself cannot run (missing plugin, models). */
gboolean ov_face_analyzer_run (OvFaceAnalyzer *a, const char *const *paths,
    gpointer *datas, guint n, OvFaceResultFunc func, gpointer user_data,
    GError **error);

/* The largest face of a result, or NULL. */
const OvFace *ov_face_result_largest (const OvFaceResult *r);

G_END_DECLS

#endif
