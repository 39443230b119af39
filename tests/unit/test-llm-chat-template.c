/* Chat templates: real template texts (the .jinja files of
 * tests/unit/data/chat-templates) are recognized, and their rendering of
 * three conversations is compared byte for byte with Jinja2's rendering of
 * the same templates (the expected/ files, written by render.py there). */
#include <string.h>

#include <glib.h>

#include "chat-template.h"

typedef struct {
  const char *file;
  OviLlmChatFamily family;
  const char *variant;
  const char *bos, *eos;        /* as render.py uses them */
} Case;

static const Case cases[] = {
  {"chatml-openhermes", OVI_LLM_CHAT_FAMILY_CHATML, "chatml", "<s>",
    "<|im_end|>"},
  {"qwen2-instruct", OVI_LLM_CHAT_FAMILY_CHATML, "chatml", "", "<|im_end|>"},
  {"qwen2.5-instruct", OVI_LLM_CHAT_FAMILY_CHATML, "chatml", "",
    "<|im_end|>"},
  {"llama2-chat", OVI_LLM_CHAT_FAMILY_LLAMA2, "llama2", "<s>", "</s>"},
  {"llama3-instruct", OVI_LLM_CHAT_FAMILY_LLAMA3, "llama3",
    "<|begin_of_text|>", "<|eot_id|>"},
  {"mistral-legacy", OVI_LLM_CHAT_FAMILY_MISTRAL, "mistral-legacy", "<s>",
    "</s>"},
  {"mistral-v1", OVI_LLM_CHAT_FAMILY_MISTRAL, "mistral-v1", "<s>", "</s>"},
  {"mistral-v3", OVI_LLM_CHAT_FAMILY_MISTRAL, "mistral-v3", "<s>", "</s>"},
  {"zephyr", OVI_LLM_CHAT_FAMILY_ZEPHYR, "zephyr", "<s>", "</s>"},
  {"phi3.5-mini", OVI_LLM_CHAT_FAMILY_PHI3, "phi3", "<s>", "<|endoftext|>"},
  {"phi3-mini-4k-2404", OVI_LLM_CHAT_FAMILY_PHI3, "phi3-nosys", "<s>",
    "<|endoftext|>"},
  {"gemma-it", OVI_LLM_CHAT_FAMILY_PLAIN, "plain", "<bos>", "<eos>"},
};

static const OviLlmChatMessage conv_full[] = {
  {OVI_LLM_CHAT_ROLE_SYSTEM, "You are a helpful assistant"},
  {OVI_LLM_CHAT_ROLE_USER, "Hello"},
  {OVI_LLM_CHAT_ROLE_ASSISTANT, " Hi there! "},
  {OVI_LLM_CHAT_ROLE_USER, "Who are you?"},
};
static const OviLlmChatMessage conv_nosys[] = {
  {OVI_LLM_CHAT_ROLE_USER, "Hello"},
  {OVI_LLM_CHAT_ROLE_ASSISTANT, "Hi there"},
  {OVI_LLM_CHAT_ROLE_USER, "Who are you?"},
};
static const OviLlmChatMessage conv_nogen[] = {
  {OVI_LLM_CHAT_ROLE_SYSTEM, "You are a helpful assistant"},
  {OVI_LLM_CHAT_ROLE_USER, "Hello"},
};

static char *
data_path (const char *name)
{
  /* The environment (meson test) or the source tree the test was built
   * from (scripts/run-tests.sh runs the binary directly). */
  const char *dir = g_getenv ("OVI_CHAT_TEMPLATE_DATA");
  if (dir == NULL)
    dir = OVI_CHAT_TEMPLATE_DATA_DIR;
  return g_build_filename (dir, name, NULL);
}

static char *
read_data (const char *name)
{
  char *path = data_path (name), *text = NULL;
  GError *error = NULL;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  g_free (path);
  return text;
}

static OviLlmChatTemplate *
load (const Case *c)
{
  char *name = g_strconcat (c->file, ".jinja", NULL);
  char *jinja = read_data (name);
  GError *error = NULL;
  OviLlmChatTemplate *t;

  g_assert_cmpint (ovi_llm_chat_detect (jinja), ==, c->family);
  t = ovi_llm_chat_template_new (jinja, c->bos, c->eos, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ovi_llm_chat_template_get_family (t), ==, c->family);
  g_assert_cmpstr (ovi_llm_chat_template_get_variant (t), ==, c->variant);
  g_free (jinja);
  g_free (name);
  return t;
}

static void
check_render (const OviLlmChatTemplate *t, const char *file, const char *conv,
    const OviLlmChatMessage *m, gsize n, gboolean gen)
{
  char *name = g_strdup_printf ("expected/%s.%s.txt", file, conv);
  char *want = read_data (name);
  GError *error = NULL;
  char *got = ovi_llm_chat_template_render (t, m, n, gen, &error);
  g_assert_no_error (error);
  if (strcmp (got, want) != 0) {
    char *a = g_strescape (got, NULL), *b = g_strescape (want, NULL);
    g_test_message ("%s.%s:\n got  \"%s\"\n want \"%s\"", file, conv, a, b);
    g_free (a);
    g_free (b);
  }
  g_assert_cmpstr (got, ==, want);
  g_free (got);
  g_free (want);
  g_free (name);
}

