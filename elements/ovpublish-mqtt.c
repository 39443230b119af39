#include "ovpublish-mqtt.h"

#include <errno.h>
#include <gio/gio.h>
#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HOST "localhost"
#define DEFAULT_PORT 1883
/* Keep-alive: a broker that stops answering without closing the socket
 * is noticed after 1.5 times this. */
#define KEEPALIVE_S 20
/* How long one initial connection try waits for the broker's answer. */
#define CONNECT_TIMEOUT_US (5 * G_USEC_PER_SEC)
/* Messages handed to the network thread but not written yet. Beyond it
 * new messages are dropped, so a broker that accepts the connection but
 * reads slowly cannot make memory grow without bound. */
#define MAX_PENDING 1024

struct _OvMqttPublisher {
  struct mosquitto *mosq;
  gchar *topic;
  OvMqttEventFunc on_event;
  gpointer user_data;

  GMutex lock;                  /* guards everything below */
  gboolean connack;             /* the initial try got an answer */
  int connack_rc;
  gboolean connected;
  gboolean thread_running;      /* events are delivered from now on */
  gboolean stopping;
  gboolean lost;                /* a loss was reported, not yet recovered */
  guint pending;
  guint64 dropped;
  guint64 dropped_in_outage;
};

gboolean
ov_mqtt_parse_address (const gchar *address, gchar **host, gint *port,
    GError **error)
{
  const gchar *a = address ? address : "";
  const gchar *port_str = NULL;
  gchar *h;

  if (g_str_has_prefix (a, "tcp://"))
    a += strlen ("tcp://");
  else if (g_str_has_prefix (a, "mqtt://"))
    a += strlen ("mqtt://");
  else if (strstr (a, "://") != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "unsupported scheme in MQTT address \"%s\" (plain TCP only: "
        "host:port, tcp://host:port)", address);
    return FALSE;
  }
  if (*a == '\0') {
    *host = g_strdup (DEFAULT_HOST);
    *port = DEFAULT_PORT;
    return TRUE;
  }
  if (*a == '[') {
    const gchar *end = strchr (a, ']');
    if (end == NULL || (end[1] != '\0' && end[1] != ':'))
      goto bad;
    h = g_strndup (a + 1, end - a - 1);
    if (end[1] == ':')
      port_str = end + 2;
  } else {
    const gchar *colon = strrchr (a, ':');
    if (colon && strchr (a, ':') != colon)
      goto bad;                 /* a bare IPv6 address needs brackets */
    h = colon ? g_strndup (a, colon - a) : g_strdup (a);
    if (colon)
      port_str = colon + 1;
  }
  if (*h == '\0') {
    g_free (h);
    goto bad;
  }
  if (port_str) {
    gchar *end;
    guint64 v = g_ascii_strtoull (port_str, &end, 10);
    if (*port_str == '\0' || *end != '\0' || v == 0 || v > 65535) {
      g_free (h);
      goto bad;
    }
    *port = (gint) v;
  } else {
    *port = DEFAULT_PORT;
  }
  *host = h;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "invalid MQTT address \"%s\": expected host:port", address);
  return FALSE;
}

static const gchar *
mosquitto_error_string (int rc)
{
  return rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc);
}

static void
on_connect (struct mosquitto *mosq, void *data, int rc)
{
  OvMqttPublisher *p = data;
  gboolean report;
  guint64 dropped;

  g_mutex_lock (&p->lock);
  p->connack = TRUE;
  p->connack_rc = rc;
  report = p->thread_running && !p->stopping;
  dropped = p->dropped_in_outage;
  if (rc == 0) {
    p->connected = TRUE;
    /* Whatever was queued before the loss was discarded on reconnect. */
    p->pending = 0;
    report = report && p->lost;
    p->lost = FALSE;
    p->dropped_in_outage = 0;
  }
  g_mutex_unlock (&p->lock);
  if (report)
    p->on_event (rc == 0 ? OV_MQTT_EVENT_RECONNECTED : OV_MQTT_EVENT_REFUSED,
        rc == 0 ? "reconnected" : mosquitto_connack_string (rc), dropped,
        p->user_data);
}

