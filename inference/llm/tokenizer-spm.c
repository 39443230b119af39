/* SentencePiece-style BPE ("llama" vocabularies): start from the text's
 * characters and repeatedly merge the adjacent pair whose concatenation is
 * the highest-scoring token (the leftmost pair among equal scores). What
 * is left and is not a token (a character the vocabulary lacks) falls back
 * to <0xXX> byte tokens, or to the unknown token without them.
 *
 * The text is cut where two neighbouring characters appear side by side in
 * no token text (no merge can join them) and each segment is merged on its
 * own: the same result as one pass over the whole text, with heaps the
 * size of a word instead of the size of the text. */
#include <string.h>

#include "tokenizer-private.h"

typedef struct {
  gint32 prev, next;
  guint32 start, n;    /* bytes in the normalized text; n == 0: merged away */
} Symbol;

typedef struct {
  float score;
  gint32 left, right;
  guint32 size;        /* bytes of the pair when it was queued */
} Bigram;

typedef struct {
  Bigram *items;
  gsize len, cap;
} Heap;

/* The best bigram first: highest score, then leftmost. */
static gboolean
better (const Bigram *a, const Bigram *b)
{
  return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void
heap_push (Heap *h, Bigram b)
{
  gsize i;

  if (h->len == h->cap) {
    h->cap = MAX (64, h->cap * 2);
    h->items = g_renew (Bigram, h->items, h->cap);
  }
  i = h->len++;
  while (i > 0 && better (&b, &h->items[(i - 1) / 2])) {
    h->items[i] = h->items[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h->items[i] = b;
}

static Bigram
heap_pop (Heap *h)
{
  Bigram top = h->items[0], last = h->items[--h->len];
  gsize i = 0;

  for (;;) {
    gsize c = 2 * i + 1;

    if (c >= h->len)
      break;
    if (c + 1 < h->len && better (&h->items[c + 1], &h->items[c]))
      c++;
    if (!better (&h->items[c], &last))
      break;
    h->items[i] = h->items[c];
    i = c;
  }
  if (h->len > 0)
    h->items[i] = last;
  return top;
}

static void
try_bigram (const OviLlmTokenizer *tok, const char *text, const Symbol *sym,
    gint32 left, gint32 right, Heap *heap)
{
  guint32 size;
  gint32 id;
  Bigram b;

  if (left < 0 || right < 0)
    return;
  /* Symbols stay contiguous in the text, so the pair is one substring. */
  size = sym[left].n + sym[right].n;
  id = ovi_llm_text_index_find (tok, text + sym[left].start, size);
  if (id < 0)
    return;
  b.score = tok->scores[id];
  b.left = left;
  b.right = right;
  b.size = size;
  heap_push (heap, b);
}

/* Merges the symbols first..last (linked among themselves only) and
 * appends their ids. */
static gboolean
merge_segment (const OviLlmTokenizer *tok, const char *text, Symbol *sym,
    gint32 first, gint32 last, Heap *heap, GArray *out, GError **error)
{
  gint32 s;
  gsize i;

  heap->len = 0;
  for (s = first + 1; s <= last; s++)
    try_bigram (tok, text, sym, s - 1, s, heap);
  while (heap->len > 0) {
    Bigram b = heap_pop (heap);
    Symbol *l = &sym[b.left], *r = &sym[b.right];

    /* Stale: one side was merged since the pair was queued. */
    if (l->n == 0 || r->n == 0 || l->next != b.right
        || l->n + r->n != b.size)
      continue;
    l->n += r->n;
    r->n = 0;
    l->next = r->next;
    if (r->next >= 0)
      sym[r->next].prev = b.left;
    try_bigram (tok, text, sym, l->prev, b.left, heap);
    try_bigram (tok, text, sym, b.left, l->next, heap);
  }

  for (s = first; s >= 0; s = sym[s].next) {
    const char *p = text + sym[s].start;
    gint32 id = ovi_llm_text_index_find (tok, p, sym[s].n);
    gboolean have_bytes = TRUE;

    if (id >= 0) {
      g_array_append_val (out, id);
      continue;
    }
    for (i = 0; i < sym[s].n; i++)
      if (tok->byte_token[(guint8) p[i]] < 0)
        have_bytes = FALSE;
    if (have_bytes) {
      for (i = 0; i < sym[s].n; i++)
        g_array_append_val (out, tok->byte_token[(guint8) p[i]]);
    } else if (tok->unk >= 0) {
      g_array_append_val (out, tok->unk);
    } else {
      g_set_error (error, OVI_LLM_TOKENIZER_ERROR,
          OVI_LLM_TOKENIZER_ERROR_ENCODE, "the vocabulary has no token, no "
          "byte tokens and no unknown token for '%.*s'", (int) sym[s].n, p);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
ovi_llm_spm_encode (const OviLlmTokenizer *tok, const char *text, gsize len,
    gboolean space_prefix, GArray *out, GError **error)
{
  GString *norm = g_string_sized_new (len + len / 2 + 4);
  Symbol *sym;
  Heap heap = { NULL, 0, 0 };
  gsize i;
  gint32 n_sym = 0, first = 0;
  guint32 prev_c = G_MAXUINT32;
  gboolean ok = TRUE;

  /* SentencePiece's normalization for LLaMA: spaces become U+2581 and one
   * is prefixed (add_dummy_prefix); nothing else is rewritten. */
  if (space_prefix)
    g_string_append (norm, "\xe2\x96\x81");
  for (i = 0; i < len; i++) {
    if (text[i] == ' ')
      g_string_append (norm, "\xe2\x96\x81");
    else
      g_string_append_c (norm, text[i]);
  }

  sym = g_new (Symbol, MAX (norm->len, 1));
  for (i = 0; i < norm->len && ok; ) {
    gsize l = ovi_llm_utf8_char_len ((const guint8 *) norm->str + i,
        norm->len - i);
    /* A byte that is not part of a valid character is a symbol alone; it
     * will never be a token and goes to byte fallback. */
    guint32 c = l > 0 ? g_utf8_get_char (norm->str + i)
        : 0x110000u + (guint8) norm->str[i];

    if (l == 0)
      l = 1;
    if (n_sym > first && !ovi_llm_char_pair_known (tok, prev_c, c)) {
      /* No token holds these two characters side by side: merging can
       * never cross here, so what is before is finished. */
      sym[n_sym - 1].next = -1;
      ok = merge_segment (tok, norm->str, sym, first, n_sym - 1, &heap, out,
          error);
      first = n_sym;
    }
    sym[n_sym].prev = n_sym > first ? n_sym - 1 : -1;
    sym[n_sym].next = n_sym + 1;
    sym[n_sym].start = i;
    sym[n_sym].n = l;
    prev_c = c;
    n_sym++;
    i += l;
  }
  if (ok && n_sym > first) {
    sym[n_sym - 1].next = -1;
    ok = merge_segment (tok, norm->str, sym, first, n_sym - 1, &heap, out,
        error);
  }
  g_free (heap.items);
  g_free (sym);
  g_string_free (norm, TRUE);
  return ok;
}