/* Every family's rendering against Jinja2's, for the conversations of
 * render.py. */
static void
test_families (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviLlmChatTemplate *t;
    if (cases[i].family == OVI_LLM_CHAT_FAMILY_PLAIN)
      continue;
    t = load (&cases[i]);
    check_render (t, cases[i].file, "full", conv_full,
        G_N_ELEMENTS (conv_full), TRUE);
    check_render (t, cases[i].file, "nosys", conv_nosys,
        G_N_ELEMENTS (conv_nosys), TRUE);
    check_render (t, cases[i].file, "nogen", conv_nogen,
        G_N_ELEMENTS (conv_nogen), FALSE);
    ovi_llm_chat_template_free (t);
  }
}

/* Two renderings spelled out here, so that the test does not rest on the
 * data files alone. */
static void
test_literal (void)
{
  GError *error = NULL;
  OviLlmChatTemplate *t = load (&cases[4]);       /* Llama 3 */
  char *s = ovi_llm_chat_template_render (t, conv_full,
      G_N_ELEMENTS (conv_full), TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==,
      "<|start_header_id|>system<|end_header_id|>\n\n"
      "You are a helpful assistant<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nHi there!<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nWho are you?<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n");
  g_free (s);
  ovi_llm_chat_template_free (t);

  t = load (&cases[3]);                           /* Llama 2 */
  s = ovi_llm_chat_template_render (t, conv_full, G_N_ELEMENTS (conv_full),
      TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==,
      "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello "
      "[/INST] Hi there! </s><s>[INST] Who are you? [/INST]");
  g_free (s);
  ovi_llm_chat_template_free (t);
}

static void
test_default_system (void)
{
  OviLlmChatTemplate *t = load (&cases[1]);
  g_assert_cmpstr (ovi_llm_chat_template_get_default_system (t), ==,
      "You are a helpful assistant.");
  ovi_llm_chat_template_free (t);
  t = load (&cases[2]);
  g_assert_cmpstr (ovi_llm_chat_template_get_default_system (t), ==,
      "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
  ovi_llm_chat_template_free (t);
  t = load (&cases[0]);
  g_assert_null (ovi_llm_chat_template_get_default_system (t));
  ovi_llm_chat_template_free (t);
}

static void
check_eot (const OviLlmChatTemplate *t, const char *const *want)
{
  const char *const *got = ovi_llm_chat_template_get_end_of_turn (t);
  g_assert_cmpstrv (got, want);
}

static void
test_end_of_turn (void)
{
  struct { guint c; const char *eot[3]; } want[] = {
    {0, {"<|im_end|>", NULL}},
    {3, {"</s>", NULL}},
    {4, {"<|eot_id|>", NULL}},
    {7, {"</s>", NULL}},
    {8, {"</s>", NULL}},
    {9, {"<|end|>", "<|endoftext|>", NULL}},
  };
  OviLlmChatTemplate *t;
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
    t = load (&cases[want[i].c]);
    check_eot (t, want[i].eot);
    ovi_llm_chat_template_free (t);
  }
  /* a Llama 3 file whose EOS is <|end_of_text|>: both */
  t = ovi_llm_chat_template_new ("{{ '<|start_header_id|>' }}"
      "<|end_header_id|>", NULL, "<|end_of_text|>", NULL, &error);
  g_assert_no_error (error);
  check_eot (t, (const char *[]) {"<|eot_id|>", "<|end_of_text|>", NULL});
  ovi_llm_chat_template_free (t);
}

static void
test_plain (void)
{
  GError *error = NULL;
  OviLlmChatTemplate *t = load (&cases[11]);      /* Gemma: unknown */
  char *s = ovi_llm_chat_template_render (t, conv_full,
      G_N_ELEMENTS (conv_full), TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==, "You are a helpful assistant\n\nUser: Hello\n"
      "Assistant:  Hi there! \nUser: Who are you?\nAssistant:");
  g_free (s);
  check_eot (t, (const char *[]) {"\nUser:", "<eos>", NULL});
  ovi_llm_chat_template_free (t);

  /* no template at all, and a custom format with escaped braces */
  {
    OviLlmChatPlainFormat f = { .user = "### {{Q}} {content}\n",
      .assistant = "### A: {content}\n\n", .generation = "### A:" };
    t = ovi_llm_chat_template_new (NULL, NULL, NULL, &f, &error);
    g_assert_no_error (error);
    g_assert_cmpint (ovi_llm_chat_template_get_family (t), ==,
        OVI_LLM_CHAT_FAMILY_PLAIN);
    s = ovi_llm_chat_template_render (t, conv_full, G_N_ELEMENTS (conv_full),
        TRUE, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (s, ==, "You are a helpful assistant\n\n### {Q} Hello\n"
        "### A:  Hi there! \n\n### {Q} Who are you?\n### A:");
    g_free (s);
    check_eot (t, (const char *[]) {"\n\n### {Q}", "</s>", NULL});
    ovi_llm_chat_template_free (t);
  }

  /* a format without {content} (an escaped one does not count) */
  {
    OviLlmChatPlainFormat f = { .user = "Q: {{content}}\n" };
    g_assert_null (ovi_llm_chat_template_new (NULL, NULL, NULL, &f,
            &error));
    g_assert_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_FORMAT);
    g_clear_error (&error);
  }
}