static void
on_disconnect (struct mosquitto *mosq, void *data, int rc)
{
  OvMqttPublisher *p = data;
  gboolean report;

  g_mutex_lock (&p->lock);
  p->connected = FALSE;
  /* Queued but not written: lost with the connection. */
  p->dropped += p->pending;
  p->dropped_in_outage += p->pending;
  p->pending = 0;
  report = rc != 0 && p->thread_running && !p->stopping && !p->lost;
  if (report)
    p->lost = TRUE;
  g_mutex_unlock (&p->lock);
  if (report)
    p->on_event (OV_MQTT_EVENT_LOST, mosquitto_error_string (rc), 0,
        p->user_data);
}

/* For QoS 0 this means "written to the socket". */
static void
on_publish (struct mosquitto *mosq, void *data, int mid)
{
  OvMqttPublisher *p = data;

  g_mutex_lock (&p->lock);
  if (p->pending > 0)
    p->pending--;
  g_mutex_unlock (&p->lock);
}

static gpointer
init_library (gpointer unused)
{
  /* Never cleaned up: other code in the process may use the library. */
  mosquitto_lib_init ();
  return NULL;
}

/* One try: a non-blocking connect, then the network pumped here (the
 * thread is not running yet) until the broker answers or time is up. */
static gboolean
try_connect (OvMqttPublisher *p, const OvMqttConfig *c, gboolean first,
    GError **error)
{
  gint64 deadline = g_get_monotonic_time () + CONNECT_TIMEOUT_US;
  int rc;

  g_mutex_lock (&p->lock);
  p->connack = FALSE;
  g_mutex_unlock (&p->lock);
  rc = first ? mosquitto_connect_async (p->mosq, c->host, c->port, KEEPALIVE_S)
      : mosquitto_reconnect_async (p->mosq);
  while (rc == MOSQ_ERR_SUCCESS) {
    gboolean answered;
    int connack_rc;

    g_mutex_lock (&p->lock);
    answered = p->connack;
    connack_rc = p->connack_rc;
    g_mutex_unlock (&p->lock);
    if (answered && connack_rc == 0)
      return TRUE;
    if (answered) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
          "the broker refused the connection: %s",
          mosquitto_connack_string (connack_rc));
      return FALSE;
    }
    if (g_get_monotonic_time () >= deadline) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "no answer from the broker within %d s",
          (int) (CONNECT_TIMEOUT_US / G_USEC_PER_SEC));
      return FALSE;
    }
    rc = mosquitto_loop (p->mosq, 100, 1);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "%s",
      mosquitto_error_string (rc));
  return FALSE;
}

/* The system's CA certificates, where Debian's ca-certificates keeps
 * them, for TLS without a CA file of its own. */
#define SYSTEM_CA_PATH "/etc/ssl/certs"

static gboolean
setup_tls (OvMqttPublisher *p, const OvMqttConfig *c, GError **error)
{
  int rc = mosquitto_tls_set (p->mosq, c->ca_file,
      c->ca_file ? NULL : SYSTEM_CA_PATH, c->cert_file, c->key_file, NULL);
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_tls_opts_set (p->mosq, c->verify_server ? 1 : 0, NULL,
        NULL);
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_tls_insecure_set (p->mosq, !c->verify_hostname);
  if (rc != MOSQ_ERR_SUCCESS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "cannot set TLS up (CA %s, certificate %s, key %s): %s",
        c->ca_file ? c->ca_file : SYSTEM_CA_PATH,
        c->cert_file ? c->cert_file : "none",
        c->key_file ? c->key_file : "none",
        rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
    return FALSE;
  }
  return TRUE;
}

static void
publisher_destroy (OvMqttPublisher *p)
{
  mosquitto_destroy (p->mosq);
  g_free (p->topic);
  g_mutex_clear (&p->lock);
  g_free (p);
}

