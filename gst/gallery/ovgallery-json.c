/* The gallery as JSON: export, and import of our format or gvaidentify's.
 *
 * Ours: {"format": "ovi-gallery", "schema_version": 1, "persons": [{"name",
 * "created", "faces": [{"descriptor": [numbers], "source", "box": {"x",
 * "y", "w", "h"}, "created"}]}]}. Numbers are written with 17 significant
 * digits, so float32 descriptors come back bit for bit.
 *
 * gvaidentify's: [{"name", "features": ["file.tensor", ...]}], each file
 * the raw float32 values of one descriptor (little-endian), relative
 * paths taken from the JSON file's folder. */
#include "ovgallery-private.h"

#include <json-glib/json-glib.h>

#define FORMAT_NAME "ovi-gallery"

static void
add_face (JsonBuilder *b, const OvGalleryFace *f)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "descriptor");
  json_builder_begin_array (b);
  for (guint i = 0; i < f->dim; i++)
    json_builder_add_double_value (b, f->descriptor[i]);
  json_builder_end_array (b);
  if (f->source) {
    json_builder_set_member_name (b, "source");
    json_builder_add_string_value (b, f->source);
  }
  if (f->has_box) {
    json_builder_set_member_name (b, "box");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "x");
    json_builder_add_double_value (b, f->box.x);
    json_builder_set_member_name (b, "y");
    json_builder_add_double_value (b, f->box.y);
    json_builder_set_member_name (b, "w");
    json_builder_add_double_value (b, f->box.w);
    json_builder_set_member_name (b, "h");
    json_builder_add_double_value (b, f->box.h);
    json_builder_end_object (b);
  }
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, f->created);
  json_builder_end_object (b);
}

char *
ov_gallery_export_json (OvGallery *gallery, GError **error)
{
  GPtrArray *persons = NULL, *faces = NULL;
  JsonBuilder *b;
  JsonGenerator *gen;
  JsonNode *root;
  char *text;

  /* One snapshot: a writer committing meanwhile cannot split the export. */
  if (!ov_gallery_begin_read (gallery, error))
    return NULL;
  persons = ov_gallery_list_persons (gallery, error);
  if (persons)
    faces = ov_gallery_list_faces (gallery, 0, error);
  ov_gallery_rollback (gallery);
  if (faces == NULL) {
    g_clear_pointer (&persons, g_ptr_array_unref);
    return NULL;
  }

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, FORMAT_NAME);
  json_builder_set_member_name (b, "schema_version");
  json_builder_add_int_value (b, OV_GALLERY_SCHEMA_VERSION);
  json_builder_set_member_name (b, "persons");
  json_builder_begin_array (b);
  for (guint i = 0; i < persons->len; i++) {
    const OvGalleryPerson *p = g_ptr_array_index (persons, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, p->name);
    json_builder_set_member_name (b, "created");
    json_builder_add_int_value (b, p->created);
    json_builder_set_member_name (b, "faces");
    json_builder_begin_array (b);
    for (guint k = 0; k < faces->len; k++) {
      const OvGalleryFace *f = g_ptr_array_index (faces, k);
      if (f->person_id == p->id)
        add_face (b, f);
    }
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 1);
  text = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  json_node_unref (root);
  g_object_unref (b);
  g_ptr_array_unref (faces);
  g_ptr_array_unref (persons);
  return text;
}

gboolean
ov_gallery_export_file (OvGallery *gallery, const char *path, GError **error)
{
  char *text = ov_gallery_export_json (gallery, error);
  gboolean ok;
  if (text == NULL)
    return FALSE;
  /* g_file_set_contents writes a temporary file and renames it: an
   * interrupted export never leaves half a file behind. */
  ok = g_file_set_contents (path, text, -1, error);
  g_free (text);
  return ok;
}

/* ---- import ------------------------------------------------------------- */

typedef struct {
  OvGallery *gallery;
  const char *path;
  char *folder;
  gint64 now;
  guint added;
} Import;

static gboolean
invalid (Import *im, GError **error, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
invalid (Import *im, GError **error, const char *fmt, ...)
{
  va_list args;
  char *what;
  va_start (args, fmt);
  what = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_INVALID,
      "%s: %s", im->path, what);
  g_free (what);
  return FALSE;
}

static gboolean
number_of (JsonNode *node, double *out)
{
  GType t;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_double (node);
  return TRUE;
}