static void
test_errors (void)
{
  const OviLlmChatMessage assistant_first[] = {
    {OVI_LLM_CHAT_ROLE_ASSISTANT, "Hi"}, {OVI_LLM_CHAT_ROLE_USER, "Hello"},
  };
  const OviLlmChatMessage two_users[] = {
    {OVI_LLM_CHAT_ROLE_USER, "a"}, {OVI_LLM_CHAT_ROLE_USER, "b"},
  };
  const OviLlmChatMessage late_system[] = {
    {OVI_LLM_CHAT_ROLE_USER, "a"}, {OVI_LLM_CHAT_ROLE_ASSISTANT, "b"},
    {OVI_LLM_CHAT_ROLE_SYSTEM, "c"}, {OVI_LLM_CHAT_ROLE_USER, "d"},
  };
  const OviLlmChatMessage bad_utf8[] = {
    {OVI_LLM_CHAT_ROLE_USER, "caf\xc3"},
  };
  guint strict[] = { 3, 5, 6, 7 };
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (strict); i++) {
    OviLlmChatTemplate *t = load (&cases[strict[i]]);
    g_assert_null (ovi_llm_chat_template_render (t, assistant_first, 2, TRUE,
            &error));
    g_assert_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_ROLES);
    g_clear_error (&error);
    g_assert_null (ovi_llm_chat_template_render (t, two_users, 2, TRUE,
            &error));
    g_assert_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_ROLES);
    g_clear_error (&error);
    g_assert_null (ovi_llm_chat_template_render (t, late_system, 4, TRUE,
            &error));
    g_assert_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_ROLES);
    g_clear_error (&error);
    ovi_llm_chat_template_free (t);
  }
  /* ChatML takes any order, but not broken UTF-8 */
  {
    OviLlmChatTemplate *t = load (&cases[0]);
    char *s = ovi_llm_chat_template_render (t, two_users, 2, FALSE, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (s, ==, "<|im_start|>user\na<|im_end|>\n"
        "<|im_start|>user\nb<|im_end|>\n");
    g_free (s);
    g_assert_null (ovi_llm_chat_template_render (t, bad_utf8, 1, TRUE,
            &error));
    g_assert_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_ENCODING);
    g_clear_error (&error);
    ovi_llm_chat_template_free (t);
  }
}

/* Trimming is Python's str.strip(): Unicode white space goes too. */
static void
test_trim (void)
{
  const OviLlmChatMessage m[] = {
    {OVI_LLM_CHAT_ROLE_USER, "\xe3\x80\x80\t hi \xc2\xa0\n"},
  };
  GError *error = NULL;
  OviLlmChatTemplate *t = load (&cases[4]);
  char *s = ovi_llm_chat_template_render (t, m, 1, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==,
      "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>");
  g_free (s);
  ovi_llm_chat_template_free (t);
}

static void
test_names (void)
{
  for (int f = OVI_LLM_CHAT_FAMILY_PLAIN; f <= OVI_LLM_CHAT_FAMILY_PHI3; f++) {
    OviLlmChatFamily back;
    GError *error = NULL;
    OviLlmChatTemplate *t;
    g_assert_true (ovi_llm_chat_family_from_name (
            ovi_llm_chat_family_name (f), &back));
    g_assert_cmpint (back, ==, f);
    t = ovi_llm_chat_template_new_for_family (f, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (ovi_llm_chat_template_get_family (t), ==, f);
    ovi_llm_chat_template_free (t);
  }
  g_assert_false (ovi_llm_chat_family_from_name ("jinja", NULL));
  g_assert_cmpint (ovi_llm_chat_detect (NULL), ==, OVI_LLM_CHAT_FAMILY_PLAIN);
  g_assert_cmpint (ovi_llm_chat_detect (""), ==, OVI_LLM_CHAT_FAMILY_PLAIN);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm-chat-template/families", test_families);
  g_test_add_func ("/llm-chat-template/literal", test_literal);
  g_test_add_func ("/llm-chat-template/default-system", test_default_system);
  g_test_add_func ("/llm-chat-template/end-of-turn", test_end_of_turn);
  g_test_add_func ("/llm-chat-template/plain", test_plain);
  g_test_add_func ("/llm-chat-template/errors", test_errors);
  g_test_add_func ("/llm-chat-template/trim", test_trim);
  g_test_add_func ("/llm-chat-template/names", test_names);
  return g_test_run ();
}
