/* The stop-string matcher: hand-worked streams, then every text of a set
 * fed whole, byte by byte and in random chunks against a brute-force
 * reference on the whole text. */
#include <string.h>

#include <glib.h>

#include "stop-strings.h"

/* Feeds the chunks; returns what was emitted (flushed at the end when no
 * stop came) and the stop index or -1. */
static char *
run (const char *const *stops, gsize n_stops, const char *const *chunks,
    gint *which)
{
  OviLlmStopMatcher *m = ovi_llm_stop_matcher_new (stops, n_stops);
  GString *out = g_string_new (NULL);
  gboolean stopped = FALSE;
  *which = -1;
  for (int i = 0; chunks[i] && !stopped; i++)
    stopped = ovi_llm_stop_matcher_feed (m, chunks[i], -1, out, which);
  if (!stopped)
    ovi_llm_stop_matcher_flush (m, out);
  ovi_llm_stop_matcher_free (m);
  return g_string_free (out, FALSE);
}

static void
test_basic (void)
{
  const char *stops[] = { "END" };
  OviLlmStopMatcher *m = ovi_llm_stop_matcher_new (stops, 1);
  GString *out = g_string_new (NULL);
  gint which = -1;

  /* a prefix is held back, and let go once it cannot become END */
  g_assert_false (ovi_llm_stop_matcher_feed (m, "hel", -1, out, &which));
  g_assert_cmpstr (out->str, ==, "hel");
  g_assert_false (ovi_llm_stop_matcher_feed (m, "lo E", -1, out, &which));
  g_assert_cmpstr (out->str, ==, "hello ");
  g_assert_cmpuint (ovi_llm_stop_matcher_pending (m), ==, 1);
  g_assert_false (ovi_llm_stop_matcher_feed (m, "N", -1, out, &which));
  g_assert_cmpstr (out->str, ==, "hello ");
  g_assert_cmpuint (ovi_llm_stop_matcher_pending (m), ==, 2);
  g_assert_false (ovi_llm_stop_matcher_feed (m, "x E", -1, out, &which));
  g_assert_cmpstr (out->str, ==, "hello ENx ");
  g_assert_true (ovi_llm_stop_matcher_feed (m, "ND and more", -1, out,
          &which));
  g_assert_cmpstr (out->str, ==, "hello ENx ");
  g_assert_cmpint (which, ==, 0);
  /* stopped: nothing more comes out */
  g_assert_true (ovi_llm_stop_matcher_feed (m, "tail", -1, out, NULL));
  ovi_llm_stop_matcher_flush (m, out);
  g_assert_cmpstr (out->str, ==, "hello ENx ");

  /* reset: a new stream; a held prefix comes out at flush */
  ovi_llm_stop_matcher_reset (m);
  g_string_truncate (out, 0);
  g_assert_false (ovi_llm_stop_matcher_feed (m, "abcEN", 4, out, &which));
  g_assert_cmpstr (out->str, ==, "abc");
  ovi_llm_stop_matcher_flush (m, out);
  g_assert_cmpstr (out->str, ==, "abcE");
  ovi_llm_stop_matcher_free (m);
  g_string_free (out, TRUE);
}

static void
test_multiple (void)
{
  gint which;
  char *s;

  /* the stop complete first wins: "bc" ends before "abcd" */
  s = run ((const char *[]) {"abcd", "bc"}, 2,
      (const char *[]) {"xabcd", NULL}, &which);
  g_assert_cmpstr (s, ==, "xa");
  g_assert_cmpint (which, ==, 1);
  g_free (s);
  /* ending at the same byte: the longer (earlier start) one */
  s = run ((const char *[]) {"cd", "abcd"}, 2,
      (const char *[]) {"xab", "cd", NULL}, &which);
  g_assert_cmpstr (s, ==, "x");
  g_assert_cmpint (which, ==, 1);
  g_free (s);
  /* shared prefixes of special-token texts, over chunks */
  s = run ((const char *[]) {"<|im_end|>", "<|im_start|>"}, 2,
      (const char *[]) {"Sure.<|im", "_s", "tart|>user", NULL}, &which);
  g_assert_cmpstr (s, ==, "Sure.");
  g_assert_cmpint (which, ==, 1);
  g_free (s);
  /* overlapping self-prefix: "aab" in "aaab" starts at 1 */
  s = run ((const char *[]) {"aab"}, 1,
      (const char *[]) {"a", "a", "a", "b", "c", NULL}, &which);
  g_assert_cmpstr (s, ==, "a");
  g_assert_cmpint (which, ==, 0);
  g_free (s);
  /* empty and NULL stop strings are ignored; index stays the caller's */
  s = run ((const char *[]) {"", NULL, "\nUser:"}, 3,
      (const char *[]) {"Answer.\n", "User", ": next", NULL}, &which);
  g_assert_cmpstr (s, ==, "Answer.");
  g_assert_cmpint (which, ==, 2);
  g_free (s);
  /* no stop strings: a pass-through */
  s = run (NULL, 0, (const char *[]) {"a", "b", NULL}, &which);
  g_assert_cmpstr (s, ==, "ab");
  g_assert_cmpint (which, ==, -1);
  g_free (s);
}

