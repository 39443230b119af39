/**
 * SECTION:element-ovmetapublish
 * @title: ovmetapublish
 *
 * Publishes the JSON message that ovmetaconvert attached to each frame
 * (#GstOvJsonMeta) to a file or to an MQTT broker, with the properties of
 * DL Streamer's gvametapublish. Buffers pass through untouched; frames
 * without a message publish nothing. Messages that come without a frame
 * (ovmetaconvert's for events at the end of the stream, in a custom
 * downstream event) are published in their place in the stream too.
 *
 * `method=file` writes `file-path` ("stdout" by default; "stderr" too):
 * `file-format=json` makes the file one JSON array (always closed, "[]"
 * when nothing came), `json-lines` appends one object per line. The
 * standard streams get one object per line whatever the format.
 *
 * `method=mqtt` publishes each message to `topic` on the broker at
 * `address` (QoS 0). The network runs on its own thread: a broker that
 * goes away never holds frames up. Messages published while it is away
 * are dropped and counted (`dropped-messages`); the loss is a warning on
 * the bus, the element reconnects in the background (waiting 1 s, 4 s,
 * 9 s... at most `max-reconnect-interval`) and posts an "ovmetapublish"
 * element message when it is back. Failing to connect at start after
 * `max-connect-attempts` tries is an error.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! videoconvert ! \
 *     ovmetaconvert add-empty-results=true ! \
 *     ovmetapublish file-path=frames.jsonl file-format=json-lines ! fakesink
 * ]|
 */
#include "gstovmetapublish.h"

#include <gio/gio.h>
#include <string.h>

#include "gstovmeta.h"
#include "ovpublish-file.h"
#ifdef HAVE_MOSQUITTO
#include "ovpublish-mqtt.h"
#include "ovpublish-mqtt-config.h"
#endif

GST_DEBUG_CATEGORY_STATIC (gst_ov_meta_publish_debug);
#define GST_CAT_DEFAULT gst_ov_meta_publish_debug

/* DL Streamer's values (its kafka = 3 is not offered). */
typedef enum {
  METHOD_FILE = 1,
  METHOD_MQTT = 2,
} Method;

#define DEFAULT_METHOD METHOD_FILE
#define DEFAULT_FILE_PATH "stdout"
#define DEFAULT_FILE_FORMAT OV_PUBLISH_FILE_JSON
#define DEFAULT_ADDRESS ""
#define DEFAULT_TOPIC ""
#define DEFAULT_CLIENT_ID ""
#define DEFAULT_MAX_CONNECT_ATTEMPTS 1
#define DEFAULT_MAX_RECONNECT_INTERVAL 30

enum {
  PROP_0,
  PROP_METHOD,
  PROP_FILE_PATH,
  PROP_FILE_FORMAT,
  PROP_ADDRESS,
  PROP_TOPIC,
  PROP_MQTT_CLIENT_ID,
  PROP_MAX_CONNECT_ATTEMPTS,
  PROP_MAX_RECONNECT_INTERVAL,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_DROPPED_MESSAGES,
  PROP_MQTT_CONFIG,
};

struct _GstOvMetaPublish {
  GstBaseTransform parent;

  Method method;
  gchar *file_path;
  OvPublishFileFormat file_format;
  gchar *address;
  gchar *topic;
  gchar *client_id;
  guint max_connect_attempts;
  guint max_reconnect_interval;
  gchar *username;
  gchar *password;
  gchar *mqtt_config;

