/* Stop strings on streamed text. Generation decodes a few bytes per token;
 * a stop string ("\nUser:", "<|im_end|>" when the model writes it as
 * text) may arrive split over several chunks. The matcher passes on the
 * text that can no longer be part of a stop string, holds back the
 * longest tail that is still the start of one, and reports the stop when
 * one is complete: the text before it is emitted, the stop string and
 * everything after it are not.
 *
 * Where two stop strings could match, the one that is complete first in
 * the stream wins (the smallest end offset; among those ending at the
 * same byte, the one starting first, i.e. the longest). This makes the
 * result independent of how the text is cut into chunks: feeding it
 * byte by byte or all at once emits the same text and reports the same
 * stop.
 *
 * Bytes are compared exactly. The held-back tail is a prefix of a stop
 * string, so when both the text and the stop strings are valid UTF-8 the
 * emitted pieces end on character boundaries (as long as the chunks fed
 * do). */
#ifndef OVI_LLM_STOP_STRINGS_H
#define OVI_LLM_STOP_STRINGS_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _OviLlmStopMatcher OviLlmStopMatcher;

/* `stops`: n_stops strings (NULL entries and empty strings are ignored);
 * copied. n_stops 0 gives a matcher that passes everything through. */
OviLlmStopMatcher *ovi_llm_stop_matcher_new (const char *const *stops,
    gsize n_stops);
void ovi_llm_stop_matcher_free (OviLlmStopMatcher *m);

/* Feeds `len` bytes (-1: NUL-terminated). Appends to `out` the text that
 * is safe to emit now. Returns TRUE when a stop string completed; then
 * *which (if not NULL) is its index in the `stops` given to new, `out`
 * has received all the text before it, and later feeds are ignored (and
 * return TRUE) until reset. */
gboolean ovi_llm_stop_matcher_feed (OviLlmStopMatcher *m, const char *text,
    gssize len, GString *out, gint *which);

/* At the end of the stream: appends the held-back text, which did not
 * turn into a stop string. Nothing when a stop was found. */
void ovi_llm_stop_matcher_flush (OviLlmStopMatcher *m, GString *out);

/* Bytes currently held back. */
gsize ovi_llm_stop_matcher_pending (const OviLlmStopMatcher *m);

/* Ready for a new stream with the same stop strings. */
void ovi_llm_stop_matcher_reset (OviLlmStopMatcher *m);

G_END_DECLS

#endif
