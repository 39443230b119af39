/* ovmetapublish: files parsed back with json-glib, and MQTT through a real
 * broker (/usr/sbin/mosquitto) that is killed and restarted mid-stream. */
#include "ovtest.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "gstovmeta.h"

#ifdef HAVE_MOSQUITTO
#include <mosquitto.h>
#endif

#define CAPS "video/x-raw,format=RGB,width=8,height=8,framerate=30/1"

static gchar *tmp_dir;

static gchar *
tmp_path (const gchar *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* A frame carrying `message` (none if NULL). */
static GstBuffer *
frame_with (const gchar *message)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 8 * 8 * 3, NULL);
  if (message)
    gst_buffer_add_ov_json_meta (buf, message);
  return buf;
}

static gchar *
record (int i)
{
  return g_strdup_printf ("{\"frame\":%d,\"objects\":[{\"x\":%d}]}", i, i * 2);
}

/* ovmetapublish with properties as "name", "value" pairs, on `bus` (may be
 * NULL), started in a harness. */
static GstHarness *
publish_harness (GstBus *bus, ...)
{
  GstElement *e = gst_element_factory_make ("ovmetapublish", NULL);
  GstHarness *h;
  const gchar *name;
  va_list args;

  g_assert_nonnull (e);
  va_start (args, bus);
  while ((name = va_arg (args, const gchar *)))
    gst_util_set_object_arg (G_OBJECT (e), name, va_arg (args, const gchar *));
  va_end (args);
  if (bus)
    gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, CAPS);
  return h;
}

/* Pushes a frame and checks it comes out, untouched, at once. */
static void
push_frame (GstHarness *h, const gchar *message)
{
  GstBuffer *in = frame_with (message), *out;
  g_assert_cmpint (gst_harness_push (h, gst_buffer_ref (in)), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_true (out == in);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
}

static void
push_record (GstHarness *h, int i)
{
  gchar *r = record (i);
  push_frame (h, r);
  g_free (r);
}

static void
assert_record (JsonNode *node, int i)
{
  JsonObject *o;
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  o = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (o, "frame"), ==, i);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
              json_object_get_array_member (o, "objects"), 0), "x"), ==, i * 2);
}

/* ---- file --------------------------------------------------------------- */

static void
test_file_json (void)
{
  gchar *path = tmp_path ("frames.json");
  GstHarness *h = publish_harness (NULL, "file-path", path,
      "file-format", "json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonArray *array;
  gchar *text;

  push_record (h, 0);
  push_frame (h, NULL);         /* no message: nothing written */
  push_record (h, 1);
  push_record (h, 2);
  gst_harness_teardown (h);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  /* DL Streamer's layout: records separated by ",\n". */
  g_assert_true (g_str_has_prefix (text, "[{\"frame\":0,"));
  g_assert_nonnull (strstr (text, "}]},\n{\"frame\":1,"));
  g_assert_true (g_str_has_suffix (text, "}]\n"));
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  for (int i = 0; i < 3; i++)
    assert_record (json_array_get_element (array, i), i);
  g_free (text);
  g_object_unref (parser);
  g_unlink (path);
  g_free (path);
}

/* A stream without messages still leaves a valid (empty) array. */
static void
test_file_json_empty (void)
{
  gchar *path = tmp_path ("empty.json");
  GstHarness *h = publish_harness (NULL, "file-path", path, NULL);
  JsonParser *parser = json_parser_new ();
  gchar *text;

  push_frame (h, NULL);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "[]\n");
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (
              json_parser_get_root (parser))), ==, 0);
  g_free (text);
  g_object_unref (parser);
  g_unlink (path);
  g_free (path);
}

/* The array is closed at EOS, before the element stops; a flushing seek
 * that restarts the stream continues it. */
static void
test_file_json_eos (void)
{
  gchar *path = tmp_path ("eos.json");
  GstHarness *h = publish_harness (NULL, "file-path", path, NULL);
  JsonParser *parser = json_parser_new ();
  JsonArray *array;
  gchar *text;

  push_record (h, 0);
  push_record (h, 1);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (
              json_parser_get_root (parser))), ==, 2);
  g_free (text);

  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_set_src_caps_str (h, CAPS);
  push_record (h, 2);
  gst_harness_teardown (h);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  for (int i = 0; i < 3; i++)
    assert_record (json_array_get_element (array, i), i);
  g_assert_true (g_str_has_suffix (text, "}]\n"));
  g_free (text);
  g_object_unref (parser);
  g_unlink (path);
  g_free (path);
}

