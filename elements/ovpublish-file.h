/* ovmetapublish's file output: JSON records written as one JSON array
 * (DL Streamer's "json") or one object per line ("json-lines"). */
#ifndef OV_PUBLISH_FILE_H
#define OV_PUBLISH_FILE_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  OV_PUBLISH_FILE_JSON = 1,
  OV_PUBLISH_FILE_JSON_LINES = 2,
} OvPublishFileFormat;

typedef struct _OvPublishFile OvPublishFile;

/* Opens `path` ("stdout" and "stderr" name the standard streams): a
 * json file is truncated and its array opened, a json-lines file is
 * appended to. NULL with `error` set (G_FILE_ERROR) when it cannot be. */
OvPublishFile *ov_publish_file_open (const gchar *path,
    OvPublishFileFormat format, GError **error);

/* Writes one record (a JSON object) and flushes, so readers see whole
 * records as they come. */
gboolean ov_publish_file_write (OvPublishFile *file, const gchar *record,
    GError **error);

/* End of stream: closes the array (also when nothing was written: "[]")
 * so the file is valid JSON while it stays open. A record written after
 * it (a flushing seek restarted the stream) reopens the array in place,
 * which needs a seekable file. */
gboolean ov_publish_file_end (OvPublishFile *file, GError **error);

/* Ends the array if needed and closes the file; FALSE with `error` set if
 * the end could not be written. */
gboolean ov_publish_file_close (OvPublishFile *file, GError **error);

G_END_DECLS

#endif
