/* DL Streamer's mqtt-config file (ovpublish-mqtt-config.h). */
#include "ovpublish-mqtt-config.h"

#include <json-glib/json-glib.h>

static gboolean
bad (GError **error, const gchar *path, const gchar *key, const gchar *what)
{
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
      "mqtt-config %s: \"%s\" must be %s", path, key, what);
  return FALSE;
}

/* A string or null member into *out (NULL for null or absent). */
static gboolean
get_string (JsonObject *o, const gchar *key, const gchar *path,
    gchar **out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n)
      != G_TYPE_STRING)
    return bad (error, path, key, "a string or null");
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

static gboolean
get_int (JsonObject *o, const gchar *key, const gchar *path, gint64 lo,
    gint64 hi, gboolean *present, gint64 *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n)
      != G_TYPE_INT64 || json_node_get_int (n) < lo
      || json_node_get_int (n) > hi) {
    gchar *what = g_strdup_printf ("an integer from %" G_GINT64_FORMAT
        " to %" G_GINT64_FORMAT, lo, hi);
    bad (error, path, key, what);
    g_free (what);
    return FALSE;
  }
  *present = TRUE;
  *out = json_node_get_int (n);
  return TRUE;
}

gboolean
ov_mqtt_file_config_load (const gchar *path, OvMqttFileConfig *c,
    GError **error)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *o;
  JsonNode *n;
  GError *err = NULL;
  gboolean present = FALSE, ok = FALSE;
  gint64 v = 0;

  *c = (OvMqttFileConfig) { 0 };
  if (!json_parser_load_from_file (parser, path, &err)) {
    if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "mqtt-config %s: %s", path, err->message);
    else if (err->domain == G_FILE_ERROR)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "mqtt-config %s: %s", path, err->message);
    else
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
          "mqtt-config %s: not JSON: %s", path, err->message);
    g_error_free (err);
    goto out;
  }
  n = json_parser_get_root (parser);
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n)) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
        "mqtt-config %s: not a JSON object", path);
    goto out;
  }
  o = json_node_get_object (n);
  if (!get_string (o, "address", path, &c->address, error)
      || !get_string (o, "client-id", path, &c->client_id, error)
      || !get_string (o, "topic", path, &c->topic, error)
      || !get_string (o, "ssl_CA_certificate", path, &c->ca_file, error)
      || !get_string (o, "ssl_client_certificate", path, &c->cert_file,
          error)
      || !get_string (o, "ssl_private_key", path, &c->key_file, error))
    goto out;
  if (c->address == NULL) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
        "mqtt-config %s: \"address\" is required", path);
    goto out;
  }
  if (!get_int (o, "max-connect-attempts", path, -1, G_MAXINT, &present, &v,
          error))
    goto out;
  if (present) {
    if (v == 0) {
      bad (error, path, "max-connect-attempts", "-1 or at least 1");
      goto out;
    }
    c->has_max_connect_attempts = TRUE;
    c->max_connect_attempts = v < 0 ? G_MAXUINT : (guint) v;
  }
  present = FALSE;
  if (!get_int (o, "max-reconnect-interval", path, 1, 86400, &present, &v,
          error))
    goto out;
  c->has_max_reconnect_interval = present;
  c->max_reconnect_interval = (guint) v;
  if ((n = json_object_get_member (o, "TLS"))) {
    if (!JSON_NODE_HOLDS_VALUE (n)
        || json_node_get_value_type (n) != G_TYPE_BOOLEAN) {
      bad (error, path, "TLS", "true or false");
      goto out;
    }
    c->tls = json_node_get_boolean (n);
  }
  present = FALSE;
  v = 0;
  if (!get_int (o, "ssl_verify", path, 0, G_MAXINT, &present, &v, error))
    goto out;
  c->verify_hostname = v != 0;
  v = 0;
  if (!get_int (o, "ssl_enable_server_cert_auth", path, 0, G_MAXINT,
          &present, &v, error))
    goto out;
  c->verify_server = v != 0;
  if ((c->cert_file == NULL) != (c->key_file == NULL)) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
        "mqtt-config %s: ssl_client_certificate and ssl_private_key go "
        "together", path);
    goto out;
  }
  ok = TRUE;

out:
  g_object_unref (parser);
  if (!ok)
    ov_mqtt_file_config_clear (c);
  return ok;
}

void
ov_mqtt_file_config_clear (OvMqttFileConfig *c)
{
  g_free (c->address);
  g_free (c->client_id);
  g_free (c->topic);
  g_free (c->ca_file);
  g_free (c->cert_file);
  g_free (c->key_file);
  *c = (OvMqttFileConfig) { 0 };
}