/* One object per line, appended run after run; indented messages are
 * put on one line. */
static void
test_file_json_lines (void)
{
  gchar *path = tmp_path ("frames.jsonl");
  gchar *text, **lines;
  GstHarness *h;

  for (int run = 0; run < 2; run++) {
    h = publish_harness (NULL, "file-path", path,
        "file-format", "json-lines", NULL);
    push_record (h, run * 2);
    if (run == 0) {
      push_record (h, 1);
    } else {
      gchar *r = record (3);
      JsonNode *n = json_from_string (r, NULL);
      gchar *pretty = json_to_string (n, TRUE);
      g_assert_nonnull (strchr (pretty, '\n'));
      push_frame (h, pretty);
      g_free (pretty);
      json_node_unref (n);
      g_free (r);
    }
    gst_harness_teardown (h);
  }
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);     /* 4 + after the last \n */
  g_assert_cmpstr (lines[4], ==, "");
  for (int i = 0; i < 4; i++) {
    JsonNode *n = json_from_string (lines[i], NULL);
    g_assert_nonnull (n);
    assert_record (n, i);
    json_node_unref (n);
  }
  g_strfreev (lines);
  g_free (text);
  g_unlink (path);
  g_free (path);
}

/* A message without a frame (ovmetaconvert's for end-of-stream events)
 * is published in its place between the frames'. */
static void
test_file_json_event (void)
{
  gchar *path = tmp_path ("events.jsonl");
  gchar *text, **lines, *r;
  GstHarness *h = publish_harness (NULL, "file-path", path,
      "file-format", "json-lines", NULL);

  push_record (h, 0);
  r = record (1);
  g_assert_true (gst_harness_push_event (h, gst_ov_json_event_new (r)));
  g_free (r);
  push_record (h, 2);
  gst_harness_teardown (h);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  for (int i = 0; i < 3; i++) {
    JsonNode *n = json_from_string (lines[i], NULL);
    g_assert_nonnull (n);
    assert_record (n, i);
    json_node_unref (n);
  }
  g_strfreev (lines);
  g_free (text);
  g_unlink (path);
  g_free (path);
}

/* The default is stdout: one record per line there. */
static void
test_stdout (void)
{
  GstHarness *h;
  OvTestCapture cap;
  gchar *out, **lines;
  GValue v = G_VALUE_INIT;

  ov_test_capture_stdout_begin (&cap);
  h = publish_harness (NULL, NULL);
  g_object_get_property (G_OBJECT (h->element), "file-path",
      (g_value_init (&v, G_TYPE_STRING), &v));
  g_assert_cmpstr (g_value_get_string (&v), ==, "stdout");
  g_value_unset (&v);
  push_record (h, 0);
  push_record (h, 1);
  gst_harness_teardown (h);
  out = ov_test_capture_stdout_end (&cap);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  for (int i = 0; i < 2; i++) {
    JsonNode *n = json_from_string (lines[i], NULL);
    g_assert_nonnull (n);
    assert_record (n, i);
    json_node_unref (n);
  }
  g_strfreev (lines);
  g_free (out);
}

static void
test_state_cycling (void)
{
  gchar *path = tmp_path ("cycle.json");
  GstElement *e = gst_element_factory_make ("ovmetapublish", NULL);
  gchar *text;

  g_object_set (e, "file-path", path, NULL);
  for (int i = 0; i < OV_TEST_STATE_CYCLES; i++) {
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_PLAYING), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    g_assert_cmpstr (text, ==, "[]\n");
    g_free (text);
  }
  gst_object_unref (e);
  g_unlink (path);
  g_free (path);
}