  /* Between start and stop. */
  OvPublishFile *file;
#ifdef HAVE_MOSQUITTO
  OvMqttPublisher *mqtt;
  gchar *broker;                /* host:port, for messages */
#endif
  guint64 dropped;              /* of the last run, once stopped */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstOvMetaPublish, gst_ov_meta_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (ovmetapublish, "ovmetapublish", GST_RANK_NONE,
    GST_TYPE_OV_META_PUBLISH);

static GType
method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { METHOD_FILE, "Publish to a file", "file" },
    { METHOD_MQTT, "Publish to an MQTT broker", "mqtt" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstOvMetaPublishMethod", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static GType
file_format_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { OV_PUBLISH_FILE_JSON, "One JSON array of the messages", "json" },
    { OV_PUBLISH_FILE_JSON_LINES, "One message per line (appended)",
        "json-lines" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstOvMetaPublishFileFormat", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- MQTT ------------------------------------------------------------- */

#ifdef HAVE_MOSQUITTO
/* On mosquitto's network thread; the element outlives it (stop joins it). */
static void
mqtt_event (OvMqttEvent event, const gchar *detail, guint64 dropped,
    gpointer user_data)
{
  GstOvMetaPublish *self = user_data;
  GstStructure *s;

  switch (event) {
    case OV_MQTT_EVENT_LOST:
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("Lost the connection to the MQTT broker at %s.", self->broker),
          ("%s Messages are dropped until it is back; reconnecting, at most "
              "%u s between tries.", detail, self->max_reconnect_interval));
      s = gst_structure_new ("ovmetapublish", "event", G_TYPE_STRING,
          "disconnected", "address", G_TYPE_STRING, self->broker, NULL);
      break;
    case OV_MQTT_EVENT_RECONNECTED:
      GST_INFO_OBJECT (self, "reconnected to %s, %" G_GUINT64_FORMAT
          " messages dropped meanwhile", self->broker, dropped);
      s = gst_structure_new ("ovmetapublish", "event", G_TYPE_STRING,
          "reconnected", "address", G_TYPE_STRING, self->broker,
          "dropped", G_TYPE_UINT64, dropped, NULL);
      break;
    case OV_MQTT_EVENT_REFUSED:
    default:
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ_WRITE,
          ("The MQTT broker at %s refused the reconnection.", self->broker),
          ("%s", detail));
      return;
  }
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gboolean
start_mqtt (GstOvMetaPublish *self)
{
  OvMqttConfig config = { 0 };
  OvMqttFileConfig file = { 0 };
  GError *error = NULL;
  gchar *host = NULL, *client_id = NULL;
  const gchar *address, *topic;
  gint port = 0;
  gboolean ok = FALSE;

  GST_OBJECT_LOCK (self);
  /* mqtt-config's values win over the properties, as in DL Streamer. */
  if (self->mqtt_config && *self->mqtt_config
      && !ov_mqtt_file_config_load (self->mqtt_config, &file, &error)) {
    GST_OBJECT_UNLOCK (self);
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", error->message),
          (NULL));
    else if (error->domain == G_IO_ERROR)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message),
          (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
          (NULL));
    g_error_free (error);
    return FALSE;
  }
  address = file.address ? file.address : self->address;
  topic = file.topic ? file.topic : self->topic;
  if (!ov_mqtt_parse_address (address, &host, &port, &error)) {
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    g_error_free (error);
    ov_mqtt_file_config_clear (&file);
    return FALSE;
  }
  if (topic == NULL || *topic == '\0') {
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No MQTT topic: set the topic property."), (NULL));
    g_free (host);
    ov_mqtt_file_config_clear (&file);
    return FALSE;
  }
  /* A unique id unless one is given, so that two publishers never take
   * each other's session on the broker. */
  client_id = file.client_id && *file.client_id ? g_strdup (file.client_id)
      : self->client_id && *self->client_id ? g_strdup (self->client_id)
      : g_uuid_string_random ();
  config.host = host;
  config.port = port;
  config.topic = topic;
  config.client_id = client_id;
  config.username = self->username;
  config.password = self->password;
  config.max_connect_attempts = file.has_max_connect_attempts
      ? file.max_connect_attempts : self->max_connect_attempts;
  config.max_reconnect_interval = file.has_max_reconnect_interval
      ? file.max_reconnect_interval : self->max_reconnect_interval;
  config.tls = file.tls;
  config.ca_file = file.ca_file;
  config.cert_file = file.cert_file;
  config.key_file = file.key_file;
  config.verify_server = file.verify_server;
  config.verify_hostname = file.verify_hostname;
  config.on_event = mqtt_event;
  config.user_data = self;
  g_free (self->broker);
  self->broker = strchr (host, ':') ? g_strdup_printf ("[%s]:%d", host, port)
      : g_strdup_printf ("%s:%d", host, port);
  /* The connection tries can take seconds: not under the object lock. The
   * strings stay valid: properties only change in NULL and READY. */
  GST_OBJECT_UNLOCK (self);

