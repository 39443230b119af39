/* ovmetapublish's MQTT output on libmosquitto. The network runs on
 * mosquitto's own thread: publishing only queues a message, so a broker
 * that is slow or gone never blocks the streaming thread. Messages are
 * QoS 0 (at most once): while the broker is unreachable they are dropped
 * and counted, and the connection is re-established in the background
 * with a growing delay (1 s, 4 s, 9 s... up to max_reconnect_interval). */
#ifndef OV_PUBLISH_MQTT_H
#define OV_PUBLISH_MQTT_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  /* The connection broke: messages are dropped until it is back. */
  OV_MQTT_EVENT_LOST,
  /* Back after a loss; `dropped` is how many were dropped meanwhile. */
  OV_MQTT_EVENT_RECONNECTED,
  /* The broker answered a reconnection with a refusal (CONNACK). */
  OV_MQTT_EVENT_REFUSED,
} OvMqttEvent;

/* Called on mosquitto's network thread. */
typedef void (*OvMqttEventFunc) (OvMqttEvent event, const gchar *detail,
    guint64 dropped, gpointer user_data);

typedef struct {
  const gchar *host;
  gint port;
  const gchar *topic;
  const gchar *client_id;
  const gchar *username;        /* NULL or empty: none */
  const gchar *password;
  guint max_connect_attempts;   /* for the first connection */
  guint max_reconnect_interval; /* seconds, the longest wait between tries */
  /* TLS instead of plain TCP. */
  gboolean tls;
  const gchar *ca_file;         /* NULL: the system's CAs (/etc/ssl/certs) */
  const gchar *cert_file;       /* a client certificate and its key, or */
  const gchar *key_file;        /* NULL */
  gboolean verify_server;       /* the server certificate must chain to a
                                 * trusted CA */
  gboolean verify_hostname;     /* ... and name the host */
  OvMqttEventFunc on_event;
  gpointer user_data;
} OvMqttConfig;

typedef struct _OvMqttPublisher OvMqttPublisher;

/* "host", "host:port", "[v6addr]:port", with an optional "tcp://" or
 * "mqtt://" prefix (Paho-style addresses); the port defaults to 1883 and
 * an empty address means localhost:1883. */
gboolean ov_mqtt_parse_address (const gchar *address, gchar **host,
    gint *port, GError **error);

/* Connects, trying up to max_connect_attempts times (waiting 1 s, 2 s,
 * 4 s... between tries, at most max_reconnect_interval; each try gives
 * the broker 5 s to answer), then starts the network thread. NULL with
 * `error` set (G_IO_ERROR) if no try succeeded. */
OvMqttPublisher *ov_mqtt_publisher_new (const OvMqttConfig *config,
    GError **error);

/* Queues `message` for the network thread; FALSE when it was dropped
 * (disconnected, or too many messages waiting to be written). */
gboolean ov_mqtt_publisher_publish (OvMqttPublisher *p, const gchar *message);

guint64 ov_mqtt_publisher_get_dropped (OvMqttPublisher *p);

/* Disconnects cleanly (what is queued is written first) and stops the
 * network thread: no event is delivered after it returns. Returns the
 * final count of dropped messages. */
guint64 ov_mqtt_publisher_free (OvMqttPublisher *p);

G_END_DECLS

#endif