static void
expect_error (const gchar *needle, ...)
{
  GstElement *e = gst_element_factory_make ("ovmetapublish", NULL);
  const gchar *name;
  gchar *msg;
  va_list args;

  va_start (args, needle);
  while ((name = va_arg (args, const gchar *)))
    gst_util_set_object_arg (G_OBJECT (e), name, va_arg (args, const gchar *));
  va_end (args);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  if (strstr (msg, needle) == NULL)
    g_error ("expected '%s' in the error, got: %s", needle, msg);
  g_free (msg);
  gst_object_unref (e);
}

static void
test_bad_file_path (void)
{
  gchar *dir_as_file = tmp_path ("no-such-dir/out.json");
  expect_error ("no-such-dir/out.json", "file-path", dir_as_file, NULL);
  expect_error ("Is a directory", "file-path", tmp_dir, NULL);
  expect_error ("no file-path", "file-path", "", NULL);
  g_free (dir_as_file);
}

/* ---- MQTT --------------------------------------------------------------- */

#define MOSQUITTO "/usr/sbin/mosquitto"

static gboolean
have_broker (void)
{
#ifdef HAVE_MOSQUITTO
  if (g_file_test (MOSQUITTO, G_FILE_TEST_IS_EXECUTABLE))
    return TRUE;
  g_test_skip (MOSQUITTO " is not installed (Debian package mosquitto)");
#else
  g_test_skip ("built without libmosquitto");
#endif
  return FALSE;
}

#ifdef HAVE_MOSQUITTO

static guint16
free_port (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound;
  guint16 port;

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (lo);
  g_object_unref (s);
  return port;
}

/* A plain socket: GSocketClient would load GIO's proxy modules. */
static gboolean
port_open (guint16 port)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, port);
  gboolean ok = g_socket_connect (s, addr, NULL, NULL);

  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (s);
  return ok;
}

/* A broker on 127.0.0.1:port, up when this returns; `extra` adds to its
 * configuration (more listeners). */
static GSubprocess *
broker_start_with (guint16 port, const gchar *extra)
{
  gchar *conf = tmp_path ("mosquitto.conf");
  gchar *text = g_strdup_printf ("allow_anonymous true\npersistence false\n"
      "listener %u 127.0.0.1\n%s", port, extra ? extra : "");
  GError *error = NULL;
  GSubprocess *p;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
      | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, MOSQUITTO, "-c", conf, NULL);
  g_assert_no_error (error);
  while (!port_open (port)) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (20000);
  }
  g_free (text);
  g_free (conf);
  return p;
}

static GSubprocess *
broker_start (guint16 port)
{
  return broker_start_with (port, NULL);
}

static void
broker_kill (GSubprocess *p)
{
  g_subprocess_force_exit (p);
  g_assert_true (g_subprocess_wait (p, NULL, NULL));
  g_object_unref (p);
}

/* A libmosquitto subscriber collecting "topic\tpayload" strings. */
typedef struct {
  struct mosquitto *mosq;
  GAsyncQueue *messages;
  gint subscribed;
} Subscriber;

static void
sub_on_message (struct mosquitto *m, void *data,
    const struct mosquitto_message *msg)
{
  Subscriber *s = data;
  g_async_queue_push (s->messages, g_strdup_printf ("%s\t%.*s", msg->topic,
          msg->payloadlen, (const char *) msg->payload));
}

static void
sub_on_subscribe (struct mosquitto *m, void *data, int mid, int n,
    const int *qos)
{
  g_atomic_int_set (&((Subscriber *) data)->subscribed, 1);
}

static void
sub_on_connect (struct mosquitto *m, void *data, int rc)
{
  g_assert_cmpint (rc, ==, 0);
  mosquitto_subscribe (m, NULL, "ovi/#", 0);
}

static Subscriber *
subscriber_new (guint16 port)
{
  Subscriber *s = g_new0 (Subscriber, 1);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  mosquitto_lib_init ();
  s->messages = g_async_queue_new_full (g_free);
  s->mosq = mosquitto_new (NULL, TRUE, s);
  mosquitto_connect_callback_set (s->mosq, sub_on_connect);
  mosquitto_message_callback_set (s->mosq, sub_on_message);
  mosquitto_subscribe_callback_set (s->mosq, sub_on_subscribe);
  g_assert_cmpint (mosquitto_connect (s->mosq, "127.0.0.1", port, 60), ==,
      MOSQ_ERR_SUCCESS);
  g_assert_cmpint (mosquitto_loop_start (s->mosq), ==, MOSQ_ERR_SUCCESS);
  while (!g_atomic_int_get (&s->subscribed)) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (10000);
  }
  return s;
}

