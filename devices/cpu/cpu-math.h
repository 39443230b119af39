/* Vectorized float32 transcendental functions over arrays: exp with a
 * polynomial after range reduction (about 2 ulp), and the activations
 * built on it. CNN activations (sigmoid, swish, softmax) spend most of
 * their time here, so these run eight lanes at a time on AVX2 machines
 * (chosen at run time) and four elsewhere.
 *
 * They are for inputs where exp does not overflow: ovi_vexp_f32 is exact
 * to about 2 ulp for x <= 88 and saturates above (softmax calls it with
 * x - max <= 0); the activations only ever take exp of -|x|. */
#ifndef OVI_CPU_MATH_H
#define OVI_CPU_MATH_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* y[i] = exp (x[i]); x and y may be the same array. */
void ovi_vexp_f32 (const float *x, float *y, int64_t n);
/* y[i] = 1 / (1 + exp (-x[i])) */
void ovi_vsigmoid_f32 (const float *x, float *y, int64_t n);
/* y[i] = x[i] * sigmoid (x[i]), SiLU, with a rational sigmoid and no
 * exp: the sigmoid factor's absolute error is under 3e-7 with float
 * rounding, so the result's is under 3e-7 |x| (relative to it, large
 * near x = -16, where the sigmoid is 1e-7); for x >= -1 the relative
 * error measured is under 5e-7 (tests/unit/test-cpu-math.c) */
void ovi_vswish_f32 (const float *x, float *y, int64_t n);
/* y[i] = tanh (x[i]) */
void ovi_vtanh_f32 (const float *x, float *y, int64_t n);

/* y[i] = clamp (alpha x[i] + beta, 0, 1) */
void ovi_vhardsigmoid_f32 (const float *x, float *y, int64_t n, float alpha,
    float beta);
/* y[i] = x[i] * hardsigmoid (x[i]); ONNX's HardSwish is alpha 1/6, beta
 * 1/2 */
void ovi_vhardswish_f32 (const float *x, float *y, int64_t n, float alpha,
    float beta);
/* y[i] = min (max (x[i], lo), hi); NaN stays NaN */
void ovi_vclamp_f32 (const float *x, float *y, int64_t n, float lo,
    float hi);
/* y[i] = x[i] < 0 ? alpha x[i] : x[i]; NaN stays NaN */
void ovi_vleakyrelu_f32 (const float *x, float *y, int64_t n, float alpha);

G_END_DECLS

#endif
