/* Byte-level BPE ("gpt2" vocabularies): the pre-tokenizer splits the text
 * into words; each word starts as one token per byte (GPT-2's printable
 * character for that byte) and the adjacent pair with the lowest merge
 * rank is merged (leftmost among equal ranks) until no pair of the word is
 * in the merge list. */
#include <string.h>

#include "tokenizer-private.h"

/* GPT-2's byte <-> character table: printable Latin-1 bytes stand for
 * themselves; the other 68 bytes take U+0100.. in byte order, so that no
 * token text holds a space or a control character. */
static char byte_chars[256][3];
static gint16 char_bytes[256 + 68];

static void
init_tables (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    int b, extra = 0;

    for (b = 0; b < 256; b++) {
      gboolean printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac)
          || b >= 0xae;
      gunichar c = printable ? (gunichar) b : (gunichar) (256 + extra++);
      int n = g_unichar_to_utf8 (c, byte_chars[b]);

      byte_chars[b][n] = '\0';
      char_bytes[c] = (gint16) b;
    }
    g_once_init_leave (&done, 1);
  }
}

const char *
ovi_llm_bpe_byte_char (guint8 byte)
{
  init_tables ();
  return byte_chars[byte];
}

int
ovi_llm_bpe_char_byte (gunichar c)
{
  init_tables ();
  return c < G_N_ELEMENTS (char_bytes) ? char_bytes[c] : -1;
}

typedef struct {
  gint32 id;           /* -1 once merged into its left neighbour */
  gint32 prev, next;
} Symbol;

typedef struct {
  gint32 rank;
  gint32 left, right;
  gint32 left_id, right_id;
} Candidate;

typedef struct {
  const OviLlmTokenizer *tok;
  GArray *out;
  GString *mapped;
  Symbol *sym;
  gsize sym_cap;
  Candidate *heap;
  gsize heap_len, heap_cap;
} State;

/* Lowest rank first, then leftmost. */
static gboolean
before (const Candidate *a, const Candidate *b)
{
  return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void
heap_push (State *st, const Candidate *c)
{
  gsize i;

  if (st->heap_len == st->heap_cap) {
    st->heap_cap = MAX (64, st->heap_cap * 2);
    st->heap = g_renew (Candidate, st->heap, st->heap_cap);
  }
  i = st->heap_len++;
  while (i > 0 && before (c, &st->heap[(i - 1) / 2])) {
    st->heap[i] = st->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  st->heap[i] = *c;
}

static Candidate
heap_pop (State *st)
{
  Candidate top = st->heap[0], last = st->heap[--st->heap_len];
  gsize i = 0;

  for (;;) {
    gsize c = 2 * i + 1;

    if (c >= st->heap_len)
      break;
    if (c + 1 < st->heap_len && before (&st->heap[c + 1], &st->heap[c]))
      c++;
    if (!before (&st->heap[c], &last))
      break;
    st->heap[i] = st->heap[c];
    i = c;
  }
  if (st->heap_len > 0)
    st->heap[i] = last;
  return top;
}

static void
try_pair (State *st, gint32 left, gint32 right)
{
  Candidate c;
  gint32 result;

  if (left < 0 || right < 0)
    return;
  c.left_id = st->sym[left].id;
  c.right_id = st->sym[right].id;
  c.rank = ovi_llm_pair_index_find (st->tok, c.left_id, c.right_id, &result);
  if (c.rank < 0)
    return;
  c.left = left;
  c.right = right;
  heap_push (st, &c);
}

static void
encode_word (const char *word, gsize len, gpointer data)
{
  State *st = data;
  const OviLlmTokenizer *tok = st->tok;
  gsize i;
  gint32 s;

  if (len == 1) {
    g_array_append_val (st->out, tok->byte_token[(guint8) word[0]]);
    return;
  }
  if (tok->ignore_merges) {
    /* Llama 3 takes a word that is a token whole, even where merging
     * would split it differently. */
    gint32 id;

    g_string_truncate (st->mapped, 0);
    for (i = 0; i < len; i++)
      g_string_append (st->mapped, byte_chars[(guint8) word[i]]);
    id = ovi_llm_text_index_find (tok, st->mapped->str, st->mapped->len);
    if (id >= 0) {
      g_array_append_val (st->out, id);
      return;
    }
  }
  if (len > st->sym_cap) {
    st->sym_cap = MAX (len, 2 * st->sym_cap);
    st->sym = g_renew (Symbol, st->sym, st->sym_cap);
  }
  for (i = 0; i < len; i++) {
    st->sym[i].id = tok->byte_token[(guint8) word[i]];
    st->sym[i].prev = (gint32) i - 1;
    st->sym[i].next = i + 1 < len ? (gint32) i + 1 : -1;
  }
  st->heap_len = 0;
  for (i = 1; i < len; i++)
    try_pair (st, i - 1, i);
  while (st->heap_len > 0) {
    Candidate c = heap_pop (st);
    Symbol *l = &st->sym[c.left], *r = &st->sym[c.right];
    gint32 result;

    /* Stale: either side changed since the pair was queued. */
    if (l->id != c.left_id || r->id != c.right_id || l->next != c.right)
      continue;
    ovi_llm_pair_index_find (tok, c.left_id, c.right_id, &result);
    l->id = result;
    r->id = -1;
    l->next = r->next;
    if (r->next >= 0)
      st->sym[r->next].prev = c.left;
    try_pair (st, l->prev, c.left);
    try_pair (st, c.left, l->next);
  }
  for (s = 0; s >= 0; s = st->sym[s].next)
    g_array_append_val (st->out, st->sym[s].id);
}

gboolean
ovi_llm_bpe_encode (const OviLlmTokenizer *tok, const char *text, gsize len,
    GArray *out, GError **error)
{
  State st = { 0 };

  (void) error;
  init_tables ();
  st.tok = tok;
  st.out = out;
  st.mapped = g_string_new (NULL);
  ovi_llm_pretokenize (tok->split, text, len, encode_word, &st);
  g_string_free (st.mapped, TRUE);
  g_free (st.sym);
  g_free (st.heap);
  return TRUE;
}