static void
subscriber_free (Subscriber *s)
{
  mosquitto_disconnect (s->mosq);
  mosquitto_loop_stop (s->mosq, false);
  mosquitto_destroy (s->mosq);
  g_async_queue_unref (s->messages);
  mosquitto_lib_cleanup ();
  g_free (s);
}

/* The next message, expected within 3 s. */
static void
expect_message (Subscriber *s, const gchar *topic, int i)
{
  gchar *got = g_async_queue_timeout_pop (s->messages, 3 * G_USEC_PER_SEC);
  gchar *r = record (i);
  gchar *want = g_strdup_printf ("%s\t%s", topic, r);
  g_assert_nonnull (got);
  g_assert_cmpstr (got, ==, want);
  g_free (want);
  g_free (r);
  g_free (got);
}

/* Message `i`, after possibly a few earlier ones: frames published just
 * before the subscription may still be on their way to the broker. */
static void
expect_message_after_earlier (Subscriber *s, const gchar *topic, int i)
{
  gchar *r = record (i);
  gchar *want = g_strdup_printf ("%s\t%s", topic, r);
  gchar *prefix = g_strdup_printf ("%s\t{\"frame\":", topic);
  gchar *got;

  while ((got = g_async_queue_timeout_pop (s->messages, 3 * G_USEC_PER_SEC))
      && strcmp (got, want) != 0) {
    g_assert_true (g_str_has_prefix (got, prefix));
    g_assert_cmpint (atoi (got + strlen (prefix)), <, i);
    g_free (got);
  }
  g_assert_nonnull (got);
  g_free (got);
  g_free (prefix);
  g_free (want);
  g_free (r);
}

static gchar *
address_of (guint16 port)
{
  return g_strdup_printf ("127.0.0.1:%u", port);
}

#endif

static void
test_mqtt_publish (void)
{
#ifdef HAVE_MOSQUITTO
  guint16 port;
  GSubprocess *broker;
  Subscriber *sub;
  gchar *address;
  GstHarness *h;

  if (!have_broker ())
    return;
  port = free_port ();
  broker = broker_start (port);
  sub = subscriber_new (port);
  address = address_of (port);
  h = publish_harness (NULL, "method", "mqtt", "address", address,
      "topic", "ovi/frames", NULL);
  for (int i = 0; i < 5; i++)
    push_record (h, i);
  push_frame (h, NULL);
  for (int i = 0; i < 5; i++)
    expect_message (sub, "ovi/frames", i);
  gst_harness_teardown (h);
  /* Nothing more: the frame without a message published nothing. */
  g_assert_null (g_async_queue_timeout_pop (sub->messages, 200000));
  subscriber_free (sub);
  broker_kill (broker);
  g_free (address);
#else
  have_broker ();
#endif
}

#ifdef HAVE_MOSQUITTO
/* Pushes frames every 20 ms (each must pass at once) until a message of
 * `type` (and, for element messages, `event`) reaches the bus. */
static void
push_until (GstHarness *h, GstBus *bus, GstMessageType type,
    const gchar *event, int *next_record)
{
  gint64 deadline = g_get_monotonic_time () + 8 * G_USEC_PER_SEC;

  for (;;) {
    GstMessage *m;
    gint64 t0 = g_get_monotonic_time ();
    push_record (h, (*next_record)++);
    /* A broker outage never holds a frame up. */
    g_assert_cmpint (g_get_monotonic_time () - t0, <, 500000);
    while ((m = gst_bus_pop (bus))) {
      gboolean found = GST_MESSAGE_TYPE (m) == type;
      if (found && event) {
        const GstStructure *s = gst_message_get_structure (m);
        found = gst_structure_has_name (s, "ovmetapublish")
            && g_strcmp0 (gst_structure_get_string (s, "event"), event) == 0;
      }
      gst_message_unref (m);
      if (found)
        return;
    }
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (20000);
  }
}
#endif

