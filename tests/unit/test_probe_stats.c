/* test_probe_stats.c -- the probe's statistics against values computed
 * independently: Python's mpmath (betainc, 30 digits) for the incomplete
 * beta and Student t, Python's statistics module for Welch, the
 * prediction test and Mann-Whitney, math.comb sums for Fisher, closed
 * forms for t with 1 and 2 degrees of freedom. */
#include "probe/probe.h"
#include "test.h"

#include <math.h>

#define NEAR(a, b, tol) CHECK(fabs((a) - (b)) <= (tol) * (fabs(b) > 1e-300 ? fabs(b) : 1.0))

static void normal_tail_matches_erfc_values(void)
{
    NEAR(pk_probe_normal_sf(1.96), 0.024997895148220435, 1e-12);
    NEAR(pk_probe_normal_sf(0), 0.5, 1e-15);
    NEAR(pk_probe_normal_sf(-1.96), 1 - 0.024997895148220435, 1e-12);
}

static void incomplete_beta_matches_mpmath(void)
{
    NEAR(pk_probe_ibeta(2.5, 3.5, 0.3), 0.296752989295666378, 1e-10);
    NEAR(pk_probe_ibeta(30, 0.5, 0.97), 0.178217544970241346, 1e-10);
    CHECK(pk_probe_ibeta(2, 2, 0) == 0);
    CHECK(pk_probe_ibeta(2, 2, 1) == 1);
}

static void t_tail_matches_closed_forms_and_tables(void)
{
    /* df 1 is Cauchy: P(T > 1) = 1/4; df 2: P(T > t) = 1/2 - t / (2 sqrt(t^2 + 2)) */
    NEAR(pk_probe_t_sf(1.0, 1), 0.25, 1e-12);
    NEAR(pk_probe_t_sf(1.3, 2), 0.5 - 1.3 / (2 * sqrt(1.3 * 1.3 + 2)), 1e-12);
    /* the 97.5% point of t with 10 degrees of freedom, from tables */
    NEAR(pk_probe_t_sf(2.228138852, 10), 0.025, 1e-8);
    NEAR(pk_probe_t_sf(1.5, 7.3), 0.0877815464015430219, 1e-10);
    NEAR(pk_probe_t_sf(-0.7, 3), 0.732836500847618139, 1e-10);
    CHECK(pk_probe_t_sf(INFINITY, 4) == 0);
}

static const double X[] = {5.1, 4.9, 6.2, 5.8, 6.0, 5.5, 5.3};
static const double Y[] = {4.1, 4.8, 4.5, 5.0, 4.2, 4.4};

static void welch_matches_python(void)
{
    pk_probe_test t;
    CHECK_EQ_I(pk_probe_welch(X, 7, Y, 6, &t), 0);
    NEAR(t.stat, 4.538921030785988, 1e-12);
    NEAR(t.df, 10.751632508766624, 1e-12);
    NEAR(t.p, 0.00044781613908474018, 1e-9);
    /* the other direction is the complement */
    pk_probe_test u;
    pk_probe_welch(Y, 6, X, 7, &u);
    NEAR(u.p, 1 - 0.00044781613908474018, 1e-12);
    CHECK(pk_probe_welch(X, 1, Y, 6, &t) != 0); /* needs two of each */
}

static void prediction_test_matches_python(void)
{
    pk_probe_test t;
    CHECK_EQ_I(pk_probe_predict(6.5, Y, 6, &t), 0);
    NEAR(t.stat, 5.3452248382484875, 1e-12);
    CHECK(t.df == 5);
    NEAR(t.p, 0.0015380652702842975, 1e-9);
}

static void mann_whitney_with_ties_matches_pair_count(void)
{
    /* U = pairs (a > b) + half the ties = 26.5, counted by hand and by
     * Python; p from statistics.NormalDist with the tie-corrected
     * variance and the continuity correction */
    static const double a[] = {3, 4, 4, 5, 7, 8}, b[] = {1, 2, 4, 4, 5, 6, 6};
    pk_probe_test t;
    CHECK_EQ_I(pk_probe_mann_whitney(a, 6, b, 7, &t), 0);
    NEAR(t.stat, 26.5, 1e-12);
    NEAR(t.p, 0.2338093582006719, 1e-9);
}

static void fisher_matches_hypergeometric_sums(void)
{
    /* 4 of 10 against 0 of 20: C(10,4) / C(30,4) */
    NEAR(pk_probe_fisher(4, 10, 0, 20), 0.007662835249042145, 1e-12);
    /* 3 of 10 against 2 of 20 */
    NEAR(pk_probe_fisher(3, 10, 2, 20), 0.19123405330301882, 1e-12);
    NEAR(pk_probe_fisher(0, 10, 0, 20), 1.0, 1e-12);
}

static void null_p_values_are_uniform(void)
{
    /* Under the null the prediction test's p-value is uniform: draw normal
     * samples (Box-Muller over a fixed splitmix64 stream) and count
     * p < 0.05 over 4000 draws.  The exact count for this seed is fixed;
     * the bounds are those of a binomial(4000, 0.05) at 4.5 sigma. */
    uint64_t s = 42;
    int hits = 0;
    for (int trial = 0; trial < 4000; trial++) {
        double v[21];
        for (int i = 0; i < 21; i++) {
            double u1 = ((double)(t_rand(&s) >> 11) + 0.5) / 9007199254740992.0;
            double u2 = ((double)(t_rand(&s) >> 11) + 0.5) / 9007199254740992.0;
            v[i] = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        }
        pk_probe_test t;
        pk_probe_predict(v[20], v, 20, &t);
        hits += t.p < 0.05;
    }
    CHECK(hits > 200 - 62 && hits < 200 + 62);
}

TEST_MAIN(TEST(normal_tail_matches_erfc_values), TEST(incomplete_beta_matches_mpmath),
          TEST(t_tail_matches_closed_forms_and_tables), TEST(welch_matches_python),
          TEST(prediction_test_matches_python), TEST(mann_whitney_with_ties_matches_pair_count),
          TEST(fisher_matches_hypergeometric_sums), TEST(null_p_values_are_uniform))
