#!/usr/bin/python3
"""Fits the rational approximation of the sigmoid that the CPU device's
swish (devices/cpu/cpu-math.c, v_swish) evaluates:

    sigmoid(x) - 1/2 ~= x P(x^2) / Q(x^2)   for |x| <= 16,  Q(0) = 1,

P of degree 3 and Q of degree 4 in x^2, minimizing the largest absolute
error (linearized least squares, reweighted towards the worst points,
Lawson's iteration). Prints the coefficients and the error in double;
the C code's float error is tested in tests/unit/test-cpu-math.c.

    /usr/bin/python3 tools/math/fit-sigmoid.py
"""
import numpy as np

CLAMP = 16.0
P_TERMS, Q_DEGREE = 4, 4


def fit(iterations=40):
    n = 8000
    x = np.cos(np.pi * (np.arange(n) + 0.5) / n) * CLAMP
    x = x[x > 0]
    f = 1 / (1 + np.exp(-x)) - 0.5
    t = x * x
    weights = np.ones_like(x)
    q_prev = np.ones_like(x)
    for _ in range(iterations):
        a = np.hstack([np.stack([x * t ** i for i in range(P_TERMS)], 1),
                       np.stack([-f * t ** j for j in range(1, Q_DEGREE + 1)], 1)])
        w = weights / q_prev
        sol, *_ = np.linalg.lstsq(a * w[:, None], f * w, rcond=None)
        p = sol[:P_TERMS]
        q = np.concatenate([[1.0], sol[P_TERMS:]])
        q_prev = sum(q[j] * t ** j for j in range(Q_DEGREE + 1))
        err = x * sum(p[i] * t ** i for i in range(P_TERMS)) / q_prev - f
        weights = weights * np.sqrt(np.abs(err)) + 1e-300
        weights /= weights.max()
    return p, q, np.abs(err).max()


def main():
    p, q, err = fit()
    print("P (x^0 .. x^6):", ", ".join("%.9ef" % v for v in p))
    print("Q (x^0 .. x^8):", ", ".join("%.9ef" % v for v in q))
    print("max |error| on [0, %g]: %.3g; 1 - sigmoid(%g) = %.3g"
          % (CLAMP, err, CLAMP, 1 / (1 + np.exp(CLAMP))))


if __name__ == "__main__":
    main()