  if (config.tls && !config.verify_server)
    GST_WARNING_OBJECT (self, "TLS to %s without checking the server's "
        "certificate (mqtt-config's ssl_enable_server_cert_auth is 0)",
        self->broker);
  GST_INFO_OBJECT (self, "connecting to %s as %s%s", self->broker, client_id,
      config.tls ? " over TLS" : "");
  self->mqtt = ov_mqtt_publisher_new (&config, &error);
  if (self->mqtt) {
    ok = TRUE;
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Could not connect to the MQTT broker at %s.", self->broker),
        ("%s", error->message));
    g_error_free (error);
  }
  g_free (host);
  g_free (client_id);
  ov_mqtt_file_config_clear (&file);
  return ok;
}
#endif

/* ---- element ------------------------------------------------------------ */

static gboolean
start (GstBaseTransform *trans)
{
  GstOvMetaPublish *self = GST_OV_META_PUBLISH (trans);
  GError *error = NULL;
  gchar *path;
  OvPublishFileFormat format;

  self->dropped = 0;
  if (self->method == METHOD_MQTT) {
#ifdef HAVE_MOSQUITTO
    return start_mqtt (self);
#else
    GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
        ("This build has no MQTT support."),
        ("libmosquitto was not found when gst-ovi was built"));
    return FALSE;
#endif
  }
  GST_OBJECT_LOCK (self);
  path = g_strdup (self->file_path);
  format = self->file_format;
  GST_OBJECT_UNLOCK (self);
  self->file = ov_publish_file_open (path, format, &error);
  if (self->file == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open file \"%s\" for writing.", path ? path : ""),
        ("%s", error->message));
    g_error_free (error);
  }
  g_free (path);
  return self->file != NULL;
}

static gboolean
stop (GstBaseTransform *trans)
{
  GstOvMetaPublish *self = GST_OV_META_PUBLISH (trans);
  gboolean ok = TRUE;

  if (self->file) {
    GError *error = NULL;
    ok = ov_publish_file_close (self->file, &error);
    self->file = NULL;
    if (!ok) {
      GST_ELEMENT_ERROR (self, RESOURCE, CLOSE,
          ("Could not finish the output file."), ("%s", error->message));
      g_error_free (error);
    }
  }
#ifdef HAVE_MOSQUITTO
  if (self->mqtt) {
    OvMqttPublisher *mqtt;
    guint64 dropped;
    GST_OBJECT_LOCK (self);
    mqtt = self->mqtt;
    self->mqtt = NULL;
    self->dropped = ov_mqtt_publisher_get_dropped (mqtt);
    GST_OBJECT_UNLOCK (self);
    /* Joins the network thread, which may be posting on the bus: not
     * under the object lock. */
    dropped = ov_mqtt_publisher_free (mqtt);
    GST_OBJECT_LOCK (self);
    self->dropped = dropped;
    GST_OBJECT_UNLOCK (self);
  }
#endif
  return ok;
}

static gboolean
publish (GstOvMetaPublish *self, const gchar *message)
{
  if (self->file) {
    GError *error = NULL;
    if (!ov_publish_file_write (self->file, message, &error)) {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not write the message."), ("%s", error->message));
      g_error_free (error);
      return FALSE;
    }
  }
#ifdef HAVE_MOSQUITTO
  if (self->mqtt && !ov_mqtt_publisher_publish (self->mqtt, message))
    GST_LOG_OBJECT (self, "message dropped: not connected");
#endif
  return TRUE;
}