/* Adds a face unless the person has this descriptor already. */
static gboolean
merge_face (Import *im, gint64 person_id, const OvGalleryNewFace *face,
    gint64 created, GError **error)
{
  gboolean found = FALSE;
  if (!ov_gallery_has_descriptor (im->gallery, person_id, face->descriptor,
          face->dim, &found, error))
    return FALSE;
  if (found)
    return TRUE;
  if (!ov_gallery_insert_face (im->gallery, person_id, face, created, error))
    return FALSE;
  im->added++;
  return TRUE;
}

static gboolean
import_our_face (Import *im, gint64 person_id, JsonNode *node,
    const char *where, GError **error)
{
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
      : NULL;
  JsonArray *values;
  JsonNode *member;
  OvGalleryNewFace face = { 0 };
  OvGalleryBox box;
  float *descriptor;
  gint64 created = im->now;
  gboolean ok;

  if (o == NULL)
    return invalid (im, error, "%s is not an object", where);
  member = json_object_get_member (o, "descriptor");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member)
      || json_array_get_length (values = json_node_get_array (member)) == 0)
    return invalid (im, error, "%s.descriptor must be a non-empty array",
        where);
  face.dim = json_array_get_length (values);
  descriptor = g_new (float, face.dim);
  for (guint i = 0; i < face.dim; i++) {
    double v;
    if (!number_of (json_array_get_element (values, i), &v)) {
      g_free (descriptor);
      return invalid (im, error, "%s.descriptor[%u] is not a number", where,
          i);
    }
    descriptor[i] = (float) v;
  }
  face.descriptor = descriptor;
  if ((member = json_object_get_member (o, "source"))
      && !JSON_NODE_HOLDS_NULL (member)) {
    if (json_node_get_value_type (member) != G_TYPE_STRING) {
      g_free (descriptor);
      return invalid (im, error, "%s.source must be a string", where);
    }
    face.source = json_node_get_string (member);
  }
  if ((member = json_object_get_member (o, "box"))
      && !JSON_NODE_HOLDS_NULL (member)) {
    JsonObject *bo = JSON_NODE_HOLDS_OBJECT (member)
        ? json_node_get_object (member) : NULL;
    if (bo == NULL || !number_of (json_object_get_member (bo, "x"), &box.x)
        || !number_of (json_object_get_member (bo, "y"), &box.y)
        || !number_of (json_object_get_member (bo, "w"), &box.w)
        || !number_of (json_object_get_member (bo, "h"), &box.h)) {
      g_free (descriptor);
      return invalid (im, error, "%s.box must have numbers x, y, w, h", where);
    }
    face.box = &box;
  }
  if ((member = json_object_get_member (o, "created"))) {
    double v;
    if (number_of (member, &v))
      created = (gint64) v;
  }
  ok = merge_face (im, person_id, &face, created, error);
  g_free (descriptor);
  return ok;
}

static gboolean
import_ours (Import *im, JsonObject *root, GError **error)
{
  JsonNode *node = json_object_get_member (root, "persons");
  JsonArray *persons;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return invalid (im, error, "\"persons\" must be an array");
  persons = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (persons); i++) {
    JsonNode *pn = json_array_get_element (persons, i);
    JsonObject *p = JSON_NODE_HOLDS_OBJECT (pn) ? json_node_get_object (pn)
        : NULL;
    JsonNode *name = p ? json_object_get_member (p, "name") : NULL;
    JsonNode *faces = p ? json_object_get_member (p, "faces") : NULL;
    gint64 created = im->now, id;
    double v;

    if (name == NULL || !JSON_NODE_HOLDS_VALUE (name)
        || json_node_get_value_type (name) != G_TYPE_STRING)
      return invalid (im, error, "persons[%u].name must be a string", i);
    if (faces && !JSON_NODE_HOLDS_ARRAY (faces))
      return invalid (im, error, "persons[%u].faces must be an array", i);
    if (number_of (json_object_get_member (p, "created"), &v))
      created = (gint64) v;
    id = ov_gallery_ensure_person (im->gallery, json_node_get_string (name),
        created, error);
    if (id == 0)
      return FALSE;
    for (guint k = 0; faces && k < json_array_get_length (
            json_node_get_array (faces)); k++) {
      char *where = g_strdup_printf ("persons[%u].faces[%u]", i, k);
      gboolean ok = import_our_face (im, id, json_array_get_element (
              json_node_get_array (faces), k), where, error);
      g_free (where);
      if (!ok)
        return FALSE;
    }
  }
  return TRUE;
}

