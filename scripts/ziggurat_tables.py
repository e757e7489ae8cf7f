#!/usr/bin/env python3
"""Generates include/probust/detail/ziggurat_tables.hpp, the tables of the 256-layer
ziggurat behind probust::standard_normal.

    python3 scripts/ziggurat_tables.py > include/probust/detail/ziggurat_tables.hpp

Only the standard library is used (decimal at 80 significant digits), so the output is
the same byte for byte on every machine. The doubles are the correctly rounded values of
the exact table entries, written as C++17 hexadecimal literals (float.hex), so every
compiler reads back the same bits.

The ziggurat (G. Marsaglia, W. W. Tsang, "The ziggurat method for generating random
variables", J. Stat. Softw. 5(8), 2000) covers the non-normalized density
f(x) = exp(-x^2/2), x >= 0, with N = 256 layers of equal area v:

  * layer 0 is the rectangle [0, r] x [0, f(r)] plus the tail x > r, so
        v = r f(r) + int_r^inf f(x) dx;
  * x[1] = r and, for i = 1, ..., N - 1, the rectangle of layer i spans
    [0, x[i]] x [f(x[i]), f(x[i+1])] with area v:
        x[i+1] = f^-1(f(x[i]) + v / x[i]) = sqrt(-2 ln(f(x[i]) + v / x[i]));
  * r is the root of the condition that the recursion ends exactly at the mode,
        f(x[N-1]) + v / x[N-1] = 1, i.e. x[N] = 0 and f(x[N]) = 1;
  * x[0] = v / f(r) is the width of a rectangle of height f(r) and area v, so that
    U x[0] < x[1] = r accepts the rectangular part of layer 0 with probability r f(r) / v.

The table f holds f(x[i]) for i = 0, ..., N (f[0] is not used by the sampler).

The script checks itself: it solves for r at two working precisions (80 and 110 digits)
and requires identical doubles, and it requires the end condition to hold to within
1e-60 (so x[N] = 0 is consistent with the recursion, not imposed on it).
"""

import sys
from decimal import Decimal, localcontext

N = 256  # layers


def pi():
    """pi to the current precision (the recipe of the decimal module documentation)."""
    with localcontext() as ctx:
        ctx.prec += 2
        three = Decimal(3)
        lasts, t, s, n, na, d, da = 0, three, 3, 1, 0, 0, 24
        while s != lasts:
            lasts = s
            n, na = n + na, na + 8
            d, da = d + da, da + 32
            t = (t * n) / d
            s += t
    return +s


def f(x):
    return (-x * x / 2).exp()


def f_inverse(y):
    return (-2 * y.ln()).sqrt()


def tail_area(r):
    """int_r^inf exp(-x^2/2) dx = sqrt(pi/2) - exp(-r^2/2) sum_n r^(2n+1) / (2n+1)!!.

    The series has positive terms only; the cancellation against sqrt(pi/2) costs about
    four digits at r = 3.65, which the working precision absorbs."""
    with localcontext() as ctx:
        ctx.prec += 20
        term = r
        total = Decimal(0)
        k = 1
        eps = Decimal(10) ** -(ctx.prec + 5)
        while term > eps * total:
            total += term
            k += 2
            term = term * r * r / k
        result = (pi() / 2).sqrt() - f(r) * total
    return +result


def layers(r):
    """(v, x[0..N-1], residual) for base width r, where residual = f(x[N-1]) + v/x[N-1] - 1
    vanishes at the solution (x[N] = 0); None if the recursion reaches the mode before
    layer N - 1 (r too small)."""
    v = r * f(r) + tail_area(r)
    x = [v / f(r), r]
    for _ in range(1, N - 1):
        y = f(x[-1]) + v / x[-1]
        if y >= 1:
            return None
        x.append(f_inverse(y))
    residual = f(x[-1]) + v / x[-1] - 1  # > 0: r too small; < 0: r too large
    return v, x, residual


