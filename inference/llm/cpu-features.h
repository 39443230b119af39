/* What the CPU offers the LLM runtime's SIMD bodies. */
#ifndef OVI_LLM_CPU_FEATURES_H
#define OVI_LLM_CPU_FEATURES_H

#include <glib.h>

G_BEGIN_DECLS

/* AVX2 with FMA and F16C (every AVX2 CPU since Haswell and Zen): the set
 * the `target ("avx2,fma,f16c")` bodies are compiled for. FALSE on other
 * architectures. Probed once. */
gboolean ovi_llm_cpu_has_avx2 (void);

G_END_DECLS

#endif