static gboolean
import_tensor_file (Import *im, gint64 person_id, const char *file,
    GError **error)
{
  char *path = g_path_is_absolute (file) ? g_strdup (file)
      : g_build_filename (im->folder, file, NULL);
  char *bytes = NULL;
  gsize size = 0;
  gboolean ok = FALSE;

  if (!g_file_get_contents (path, &bytes, &size, error)) {
    g_prefix_error (error, "%s: ", im->path);
  } else if (size == 0 || size % 4 != 0) {
    invalid (im, error, "%s: %" G_GSIZE_FORMAT " bytes is not a float32 "
        "descriptor", path, size);
  } else {
    OvGalleryNewFace face = { 0 };
    float *values = g_new (float, size / 4);
    ov_gallery_descriptor_decode ((const guint8 *) bytes, size / 4, values);
    face.descriptor = values;
    face.dim = size / 4;
    face.source = file;
    ok = merge_face (im, person_id, &face, im->now, error);
    g_free (values);
  }
  g_free (bytes);
  g_free (path);
  return ok;
}

static gboolean
import_gvaidentify (Import *im, JsonArray *items, GError **error)
{
  for (guint i = 0; i < json_array_get_length (items); i++) {
    JsonNode *node = json_array_get_element (items, i);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
        : NULL;
    JsonNode *name = o ? json_object_get_member (o, "name") : NULL;
    JsonNode *features = o ? json_object_get_member (o, "features") : NULL;
    JsonArray *files;
    gint64 id;

    if (name == NULL || !JSON_NODE_HOLDS_VALUE (name)
        || json_node_get_value_type (name) != G_TYPE_STRING
        || features == NULL || !JSON_NODE_HOLDS_ARRAY (features))
      return invalid (im, error, "[%u] must have a string \"name\" and an "
          "array \"features\" (gvaidentify's gallery format)", i);
    id = ov_gallery_ensure_person (im->gallery, json_node_get_string (name),
        im->now, error);
    if (id == 0)
      return FALSE;
    files = json_node_get_array (features);
    for (guint k = 0; k < json_array_get_length (files); k++) {
      JsonNode *f = json_array_get_element (files, k);
      if (!JSON_NODE_HOLDS_VALUE (f)
          || json_node_get_value_type (f) != G_TYPE_STRING)
        return invalid (im, error, "[%u].features[%u] must be a file path",
            i, k);
      if (!import_tensor_file (im, id, json_node_get_string (f), error))
        return FALSE;
    }
  }
  return TRUE;
}

gboolean
ov_gallery_import_file (OvGallery *gallery, const char *path, guint *n_added,
    GError **error)
{
  JsonParser *parser = json_parser_new ();
  Import im = { gallery, path, g_path_get_dirname (path),
    g_get_real_time () / G_USEC_PER_SEC, 0 };
  JsonNode *root;
  gboolean ok = FALSE;

  if (!json_parser_load_from_file (parser, path, error)) {
    g_prefix_error (error, "%s: ", path);
    goto out;
  }
  root = json_parser_get_root (parser);
  if (root == NULL
      || !(JSON_NODE_HOLDS_ARRAY (root) || JSON_NODE_HOLDS_OBJECT (root))) {
    invalid (&im, error, "not a gallery (expected an object or an array)");
    goto out;
  }
  if (JSON_NODE_HOLDS_OBJECT (root)) {
    JsonNode *format = json_object_get_member (json_node_get_object (root),
        "format");
    if (format == NULL || !JSON_NODE_HOLDS_VALUE (format)
        || json_node_get_value_type (format) != G_TYPE_STRING
        || g_strcmp0 (json_node_get_string (format), FORMAT_NAME) != 0) {
      invalid (&im, error, "not a gallery (\"format\" is not \"%s\")",
          FORMAT_NAME);
      goto out;
    }
  }
  /* All or nothing: a bad entry half-way leaves the gallery as it was. */
  if (!ov_gallery_begin_write (gallery, error))
    goto out;
  ok = JSON_NODE_HOLDS_OBJECT (root)
      ? import_ours (&im, json_node_get_object (root), error)
      : import_gvaidentify (&im, json_node_get_array (root), error);
  if (ok)
    ok = ov_gallery_commit (gallery, error);
  else
    ov_gallery_rollback (gallery);
  if (ok && n_added)
    *n_added = im.added;

out:
  g_free (im.folder);
  g_object_unref (parser);
  return ok;
}