/* The answer on the whole text: the match with the smallest end, then the
 * smallest start. */
static char *
reference (const char *const *stops, gsize n, const char *text, gint *which)
{
  gsize len = strlen (text);
  for (gsize end = 1; end <= len; end++)
    for (gsize start = 0; start < end; start++)
      for (gsize i = 0; i < n; i++)
        if (stops[i][0] && strlen (stops[i]) == end - start
            && memcmp (text + start, stops[i], end - start) == 0) {
          *which = i;
          return g_strndup (text, start);
        }
  *which = -1;
  return g_strdup (text);
}

static void
check_chunkings (const char *const *stops, gsize n, const char *text,
    GRand *r)
{
  gint want_which, which;
  char *want = reference (stops, n, text, &want_which);
  gsize len = strlen (text);
  char *got;

  /* whole */
  got = run (stops, n, (const char *[]) {text, NULL}, &which);
  g_assert_cmpstr (got, ==, want);
  g_assert_cmpint (which, ==, want_which);
  g_free (got);

  /* byte by byte, and random chunks of 1..5 bytes */
  for (int mode = 0; mode < 4; mode++) {
    char **chunks = g_new0 (char *, len + 1);
    gsize k = 0;
    for (gsize i = 0; i < len;) {
      gsize step = mode == 0 ? 1 : (gsize) g_rand_int_range (r, 1, 6);
      step = MIN (step, len - i);
      chunks[k++] = g_strndup (text + i, step);
      i += step;
    }
    got = run (stops, n, (const char *const *) chunks, &which);
    g_assert_cmpstr (got, ==, want);
    g_assert_cmpint (which, ==, want_which);
    g_free (got);
    g_strfreev (chunks);
  }
  g_free (want);
}

static void
test_chunkings (void)
{
  GRand *r = g_rand_new_with_seed (9);
  const char *set1[] = { "<|im_end|>", "<|eot_id|>", "\nUser:", "</s>" };
  const char *set2[] = { "abcd", "bc", "cab", "aab", "b c" };
  const char *set3[] = { "→end", "é!", "日本" };
  const char *texts[] = {
    "Hello there<|im_end|>more", "no stop at all", "<|eot_id|>",
    "a < b and c <| d </ s </s>", "line\nUse\nUser: x", "<|im_e<|eot_id|>",
    "aaab", "xabcd", "cabcd", "ab cab", "b cbc", "aab c", "aaaaaaaa",
    "caf\xc3\xa9! ok", "x \xe2\x86\x92" "en \xe2\x86\x92" "end y", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
    "", "<|im_end", "</", "\xe2\x86\x92",
  };
  for (guint t = 0; t < G_N_ELEMENTS (texts); t++) {
    check_chunkings (set1, G_N_ELEMENTS (set1), texts[t], r);
    check_chunkings (set2, G_N_ELEMENTS (set2), texts[t], r);
    check_chunkings (set3, G_N_ELEMENTS (set3), texts[t], r);
  }
  /* random texts over a small alphabet, where stops occur often */
  for (int round = 0; round < 300; round++) {
    char text[40];
    int len = g_rand_int_range (r, 0, 39);
    for (int i = 0; i < len; i++)
      text[i] = "abc d"[g_rand_int_range (r, 0, 5)];
    text[len] = 0;
    check_chunkings (set2, G_N_ELEMENTS (set2), text, r);
  }
  g_rand_free (r);
}

/* A stream that fails to match stays bounded: what is held back is never
 * longer than the longest stop string minus one. */
static void
test_bounded (void)
{
  const char *stops[] = { "<|im_end|>" };
  OviLlmStopMatcher *m = ovi_llm_stop_matcher_new (stops, 1);
  GString *out = g_string_new (NULL);
  for (int i = 0; i < 1000; i++) {
    g_assert_false (ovi_llm_stop_matcher_feed (m, i % 2 ? "<|im_e" : "<|",
            -1, out, NULL));
    g_assert_cmpuint (ovi_llm_stop_matcher_pending (m), <=, 9);
  }
  ovi_llm_stop_matcher_flush (m, out);
  g_assert_cmpuint (out->len, ==, 500 * (6 + 2));
  ovi_llm_stop_matcher_free (m);
  g_string_free (out, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm-stop/basic", test_basic);
  g_test_add_func ("/llm-stop/multiple", test_multiple);
  g_test_add_func ("/llm-stop/chunkings", test_chunkings);
  g_test_add_func ("/llm-stop/bounded", test_bounded);
  return g_test_run ();
}