def solve(digits):
    """Bisection for r on [3.6, 3.7] at `digits` significant digits."""
    with localcontext() as ctx:
        ctx.prec = digits
        lo, hi = Decimal("3.6"), Decimal("3.7")
        tol = Decimal(10) ** -(digits - 5)
        while hi - lo > tol:
            mid = (lo + hi) / 2
            result = layers(mid)
            if result is None or result[2] > 0:
                lo = mid
            else:
                hi = mid
        r = (lo + hi) / 2
        v, x, residual = layers(r)
        x.append(Decimal(0))
        fx = [f(xi) for xi in x]
        fx[N] = Decimal(1)
        return r, v, x, fx, residual


def main():
    r, v, x, fx, residual = solve(80)
    r2, v2, x2, fx2, residual2 = solve(110)

    doubles = [float(xi) for xi in x]  # float(Decimal) is correctly rounded
    doubles_f = [float(yi) for yi in fx]
    assert doubles == [float(xi) for xi in x2], "x differs between 80 and 110 digits"
    assert doubles_f == [float(yi) for yi in fx2], "f differs between 80 and 110 digits"
    assert abs(residual) < Decimal("1e-60") and abs(residual2) < Decimal("1e-60"), residual
    assert abs(r - r2) < Decimal("1e-70") and abs(v - v2) < Decimal("1e-70")
    assert all(a > b for a, b in zip(doubles, doubles[1:])), "x must decrease"
    assert all(a < b for a, b in zip(doubles_f, doubles_f[1:])), "f must increase"
    assert doubles[N] == 0.0 and doubles_f[N] == 1.0

    def sig(d, n=25):
        return format(d, ".%de" % (n - 1))

    out = []
    emit = out.append
    emit("#pragma once")
    emit("/// \\file ziggurat_tables.hpp")
    emit("/// Tables of the 256-layer ziggurat for the standard normal (probust::standard_normal).")
    emit("/// Generated by scripts/ziggurat_tables.py, do not edit:")
    emit("///   python3 scripts/ziggurat_tables.py > include/probust/detail/ziggurat_tables.hpp")
    emit("///")
    emit("/// Density f(x) = exp(-x^2/2) (not normalized), N = 256 layers of equal area v:")
    emit("///   v = r f(r) + int_r^inf f(x) dx,   x[1] = r,")
    emit("///   x[i+1] = sqrt(-2 ln(f(x[i]) + v / x[i])) for i = 1, ..., 255,")
    emit("/// with r solved (80 significant digits, decimal arithmetic) so that the recursion")
    emit("/// ends exactly at the mode, x[256] = 0; x[0] = v / f(r). f[i] = f(x[i]) (f[0] is not")
    emit("/// used). The entries are the correctly rounded doubles, as hexadecimal literals so")
    emit("/// that every compiler reads the same bits.")
    emit("///   r = %s" % sig(r, 30))
    emit("///   v = %s" % sig(v, 30))
    emit("/// G. Marsaglia, W. W. Tsang, J. Stat. Softw. 5(8), 2000.")
    emit("")
    emit("namespace probust {")
    emit("namespace detail {")
    emit("")
    emit("/// Start of the tail, r = x[1].")
    emit("inline constexpr double ziggurat_r = %s;  // %s" % (float(r).hex(), sig(r)))
    emit("/// The common area of the 256 layers.")
    emit("inline constexpr double ziggurat_v = %s;  // %s" % (float(v).hex(), sig(v)))
    emit("")
    emit("/// Layer edges x[0..256], decreasing from v/f(r) to 0.")
    emit("inline constexpr double ziggurat_x[%d] = {" % (N + 1))
    for i, (d, e) in enumerate(zip(doubles, x)):
        emit("    %s,  // [%3d] %s" % (d.hex(), i, sig(e) if i < N else "0"))
    emit("};")
    emit("")
    emit("/// f[i] = exp(-x[i]^2/2), increasing to f[256] = 1.")
    emit("inline constexpr double ziggurat_f[%d] = {" % (N + 1))
    for i, (d, e) in enumerate(zip(doubles_f, fx)):
        emit("    %s,  // [%3d] %s" % (d.hex(), i, sig(e) if i < N else "1"))
    emit("};")
    emit("")
    emit("}  // namespace detail")
    emit("}  // namespace probust")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
