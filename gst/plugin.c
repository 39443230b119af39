/* The plugin: every element of the collection, registered in one place. */
#include <gst/gst.h>
#include <ovi.h>

#include "gstovclassify.h"
#include "gstovdetect.h"
#include "gstovfpscounter.h"
#include "gstovinference.h"
#include "gstovllm.h"
#include "gstovmetaconvert.h"
#include "gstovtrack.h"
#include "gstovoverlay.h"
#include "gstovsegment.h"
#include "gstovmetapublish.h"
#ifdef HAVE_GALLERY
#include "gstovidentify.h"
#endif

GST_DEBUG_CATEGORY_STATIC (ovi_engine_debug);

/* The engine logs through a callback: route it to a debug category. */
static void
engine_log (OviLogLevel level, const char *message, gpointer user_data)
{
  static const GstDebugLevel levels[] = {
    [OVI_LOG_ERROR] = GST_LEVEL_ERROR,
    [OVI_LOG_WARNING] = GST_LEVEL_WARNING,
    [OVI_LOG_INFO] = GST_LEVEL_INFO,
    [OVI_LOG_DEBUG] = GST_LEVEL_DEBUG,
  };
  GST_CAT_LEVEL_LOG (ovi_engine_debug, levels[level], NULL, "%s", message);
}

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = FALSE;

  GST_DEBUG_CATEGORY_INIT (ovi_engine_debug, "ovi", 0, "ovi inference engine");
  ovi_set_log_callback (engine_log, NULL);
  ok |= GST_ELEMENT_REGISTER (ovdetect, plugin);
  ok |= GST_ELEMENT_REGISTER (ovclassify, plugin);
  ok |= GST_ELEMENT_REGISTER (ovinference, plugin);
  ok |= GST_ELEMENT_REGISTER (ovsegment, plugin);
  ok |= GST_ELEMENT_REGISTER (ovmetaconvert, plugin);
  ok |= GST_ELEMENT_REGISTER (ovtrack, plugin);
  ok |= GST_ELEMENT_REGISTER (ovoverlay, plugin);
  ok |= GST_ELEMENT_REGISTER (ovmetapublish, plugin);
  ok |= GST_ELEMENT_REGISTER (ovfpscounter, plugin);
  ok |= GST_ELEMENT_REGISTER (ovllm, plugin);
#ifdef HAVE_GALLERY
  ok |= GST_ELEMENT_REGISTER (ovidentify, plugin);
#endif
  return ok;
}

#define PACKAGE "gst-ovi"
GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, ovi,
    "Media analytics on the ovi inference engine",
    plugin_init, "0.1.0", "LGPL", PACKAGE, "Unknown package origin")