OvMqttPublisher *
ov_mqtt_publisher_new (const OvMqttConfig *c, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  OvMqttPublisher *p;
  guint delay_s = 1;
  GError *last = NULL;
  int rc;

  g_once (&once, init_library, NULL);
  p = g_new0 (OvMqttPublisher, 1);
  g_mutex_init (&p->lock);
  p->topic = g_strdup (c->topic);
  p->on_event = c->on_event;
  p->user_data = c->user_data;
  p->mosq = mosquitto_new (c->client_id, TRUE, p);
  if (p->mosq == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot create an MQTT client: %s", g_strerror (errno));
    g_mutex_clear (&p->lock);
    g_free (p->topic);
    g_free (p);
    return NULL;
  }
  if (c->username && *c->username) {
    rc = mosquitto_username_pw_set (p->mosq, c->username,
        c->password && *c->password ? c->password : NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "invalid MQTT credentials: %s", mosquitto_strerror (rc));
      publisher_destroy (p);
      return NULL;
    }
  }
  if (c->tls && !setup_tls (p, c, error)) {
    publisher_destroy (p);
    return NULL;
  }
  mosquitto_connect_callback_set (p->mosq, on_connect);
  mosquitto_disconnect_callback_set (p->mosq, on_disconnect);
  mosquitto_publish_callback_set (p->mosq, on_publish);

  for (guint attempt = 1; ; attempt++) {
    g_clear_error (&last);
    if (try_connect (p, c, attempt == 1, &last))
      break;
    if (attempt >= c->max_connect_attempts) {
      g_set_error (error, G_IO_ERROR, last->code,
          "cannot connect to the MQTT broker at %s:%d after %u attempt%s: %s",
          c->host, c->port, attempt, attempt > 1 ? "s" : "", last->message);
      g_error_free (last);
      publisher_destroy (p);
      return NULL;
    }
    g_usleep (delay_s * G_USEC_PER_SEC);
    delay_s = MIN (delay_s * 2, c->max_reconnect_interval);
  }

  /* From here on mosquitto's thread reconnects by itself after a loss. */
  mosquitto_reconnect_delay_set (p->mosq, 1, c->max_reconnect_interval, TRUE);
  g_mutex_lock (&p->lock);
  p->thread_running = TRUE;
  g_mutex_unlock (&p->lock);
  rc = mosquitto_loop_start (p->mosq);
  if (rc != MOSQ_ERR_SUCCESS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot start the MQTT network thread: %s",
        mosquitto_error_string (rc));
    mosquitto_disconnect (p->mosq);
    publisher_destroy (p);
    return NULL;
  }
  return p;
}

gboolean
ov_mqtt_publisher_publish (OvMqttPublisher *p, const gchar *message)
{
  gboolean queued = FALSE;
  size_t len = strlen (message);

  /* The lock is held across the call so a loss reported meanwhile counts
   * this message once; mosquitto_publish only queues it and wakes the
   * network thread, it does not wait for the network. */
  g_mutex_lock (&p->lock);
  if (p->connected && p->pending < MAX_PENDING && len <= G_MAXINT) {
    int rc = mosquitto_publish (p->mosq, NULL, p->topic, (int) len, message,
        0, false);
    queued = rc == MOSQ_ERR_SUCCESS;
  }
  if (queued) {
    p->pending++;
  } else {
    p->dropped++;
    p->dropped_in_outage++;
  }
  g_mutex_unlock (&p->lock);
  return queued;
}

guint64
ov_mqtt_publisher_get_dropped (OvMqttPublisher *p)
{
  guint64 n;
  g_mutex_lock (&p->lock);
  n = p->dropped;
  g_mutex_unlock (&p->lock);
  return n;
}

guint64
ov_mqtt_publisher_free (OvMqttPublisher *p)
{
  guint64 dropped;

  g_mutex_lock (&p->lock);
  p->stopping = TRUE;
  g_mutex_unlock (&p->lock);
  /* Marks the client as disconnecting even when the connection is down,
   * so the thread leaves its reconnection wait; when it is up, the queued
   * messages go out before the DISCONNECT. */
  mosquitto_disconnect (p->mosq);
  mosquitto_loop_stop (p->mosq, false);
  dropped = p->dropped;
  publisher_destroy (p);
  return dropped;
}