/* The broker dies mid-stream and comes back. */
static void
test_mqtt_outage (void)
{
#ifdef HAVE_MOSQUITTO
  guint16 port;
  GSubprocess *broker;
  Subscriber *sub;
  GstBus *bus = gst_bus_new ();
  gchar *address;
  GstHarness *h;
  guint64 dropped;
  int next = 0;

  if (!have_broker ()) {
    gst_object_unref (bus);
    return;
  }
  port = free_port ();
  broker = broker_start (port);
  sub = subscriber_new (port);
  address = address_of (port);
  h = publish_harness (bus, "method", "mqtt", "address", address,
      "topic", "ovi/outage", "max-reconnect-interval", "1", NULL);
  push_record (h, next++);
  expect_message (sub, "ovi/outage", 0);
  subscriber_free (sub);

  broker_kill (broker);
  push_until (h, bus, GST_MESSAGE_WARNING, NULL, &next);
  /* Frames keep flowing while it is down; their messages are dropped. */
  for (int i = 0; i < 10; i++)
    push_record (h, next++);
  g_object_get (h->element, "dropped-messages", &dropped, NULL);
  g_assert_cmpuint (dropped, >=, 10);

  broker = broker_start (port);
  push_until (h, bus, GST_MESSAGE_ELEMENT, "reconnected", &next);
  sub = subscriber_new (port);
  push_record (h, next);
  expect_message_after_earlier (sub, "ovi/outage", next);
  gst_harness_teardown (h);
  subscriber_free (sub);
  broker_kill (broker);
  gst_object_unref (bus);
  g_free (address);
#else
  have_broker ();
#endif
}

/* Stopping while the broker is away does not wait for the next
 * reconnection try (4 s away here). */
static void
test_mqtt_stop_during_outage (void)
{
#ifdef HAVE_MOSQUITTO
  guint16 port;
  GSubprocess *broker;
  GstBus *bus = gst_bus_new ();
  gchar *address;
  GstHarness *h;
  gint64 t0;
  int next = 0;

  if (!have_broker ()) {
    gst_object_unref (bus);
    return;
  }
  port = free_port ();
  broker = broker_start (port);
  address = address_of (port);
  h = publish_harness (bus, "method", "mqtt", "address", address,
      "topic", "ovi/stop", NULL);
  push_record (h, next++);
  broker_kill (broker);
  push_until (h, bus, GST_MESSAGE_WARNING, NULL, &next);
  /* Past the first try (after 1 s), into the 4 s wait. */
  g_usleep (1500000);
  t0 = g_get_monotonic_time ();
  gst_harness_teardown (h);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC);
  gst_object_unref (bus);
  g_free (address);
#else
  have_broker ();
#endif
}

