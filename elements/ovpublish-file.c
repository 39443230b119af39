#include "ovpublish-file.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

struct _OvPublishFile {
  FILE *fp;
  gchar *path;
  OvPublishFileFormat format;
  /* The standard streams are shared with everything else the process
   * prints: they get one record per line and are never closed. */
  gboolean is_std_stream;
  guint64 records;
  gboolean array_ended;         /* "]\n" written, at the end of the file */
};

#define ARRAY_END "]\n"
#define ARRAY_END_LEN 2

static void
set_errno_error (GError **error, int err, const gchar *what, const gchar *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
      "%s \"%s\": %s", what, path, g_strerror (err));
}

OvPublishFile *
ov_publish_file_open (const gchar *path, OvPublishFileFormat format,
    GError **error)
{
  OvPublishFile *f;
  FILE *fp;
  gboolean std_stream = FALSE;

  if (path == NULL || *path == '\0') {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "no file-path given");
    return NULL;
  }
  if (g_strcmp0 (path, "stdout") == 0) {
    fp = stdout;
    std_stream = TRUE;
  } else if (g_strcmp0 (path, "stderr") == 0) {
    fp = stderr;
    std_stream = TRUE;
  } else {
    fp = fopen (path, format == OV_PUBLISH_FILE_JSON_LINES ? "a" : "w");
    if (fp == NULL) {
      set_errno_error (error, errno, "cannot open", path);
      return NULL;
    }
  }
  f = g_new0 (OvPublishFile, 1);
  f->fp = fp;
  f->path = g_strdup (path);
  f->format = std_stream ? OV_PUBLISH_FILE_JSON_LINES : format;
  f->is_std_stream = std_stream;
  if (f->format == OV_PUBLISH_FILE_JSON && fputs ("[", fp) == EOF) {
    set_errno_error (error, errno, "cannot write to", path);
    fclose (fp);
    g_free (f->path);
    g_free (f);
    return NULL;
  }
  return f;
}

/* A record on one line: ovmetaconvert's json-indent may have spread it
 * over several, which would break a JSON Lines reader. */
static gchar *
one_line (const gchar *record)
{
  JsonNode *node;
  gchar *out;

  if (strchr (record, '\n') == NULL)
    return g_strdup (record);
  node = json_from_string (record, NULL);
  if (node == NULL)
    return g_strdelimit (g_strdup (record), "\r\n", ' ');
  out = json_to_string (node, FALSE);
  json_node_unref (node);
  return out;
}

gboolean
ov_publish_file_write (OvPublishFile *f, const gchar *record, GError **error)
{
  gboolean ok;

  if (f->array_ended) {
    /* Writing over the "]\n" continues the array. */
    if (fseeko (f->fp, -ARRAY_END_LEN, SEEK_END) != 0) {
      set_errno_error (error, errno, "cannot reopen the JSON array in",
          f->path);
      return FALSE;
    }
    f->array_ended = FALSE;
  }
  if (f->format == OV_PUBLISH_FILE_JSON) {
    ok = (f->records == 0 || fputs (",\n", f->fp) != EOF)
        && fputs (record, f->fp) != EOF;
  } else {
    gchar *line = one_line (record);
    ok = fputs (line, f->fp) != EOF && fputc ('\n', f->fp) != EOF;
    g_free (line);
  }
  ok = ok && fflush (f->fp) == 0;
  if (!ok) {
    set_errno_error (error, errno, "cannot write to", f->path);
    return FALSE;
  }
  f->records++;
  return TRUE;
}

gboolean
ov_publish_file_end (OvPublishFile *f, GError **error)
{
  if (f->format != OV_PUBLISH_FILE_JSON || f->array_ended)
    return TRUE;
  if (fputs (ARRAY_END, f->fp) == EOF || fflush (f->fp) != 0) {
    set_errno_error (error, errno, "cannot write to", f->path);
    return FALSE;
  }
  f->array_ended = TRUE;
  return TRUE;
}

gboolean
ov_publish_file_close (OvPublishFile *f, GError **error)
{
  gboolean ok;
  int err = 0;

  ok = ov_publish_file_end (f, error);
  if (f->is_std_stream) {
    if (fflush (f->fp) != 0 && ok) {
      ok = FALSE;
      err = errno;
    }
  } else if (fclose (f->fp) != 0 && ok) {
    ok = FALSE;
    err = errno;
  }
  if (err != 0)
    set_errno_error (error, err, "cannot finish", f->path);
  g_free (f->path);
  g_free (f);
  return ok;
}