/* The JSON array is closed at EOS already, so an application reading
 * the file when EOS reaches the bus finds it complete. */
static gboolean
sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstOvMetaPublish *self = GST_OV_META_PUBLISH (trans);
  const gchar *message = gst_ov_json_event_get_message (event);

  if (message && !publish (self, message)) {
    gst_event_unref (event);
    return FALSE;
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->file) {
    GError *error = NULL;
    if (!ov_publish_file_end (self->file, &error)) {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not finish the output file."), ("%s", error->message));
      g_error_free (error);
    }
  }
  return GST_BASE_TRANSFORM_CLASS (gst_ov_meta_publish_parent_class)->sink_event
      (trans, event);
}

static GstFlowReturn
transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstOvMetaPublish *self = GST_OV_META_PUBLISH (trans);
  gpointer state = NULL;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_OV_JSON_META_API_TYPE))) {
    const gchar *message = ((GstOvJsonMeta *) meta)->message;
    if (message && !publish (self, message))
      return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static void
set_string (gchar **field, const GValue *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstOvMetaPublish *self = GST_OV_META_PUBLISH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_METHOD: self->method = g_value_get_enum (value); break;
    case PROP_FILE_PATH: set_string (&self->file_path, value); break;
    case PROP_FILE_FORMAT: self->file_format = g_value_get_enum (value); break;
    case PROP_ADDRESS: set_string (&self->address, value); break;
    case PROP_TOPIC: set_string (&self->topic, value); break;
    case PROP_MQTT_CLIENT_ID: set_string (&self->client_id, value); break;
    case PROP_MAX_CONNECT_ATTEMPTS:
      self->max_connect_attempts = g_value_get_uint (value);
      break;
    case PROP_MAX_RECONNECT_INTERVAL:
      self->max_reconnect_interval = g_value_get_uint (value);
      break;
    case PROP_USERNAME: set_string (&self->username, value); break;
    case PROP_PASSWORD: set_string (&self->password, value); break;
    case PROP_MQTT_CONFIG: set_string (&self->mqtt_config, value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvMetaPublish *self = GST_OV_META_PUBLISH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_METHOD: g_value_set_enum (value, self->method); break;
    case PROP_FILE_PATH: g_value_set_string (value, self->file_path); break;
    case PROP_FILE_FORMAT: g_value_set_enum (value, self->file_format); break;
    case PROP_ADDRESS: g_value_set_string (value, self->address); break;
    case PROP_TOPIC: g_value_set_string (value, self->topic); break;
    case PROP_MQTT_CLIENT_ID: g_value_set_string (value, self->client_id); break;
    case PROP_MAX_CONNECT_ATTEMPTS:
      g_value_set_uint (value, self->max_connect_attempts);
      break;
    case PROP_MAX_RECONNECT_INTERVAL:
      g_value_set_uint (value, self->max_reconnect_interval);
      break;
    case PROP_USERNAME: g_value_set_string (value, self->username); break;
    case PROP_PASSWORD: g_value_set_string (value, self->password); break;
    case PROP_MQTT_CONFIG:
      g_value_set_string (value, self->mqtt_config);
      break;
    case PROP_DROPPED_MESSAGES:
#ifdef HAVE_MOSQUITTO
      if (self->mqtt) {
        g_value_set_uint64 (value, ov_mqtt_publisher_get_dropped (self->mqtt));
        break;
      }
#endif
      g_value_set_uint64 (value, self->dropped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
finalize (GObject *object)
{
  GstOvMetaPublish *self = GST_OV_META_PUBLISH (object);

  g_free (self->file_path);
  g_free (self->address);
  g_free (self->topic);
  g_free (self->client_id);
  g_free (self->username);
  g_free (self->password);
  g_free (self->mqtt_config);
#ifdef HAVE_MOSQUITTO
  g_free (self->broker);
#endif
  G_OBJECT_CLASS (gst_ov_meta_publish_parent_class)->finalize (object);
}

static void
gst_ov_meta_publish_class_init (GstOvMetaPublishClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_ov_meta_publish_debug, "ovmetapublish", 0,
      "publish JSON metadata");
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  g_object_class_install_property (gobject_class, PROP_METHOD,
      g_param_spec_enum ("method", "Method", "Where to publish",
          method_get_type (), DEFAULT_METHOD, rw));
  g_object_class_install_property (gobject_class, PROP_FILE_PATH,
      g_param_spec_string ("file-path", "File path",
          "The output file (method=file); \"stdout\" and \"stderr\" name "
          "the standard streams", DEFAULT_FILE_PATH, rw));
  g_object_class_install_property (gobject_class, PROP_FILE_FORMAT,
      g_param_spec_enum ("file-format", "File format",
          "How messages are laid out in the file (method=file)",
          file_format_get_type (), DEFAULT_FILE_FORMAT, rw));
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "The MQTT broker as host:port (empty: localhost:1883)",
          DEFAULT_ADDRESS, rw));
  g_object_class_install_property (gobject_class, PROP_TOPIC,
      g_param_spec_string ("topic", "Topic",
          "The MQTT topic messages are published to (required with "
          "method=mqtt)", DEFAULT_TOPIC, rw));
  g_object_class_install_property (gobject_class, PROP_MQTT_CLIENT_ID,
      g_param_spec_string ("mqtt-client-id", "MQTT client id",
          "The MQTT client id (empty: a random unique one)",
          DEFAULT_CLIENT_ID, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_CONNECT_ATTEMPTS,
      g_param_spec_uint ("max-connect-attempts", "Max connect attempts",
          "Tries to connect to the broker at start before failing",
          1, 10, DEFAULT_MAX_CONNECT_ATTEMPTS, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_RECONNECT_INTERVAL,
      g_param_spec_uint ("max-reconnect-interval", "Max reconnect interval",
          "The longest wait between tries to reach the broker, in seconds",
          1, 300, DEFAULT_MAX_RECONNECT_INTERVAL, rw));
  g_object_class_install_property (gobject_class, PROP_USERNAME,
      g_param_spec_string ("username", "Username",
          "The MQTT user name (empty: none)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "The MQTT password", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_MQTT_CONFIG,
      g_param_spec_string ("mqtt-config", "MQTT config",
          "DL Streamer's MQTT configuration file (JSON): address, client-id, "
          "topic, max-connect-attempts, max-reconnect-interval, and TLS with "
          "ssl_verify, ssl_enable_server_cert_auth, ssl_CA_certificate, "
          "ssl_client_certificate, ssl_private_key; its values override the "
          "properties", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_DROPPED_MESSAGES,
      g_param_spec_uint64 ("dropped-messages", "Dropped messages",
          "MQTT messages dropped because the broker was unreachable",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Metadata publisher", "Filter/Metadata",
      "Publishes JSON metadata to a file or an MQTT broker (DL Streamer "
      "gvametapublish-compatible)", "gst-ovi developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  bt_class->start = start;
  bt_class->stop = stop;
  bt_class->sink_event = sink_event;
  bt_class->transform_ip = transform_ip;
  gst_type_mark_as_plugin_api (method_get_type (), 0);
  gst_type_mark_as_plugin_api (file_format_get_type (), 0);
}

static void
gst_ov_meta_publish_init (GstOvMetaPublish *self)
{
  self->method = DEFAULT_METHOD;
  self->file_path = g_strdup (DEFAULT_FILE_PATH);
  self->file_format = DEFAULT_FILE_FORMAT;
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->topic = g_strdup (DEFAULT_TOPIC);
  self->client_id = g_strdup (DEFAULT_CLIENT_ID);
  self->max_connect_attempts = DEFAULT_MAX_CONNECT_ATTEMPTS;
  self->max_reconnect_interval = DEFAULT_MAX_RECONNECT_INTERVAL;
  /* Reads the buffers' metadata only. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