#ifdef HAVE_MOSQUITTO
static void
run_openssl (const gchar *args)
{
  gchar *cmd = g_strdup_printf ("openssl %s", args);
  gchar **argv = NULL;
  gint status = -1;
  GError *error = NULL;

  g_assert_true (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  g_assert_true (g_spawn_sync (tmp_dir, argv, NULL, G_SPAWN_SEARCH_PATH
          | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
          NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_strfreev (argv);
  g_free (cmd);
}

/* A CA (`name`.crt) and, signed by it, a certificate for localhost and
 * 127.0.0.1 (`name`-server.crt, .key), in tmp_dir. */
static void
make_certificates (const gchar *name)
{
  gchar *args;
  gchar *ext = tmp_path ("san.cnf");
  g_assert_true (g_file_set_contents (ext,
          "subjectAltName=IP:127.0.0.1,DNS:localhost\n", -1, NULL));
  args = g_strdup_printf ("req -x509 -newkey ec -pkeyopt "
      "ec_paramgen_curve:prime256v1 -nodes -keyout %s.key -out %s.crt "
      "-days 2 -subj /CN=%s", name, name, name);
  run_openssl (args);
  g_free (args);
  args = g_strdup_printf ("req -newkey ec -pkeyopt "
      "ec_paramgen_curve:prime256v1 -nodes -keyout %s-server.key -out "
      "%s-server.csr -subj /CN=localhost", name, name);
  run_openssl (args);
  g_free (args);
  args = g_strdup_printf ("x509 -req -in %s-server.csr -CA %s.crt -CAkey "
      "%s.key -CAcreateserial -out %s-server.crt -days 2 -extfile san.cnf",
      name, name, name, name);
  run_openssl (args);
  g_free (args);
  g_free (ext);
  /* A broker started as root reads them as the mosquitto user: these
   * throwaway test keys are readable by all. */
  args = g_strdup_printf ("%s/%s-server.key", tmp_dir, name);
  g_assert_cmpint (g_chmod (args, 0644), ==, 0);
  g_assert_cmpint (g_chmod (tmp_dir, 0755), ==, 0);
  g_free (args);
}

static gchar *
write_config (const gchar *name, const gchar *json)
{
  gchar *path = tmp_path (name);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  return path;
}
#endif

/* mqtt-config: its values override the properties; TLS to a broker whose
 * certificate is checked against the CA the file names. */
static void
test_mqtt_config_tls (void)
{
#ifdef HAVE_MOSQUITTO
  guint16 plain, tls;
  GSubprocess *broker;
  Subscriber *sub;
  gchar *extra, *json, *config, *ca, *wrong_ca, *openssl;
  GstHarness *h;

  if (!have_broker ())
    return;
  openssl = g_find_program_in_path ("openssl");
  if (openssl == NULL) {
    g_test_skip ("openssl is not installed");
    return;
  }
  g_free (openssl);
  make_certificates ("ovi-ca");
  make_certificates ("other-ca");
  ca = tmp_path ("ovi-ca.crt");
  wrong_ca = tmp_path ("other-ca.crt");
  plain = free_port ();
  do
    tls = free_port ();
  while (tls == plain);
  extra = g_strdup_printf ("listener %u 127.0.0.1\ncafile %s/ovi-ca.crt\n"
      "certfile %s/ovi-ca-server.crt\nkeyfile %s/ovi-ca-server.key\n", tls,
      tmp_dir, tmp_dir, tmp_dir);
  broker = broker_start_with (plain, extra);
  while (!port_open (tls))
    g_usleep (20000);
  sub = subscriber_new (plain);

  /* The file's address, topic and TLS; the properties' are overridden. */
  json = g_strdup_printf ("{\"address\": \"127.0.0.1:%u\", \"topic\": "
      "\"ovi/tls\", \"client-id\": null, \"max-connect-attempts\": 1, "
      "\"TLS\": true, \"ssl_verify\": 1, "
      "\"ssl_enable_server_cert_auth\": 1, \"ssl_CA_certificate\": \"%s\"}",
      tls, ca);
  config = write_config ("mqtt-tls.json", json);
  h = publish_harness (NULL, "method", "mqtt", "address", "127.0.0.1:1",
      "topic", "ovi/wrong", "mqtt-config", config, NULL);
  push_record (h, 0);
  push_record (h, 1);
  expect_message (sub, "ovi/tls", 0);
  expect_message (sub, "ovi/tls", 1);
  gst_harness_teardown (h);
  g_free (json);
  g_free (config);

  /* A server certificate from another CA is refused. */
  json = g_strdup_printf ("{\"address\": \"127.0.0.1:%u\", \"topic\": "
      "\"ovi/tls\", \"TLS\": true, \"ssl_verify\": 1, "
      "\"ssl_enable_server_cert_auth\": 1, \"ssl_CA_certificate\": \"%s\"}",
      tls, wrong_ca);
  config = write_config ("mqtt-wrong-ca.json", json);
  expect_error ("Could not connect", "method", "mqtt", "mqtt-config", config,
      NULL);
  g_free (json);
  g_free (config);

  /* Plain TCP to the TLS port fails; TLS to the plain port too. */
  json = g_strdup_printf ("{\"address\": \"127.0.0.1:%u\", \"topic\": "
      "\"ovi/x\", \"TLS\": true, \"ssl_CA_certificate\": \"%s\"}",
      plain, ca);
  config = write_config ("mqtt-tls-plain.json", json);
  expect_error ("Could not connect", "method", "mqtt", "mqtt-config", config,
      NULL);
  g_free (json);
  g_free (config);

  subscriber_free (sub);
  broker_kill (broker);
  g_free (extra);
  g_free (ca);
  g_free (wrong_ca);
#else
  have_broker ();
#endif
}

static void
test_mqtt_config_errors (void)
{
#ifdef HAVE_MOSQUITTO
  static const struct {
    const gchar *json;
    const gchar *needle;
  } cases[] = {
    { "[1, 2]", "not a JSON object" },
    { "{\"address\": ", "not JSON" },
    { "{\"topic\": \"ovi/x\"}", "\"address\" is required" },
    { "{\"address\": 5}", "\"address\" must be a string or null" },
    { "{\"address\": \"h\", \"TLS\": 1}", "\"TLS\" must be true or false" },
    { "{\"address\": \"h\", \"max-connect-attempts\": 0}",
      "-1 or at least 1" },
    { "{\"address\": \"h\", \"max-reconnect-interval\": \"5\"}",
      "\"max-reconnect-interval\" must be an integer from 1" },
    { "{\"address\": \"h\", \"ssl_private_key\": \"k.pem\"}",
      "go together" },
  };
  gchar *missing = tmp_path ("no-such-config.json");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *config = write_config ("bad-config.json", cases[i].json);
    expect_error (cases[i].needle, "method", "mqtt", "topic", "ovi/x",
        "mqtt-config", config, NULL);
    g_free (config);
  }
  expect_error ("no-such-config.json", "method", "mqtt", "topic", "ovi/x",
      "mqtt-config", missing, NULL);
  g_free (missing);
#endif
}

static void
test_mqtt_errors (void)
{
#ifdef HAVE_MOSQUITTO
  guint16 port = free_port ();  /* nothing listens there */
  gchar *address = address_of (port);
  gint64 t0 = g_get_monotonic_time ();

  expect_error ("after 2 attempts", "method", "mqtt", "address", address,
      "topic", "ovi/x", "max-connect-attempts", "2", NULL);
  /* One wait of 1 s between the two tries. */
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, G_USEC_PER_SEC);
  expect_error ("topic", "method", "mqtt", "address", address, NULL);
  expect_error ("invalid MQTT address", "method", "mqtt", "address",
      "host:notaport", "topic", "ovi/x", NULL);
  expect_error ("unsupported scheme", "method", "mqtt", "address",
      "ssl://host:8883", "topic", "ovi/x", NULL);
  g_free (address);
#else
  expect_error ("no MQTT support", "method", "mqtt", "topic", "ovi/x", NULL);
#endif
}

int
main (int argc, char **argv)
{
  int ret;

  ov_test_init (&argc, &argv);
  tmp_dir = g_dir_make_tmp ("ovmetapublish-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  g_test_add_func ("/ovmetapublish/file-json", test_file_json);
  g_test_add_func ("/ovmetapublish/file-json-empty", test_file_json_empty);
  g_test_add_func ("/ovmetapublish/file-json-eos", test_file_json_eos);
  g_test_add_func ("/ovmetapublish/file-json-lines", test_file_json_lines);
  g_test_add_func ("/ovmetapublish/file-json-event", test_file_json_event);
  g_test_add_func ("/ovmetapublish/stdout", test_stdout);
  g_test_add_func ("/ovmetapublish/state-cycling", test_state_cycling);
  g_test_add_func ("/ovmetapublish/bad-file-path", test_bad_file_path);
  g_test_add_func ("/ovmetapublish/mqtt-publish", test_mqtt_publish);
  g_test_add_func ("/ovmetapublish/mqtt-outage", test_mqtt_outage);
  g_test_add_func ("/ovmetapublish/mqtt-stop-during-outage",
      test_mqtt_stop_during_outage);
  g_test_add_func ("/ovmetapublish/mqtt-errors", test_mqtt_errors);
  g_test_add_func ("/ovmetapublish/mqtt-config-tls", test_mqtt_config_tls);
  g_test_add_func ("/ovmetapublish/mqtt-config-errors",
      test_mqtt_config_errors);
  ret = ov_test_run ();
  {
    /* The broker's configuration, certificates, mqtt-config files. */
    GDir *dir = g_dir_open (tmp_dir, 0, NULL);
    const gchar *name;
    while (dir && (name = g_dir_read_name (dir))) {
      gchar *path = tmp_path (name);
      g_unlink (path);
      g_free (path);
    }
    if (dir)
      g_dir_close (dir);
  }
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
