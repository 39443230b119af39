#include "cpu-features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* F16C through cpuid: clang's __builtin_cpu_supports does not know the
 * name. Leaf 1, ECX bit 29. */
static gboolean
have_f16c (void)
{
  unsigned int eax, ebx, ecx, edx;
  return __get_cpuid (1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29));
}

gboolean
ovi_llm_cpu_has_avx2 (void)
{
  static gsize probed = 0;
  if (g_once_init_enter (&probed)) {
    gboolean on;
    __builtin_cpu_init ();
    on = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
        && have_f16c ();
    g_once_init_leave (&probed, on ? 2 : 1);
  }
  return probed == 2;
}
#else
gboolean
ovi_llm_cpu_has_avx2 (void)
{
  return FALSE;
}
#endif
