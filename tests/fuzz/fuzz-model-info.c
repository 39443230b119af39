/* libFuzzer harness for the settings strings a model file or a pipeline
 * hands the inference elements (gst/gstovmodelinfo.h): Ultralytics'
 * `names` dict literal, and DL Streamer's pre-process-config, whose keys
 * are model_info's (so its value readers run too). Built with the other
 * harnesses (tests/fuzz/meson.build); scripts/run-tests.sh runs it. */
#include <stdint.h>

#include "gstovmodelinfo.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* A NUL-terminated copy, so that reads past the input show. */
  char *text = g_strndup ((const char *) data, size);
  GstOvModelProc *mp = gst_ov_model_proc_new ();
  char **ignored = NULL;
  GError *error = NULL;

  g_strfreev (gst_ov_model_info_parse_names (text));
  gst_ov_pre_process_config_apply (mp, text, &ignored, &error);
  g_clear_error (&error);
  g_strfreev (ignored);
  gst_ov_model_proc_free (mp);
  g_free (text);
  return 0;
}
