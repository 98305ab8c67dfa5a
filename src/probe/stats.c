/* stats.c -- the statistics of the model probe: normal and Student t
 * distributions, Welch's t-test, a one-observation prediction t-test,
 * Mann-Whitney U with ties, and Fisher's exact test.
 *
 * Everything returns one-sided upper-tail p-values ("the first sample is
 * larger than the second") unless said otherwise, because every probe test
 * asks one directed question (does the work look MORE memorized than text
 * the model cannot have seen?).  The Student t CDF goes through the
 * regularized incomplete beta function, evaluated by its continued
 * fraction with the modified Lentz method (the expansion converges fast
 * for x < (a + 1) / (a + b + 2); otherwise the symmetry
 * I_x(a, b) = 1 - I_{1-x}(b, a) is used).  Accuracy is about 1e-12
 * relative, far below what a p-value needs.  No state, thread-safe. */
#include "probe/probe.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double pk_probe_normal_sf(double z)
{
    return 0.5 * erfc(z / sqrt(2.0));
}

static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 10000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15) break;
    }
    return h;
}

double pk_probe_ibeta(double a, double b, double x)
{
    if (!(x > 0)) return 0;
    if (!(x < 1)) return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0)) return exp(lbt) * beta_cf(a, b, x) / a;
    return 1.0 - exp(lbt) * beta_cf(b, a, 1.0 - x) / b;
}

double pk_probe_t_sf(double t, double df)
{
    if (isnan(t) || !(df > 0)) return NAN;
    if (isinf(t)) return t > 0 ? 0.0 : 1.0;
    double x = df / (df + t * t);
    double tail = 0.5 * pk_probe_ibeta(df / 2.0, 0.5, x); /* P(T > |t|) */
    return t > 0 ? tail : 1.0 - tail;
}

void pk_probe_mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m += x[i];
    m = n ? m / (double)n : NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(s / (double)(n - 1)) : NAN;
}

int pk_probe_welch(const double *x, size_t n, const double *y, size_t m, pk_probe_test *out)
{
    memset(out, 0, sizeof *out);
    out->p = NAN;
    if (n < 2 || m < 2) return PK_EINVAL;
    double mx, sx, my, sy;
    pk_probe_mean_sd(x, n, &mx, &sx);
    pk_probe_mean_sd(y, m, &my, &sy);
    double vx = sx * sx / (double)n, vy = sy * sy / (double)m;
    double se = sqrt(vx + vy);
    if (!(se > 0)) {
        /* both samples constant: the p-value is 0 or 1 by the means */
        out->stat = mx > my ? INFINITY : (mx < my ? -INFINITY : 0);
        out->df = (double)(n + m - 2);
        out->p = mx > my ? 0.0 : (mx < my ? 1.0 : 0.5);
        return 0;
    }
    out->stat = (mx - my) / se;
    out->df = (vx + vy) * (vx + vy) /
              (vx * vx / (double)(n - 1) + vy * vy / (double)(m - 1));
    out->p = pk_probe_t_sf(out->stat, out->df);
    return 0;
}

int pk_probe_predict(double x0, const double *y, size_t m, pk_probe_test *out)
{
    memset(out, 0, sizeof *out);
    out->p = NAN;
    if (m < 2) return PK_EINVAL;
    double my, sy;
    pk_probe_mean_sd(y, m, &my, &sy);
    out->df = (double)(m - 1);
    if (!(sy > 0)) {
        out->stat = x0 > my ? INFINITY : (x0 < my ? -INFINITY : 0);
        out->p = x0 > my ? 0.0 : (x0 < my ? 1.0 : 0.5);
        return 0;
    }
    out->stat = (x0 - my) / (sy * sqrt(1.0 + 1.0 / (double)m));
    out->p = pk_probe_t_sf(out->stat, out->df);
    return 0;
}

typedef struct {
    double v;
    int grp;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
    return (x > y) - (x < y);
}

int pk_probe_mann_whitney(const double *x, size_t n, const double *y, size_t m, pk_probe_test *out)
{
    memset(out, 0, sizeof *out);
    out->p = NAN;
    if (n < 1 || m < 1) return PK_EINVAL;
    size_t N = n + m;
    ranked *r = malloc(N * sizeof *r);
    if (!r) return PK_ENOMEM;
    for (size_t i = 0; i < n; i++) r[i] = (ranked){x[i], 0};
    for (size_t j = 0; j < m; j++) r[n + j] = (ranked){y[j], 1};
    qsort(r, N, sizeof *r, cmp_ranked);
    /* mid-ranks; tie correction sum (t^3 - t) */
    double rx = 0, ties = 0;
    for (size_t i = 0; i < N;) {
        size_t j = i;
        while (j < N && r[j].v == r[i].v) j++;
        double mid = ((double)i + 1.0 + (double)j) / 2.0, t = (double)(j - i);
        ties += t * t * t - t;
        for (size_t k = i; k < j; k++)
            if (r[k].grp == 0) rx += mid;
        i = j;
    }
    free(r);
    double dn = (double)n, dm = (double)m, dN = (double)N;
    double u = rx - dn * (dn + 1.0) / 2.0;
    double mu = dn * dm / 2.0;
    double var = dn * dm / 12.0 * ((dN + 1.0) - ties / (dN * (dN - 1.0)));
    out->stat = u;
    out->df = 0;
    if (!(var > 0)) {
        out->p = 0.5;
        return 0;
    }
    /* continuity correction toward the mean */
    out->p = pk_probe_normal_sf((u - mu - 0.5) / sqrt(var));
    if (out->p > 1) out->p = 1;
    return 0;
}

/* log C(n, k) */
static double lchoose(double n, double k)
{
    return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

double pk_probe_fisher(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
    /* P(X >= a) for X ~ Hypergeometric: K = a + b successes among n + m,
     * n drawn (the first group). */
    if (a > n || b > m) return NAN;
    double K = (double)(a + b), N = (double)(n + m), dn = (double)n;
    double lden = lchoose(N, dn), p = 0;
    uint64_t hi = PK_MIN(n, a + b);
    for (uint64_t k = a; k <= hi; k++) {
        double dk = (double)k;
        if (K - dk > N - dn) continue;
        p += exp(lchoose(K, dk) + lchoose(N - K, dn - dk) - lden);
    }
    return p > 1 ? 1 : p;
}
