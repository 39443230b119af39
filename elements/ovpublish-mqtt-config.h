/* DL Streamer's `mqtt-config` file for gvametapublish: a JSON object whose
 * keys override the element's MQTT properties and add TLS:
 *   address, client-id, topic              strings (client-id, topic may
 *                                          be null: the property's value)
 *   max-connect-attempts                   integer, -1: keep trying
 *   max-reconnect-interval                 integer seconds, >= 1
 *   TLS                                    boolean
 *   ssl_verify                             integer, non-zero: the server
 *                                          certificate must name the host
 *   ssl_enable_server_cert_auth            integer, non-zero: it must
 *                                          chain to a trusted CA
 *   ssl_CA_certificate, ssl_client_certificate, ssl_private_key
 *                                          file paths, or null
 * "address" is required, as in DL Streamer's schema; unknown keys are
 * ignored. */
#ifndef OV_PUBLISH_MQTT_CONFIG_H
#define OV_PUBLISH_MQTT_CONFIG_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gchar *address;
  gchar *client_id;             /* NULL: not in the file */
  gchar *topic;
  gboolean has_max_connect_attempts;
  guint max_connect_attempts;   /* G_MAXUINT for -1 */
  gboolean has_max_reconnect_interval;
  guint max_reconnect_interval;
  gboolean tls;
  gboolean verify_hostname;     /* ssl_verify */
  gboolean verify_server;       /* ssl_enable_server_cert_auth */
  gchar *ca_file, *cert_file, *key_file;
} OvMqttFileConfig;

/* FALSE with an error naming the file and the key (G_IO_ERROR_NOT_FOUND
 * for a missing file, G_IO_ERROR_FAILED for one that cannot be read, G_KEY_FILE_ERROR_INVALID_VALUE for a value of the
 * wrong type, G_KEY_FILE_ERROR_KEY_NOT_FOUND for a missing address). */
gboolean ov_mqtt_file_config_load (const gchar *path, OvMqttFileConfig *out,
    GError **error);
void ov_mqtt_file_config_clear (OvMqttFileConfig *config);

G_END_DECLS

#endif
