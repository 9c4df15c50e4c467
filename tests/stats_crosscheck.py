#!/usr/bin/python3
"""Cross-check lib/stats.c against scipy, statsmodels and numpy.

Usage: /usr/bin/python3 stats_crosscheck.py path/to/tool_stats

Generates a few hundred cases from a fixed seed, runs tool_stats once with
every command on stdin, and compares each printed number with the reference
library (or, where no library routine exists, an independent Python version
of the formula). Default tolerance: rel 1e-9 with abs 1e-12 (both NaN counts
as equal). The largest relative difference seen per kind is printed so a
drift well inside the tolerance is still visible.

Where the two sides legitimately differ, the tolerance is what absorbs it:
- k = 0 Wilson lower bounds: statsmodels computes centre - half (~1e-18),
  lib/stats.c returns exactly 0 (and exactly 1 for k = n); abs 1e-12.
- Beta functions at shapes in the thousands: scipy 1.10 (Boost/cephes) is
  itself off by up to ~1e-11 relative there; spot checks with mpmath side
  with lib/stats.c. The largest differences printed below are of that kind.
- McNemar with b = c = 0: statsmodels returns NaN for chi2; lib/stats.h
  documents chi2 0 and p-values 1, checked as such.
- Hodges-Lehmann has no scipy/statsmodels routine; it is compared with an
  independent Python version of R's wilcox.test interval (exact qwilcox by
  enumeration) and of the documented normal approximation.
"""
import itertools
import math
import random
import subprocess
import sys

import numpy as np
from scipy import special, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (confint_proportions_2indep,
                                          proportion_confint)

RTOL = 1e-9
ATOL = 1e-12
SEED = 20240611
EXACT_MAX_PAIRS = 10000  # as in lib/stats.c


class Case:
    def __init__(self, kind, command, expected, rtol=RTOL, atol=ATOL):
        self.kind = kind
        self.command = command
        self.expected = [float(v) for v in expected]
        self.rtol = rtol
        self.atol = atol


def fmt(v):
    return repr(float(v))


def csv(values):
    return ",".join(fmt(v) for v in values) if len(values) else "-"


def confidence(rng):
    return rng.choice([0.8, 0.9, 0.95, 0.975, 0.99, 0.999, rng.uniform(0.5, 0.9999)])


def statsmodels_alpha(conf, sided):
    """statsmodels only has two-sided intervals: a one-sided bound at
    confidence c is either end of the two-sided interval at 1 - 2(1 - c)."""
    return 1 - conf if sided == 2 else 2 * (1 - conf)


def count_pair(rng, big=5000):
    n = rng.choice([rng.randint(1, 30), rng.randint(1, big)])
    k = rng.choice([0, n, rng.randint(0, n), rng.randint(0, n)])
    return k, n


# ---- case generators ---------------------------------------------------


def ppf_cases(rng):
    ps = [0.975, 0.025, 0.5, 1e-300, 1 - 1e-16]
    ps += [rng.uniform(0.001, 0.999) for _ in range(25)]
    ps += [10 ** -rng.uniform(1, 300) for _ in range(15)]
    ps += [1 - 10 ** -rng.uniform(1, 15) for _ in range(15)]
    return [Case("ppf", f"ppf {fmt(p)}", [stats.norm.ppf(p)]) for p in ps]


def chi2_cases(rng):
    xs = [0.0, 1e-8, 3.841458820694124] + [rng.uniform(0, 60) for _ in range(15)]
    return [Case("chi2sf", f"chi2sf {fmt(x)}", [stats.chi2.sf(x, 1)]) for x in xs]


def wilson_cases(rng):
    cases = []
    for _ in range(80):
        k, n = count_pair(rng)
        conf, sided = confidence(rng), rng.choice([1, 2])
        lo, hi = proportion_confint(k, n, alpha=statsmodels_alpha(conf, sided),
                                    method="wilson")
        cases.append(Case("wilson", f"wilson {k} {n} {fmt(conf)} {sided}", [k / n, lo, hi]))
    return cases


def clopper_pearson_cases(rng):
    cases = []
    for _ in range(80):
        k, n = count_pair(rng, big=100000)
        conf, sided = confidence(rng), rng.choice([1, 2])
        lo, hi = proportion_confint(k, n, alpha=statsmodels_alpha(conf, sided),
                                    method="beta")
        cases.append(Case("cp", f"cp {k} {n} {fmt(conf)} {sided}", [k / n, lo, hi]))
    return cases


def newcombe_cases(rng):
    cases = []
    for _ in range(60):
        k1, n1 = count_pair(rng, big=2000)
        k2, n2 = count_pair(rng, big=2000)
        conf, sided = confidence(rng), rng.choice([1, 2])
        # statsmodels: compare='diff' is p1 - p2, the same orientation.
        lo, hi = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff",
                                            alpha=statsmodels_alpha(conf, sided))
        cases.append(Case("newcombe", f"newcombe {k1} {n1} {k2} {n2} {fmt(conf)} {sided}",
                          [k1 / n1 - k2 / n2, lo, hi]))
    return cases


def agresti_min_reference(b, c, n, conf, sided):
    """RULES.md's formula, written out independently of lib/stats.c."""
    tail = (1 - conf) / sided
    z = stats.norm.isf(tail)
    centre = (b - c) / (n + 2)
    half = z * math.sqrt(b + c + 1 - (b - c) ** 2 / (n + 2)) / (n + 2)
    return [(b - c) / n, max(-1.0, centre - half), min(1.0, centre + half)]


def agresti_min_cases(rng):
    cases = []
    for _ in range(40):
        n = rng.choice([rng.randint(1, 40), rng.randint(1, 3000)])
        b = rng.randint(0, n)
        c = rng.randint(0, n - b)
        conf, sided = confidence(rng), rng.choice([1, 2])
        cases.append(Case("agresti", f"agresti {b} {c} {n} {fmt(conf)} {sided}",
                          agresti_min_reference(b, c, n, conf, sided)))
    return cases


def mcnemar_cases(rng):
    cases = []
    pairs = [(15, 19), (0, 1), (5, 5), (0, 40)]
    pairs += [(rng.randint(0, 60), rng.randint(0, 60)) for _ in range(40)]
    pairs += [(rng.randint(0, 2000), rng.randint(0, 2000)) for _ in range(16)]
    for b, c in pairs:
        if b + c == 0:
            continue
        table = [[100, b], [c, 100]]
        plain = mcnemar(table, exact=False, correction=False)
        corrected = mcnemar(table, exact=False, correction=True)
        exact = mcnemar(table, exact=True)
        less = stats.binomtest(b, b + c, 0.5, alternative="less").pvalue
        cases.append(Case("mcnemar", f"mcnemar {b} {c}",
                          [plain.statistic, plain.pvalue, corrected.pvalue, exact.pvalue, less]))
    # b = c = 0: statsmodels divides by zero (chi2 NaN); lib/stats.h
    # documents chi2 0 and every p-value 1 instead. Exact p agrees (1).
    cases.append(Case("mcnemar", "mcnemar 0 0", [0, 1, 1, 1, 1]))
    return cases


def distinct_sample(rng, size):
    return [round(rng.gauss(0, 10), 6) + i * 1e-7 for i in range(size)]


def mannwhitney_cases(rng):
    cases = []
    data = [([19, 22, 16, 29, 24], [20, 11, 17, 12])]
    # No ties, sizes where scipy's exact recursion is cheap.
    for _ in range(35):
        data.append((distinct_sample(rng, rng.randint(1, 30)), distinct_sample(rng, rng.randint(1, 30))))
    # Shifted samples give small p-values, where relative accuracy matters.
    for _ in range(8):
        x = distinct_sample(rng, rng.randint(5, 25))
        data.append((x, [v + rng.uniform(5, 30) for v in distinct_sample(rng, rng.randint(5, 25))]))
    # Ties (small integers): asymptotic only, exact must be NaN.
    for _ in range(12):
        data.append(([rng.randint(0, 6) for _ in range(rng.randint(2, 40))],
                     [rng.randint(0, 8) for _ in range(rng.randint(2, 40))]))
    # Too many pairs for the exact distribution.
    for _ in range(4):
        data.append((distinct_sample(rng, rng.randint(101, 300)), distinct_sample(rng, 101)))
    for x, y in data:
        x, y = [float(v) for v in x], [float(v) for v in y]
        asym = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic",
                                  use_continuity=True)
        ties = len(set(x + y)) < len(x) + len(y)
        if ties or len(x) * len(y) > EXACT_MAX_PAIRS:
            p_exact = math.nan
        else:
            p_exact = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact").pvalue
        cases.append(Case("mw", f"mw {csv(x)} {csv(y)}", [asym.statistic, p_exact, asym.pvalue]))
    return cases


def qwilcox_exact(m, n, p):
    """R's qwilcox by enumerating every placement of the m x-ranks."""
    counts = {}
    for ranks in itertools.combinations(range(1, m + n + 1), m):
        u = sum(ranks) - m * (m + 1) // 2
        counts[u] = counts.get(u, 0) + 1
    total = math.comb(m + n, m)
    cum = 0
    for u in range(m * n + 1):
        cum += counts.get(u, 0)
        if cum / total >= p - 10 * np.finfo(float).eps:
            return u
    return m * n


def tie_term(values):
    _, t = np.unique(values, return_counts=True)
    return float(np.sum(t ** 3 - t))


def hodges_lehmann_reference(x, y, conf):
    """R's wilcox.test(conf.int=TRUE) interval from the sorted outer
    differences: exact qwilcox for small untied samples; otherwise the
    normal quantile with continuity and tie corrections (lib/stats.h)."""
    m, n = len(x), len(y)
    d = np.sort(np.subtract.outer(np.array(x), np.array(y)).ravel())
    half_alpha = (1 - conf) / 2
    ties = len(set(x + y)) < m + n
    if not ties and m * n <= EXACT_MAX_PAIRS:
        k = qwilcox_exact(m, n, half_alpha)
    else:
        big = m + n
        sd = math.sqrt(m * n / 12 * ((big + 1) - tie_term(x + y) / (big * (big - 1))))
        k = max(0, min(m * n // 2, math.ceil(m * n / 2 - 0.5 + stats.norm.ppf(half_alpha) * sd)))
    k = max(k, 1)
    return [np.median(d), d[k - 1], d[m * n - k]]


def hodges_lehmann_cases(rng):
    cases = [Case("hl", "hl 10,20,30,40 1,2,3,4 0.95", [22.5, 6, 39])]
    for _ in range(25):
        m, n = rng.randint(1, 8), rng.randint(1, 8)
        x, y = distinct_sample(rng, m), distinct_sample(rng, n)
        conf = rng.choice([0.8, 0.9, 0.95, 0.99])
        cases.append(Case("hl", f"hl {csv(x)} {csv(y)} {fmt(conf)}",
                          hodges_lehmann_reference(x, y, conf)))
    for _ in range(8):
        x = [float(rng.randint(0, 20)) for _ in range(rng.randint(5, 150))]
        y = [float(rng.randint(0, 25)) for _ in range(rng.randint(5, 150))]
        conf = rng.choice([0.9, 0.95])
        cases.append(Case("hl", f"hl {csv(x)} {csv(y)} {fmt(conf)}",
                          hodges_lehmann_reference(x, y, conf)))
    return cases


def pvalue_vector(rng):
    size = rng.randint(1, 30)
    p = [rng.choice([rng.uniform(0, 1), rng.uniform(0, 0.05), 10 ** -rng.uniform(1, 8)])
         for _ in range(size)]
    if size > 2:
        p[1] = p[0]  # ties must not matter
    return p


def multiplicity_cases(rng):
    cases = []
    for _ in range(40):
        p = pvalue_vector(rng)
        cases.append(Case("holm", f"holm {csv(p)}", multipletests(p, method="holm")[1]))
        cases.append(Case("bh", f"bh {csv(p)}", multipletests(p, method="fdr_bh")[1]))
    return cases


def quantile_cases(rng):
    cases = []
    for _ in range(60):
        x = [rng.choice([rng.gauss(100, 30), float(rng.randint(0, 5))])
             for _ in range(rng.randint(1, 50))]
        q = rng.choice([0.0, 1.0, 0.5, 0.95, 0.99, rng.uniform(0, 1)])
        cases.append(Case("quantile", f"quantile {fmt(q)} {csv(x)}", [np.quantile(x, q)]))
    return cases


def beta_cases(rng):
    cases = []
    for _ in range(40):
        a, b = rng.choice([rng.uniform(0.1, 5), rng.uniform(1, 2000)]), rng.choice(
            [rng.uniform(0.1, 5), rng.uniform(1, 2000)])
        x = rng.choice([rng.uniform(0, 1), a / (a + b) * rng.uniform(0.9, 1.1)])
        x = min(max(x, 1e-9), 1 - 1e-9)
        p = rng.choice([rng.uniform(0.01, 0.99), 0.025, 0.975, 1e-6])
        cases.append(Case("betainc", f"betainc {fmt(a)} {fmt(b)} {fmt(x)}",
                          [special.betainc(a, b, x)]))
        cases.append(Case("betaincinv", f"betaincinv {fmt(a)} {fmt(b)} {fmt(p)}",
                          [special.betaincinv(a, b, p)]))
    for _ in range(30):
        n = rng.randint(1, 1000)
        k, p = rng.randint(0, n), rng.uniform(0.001, 0.999)
        cases.append(Case("binomcdf", f"binomcdf {k} {n} {fmt(p)}", [stats.binom.cdf(k, n, p)]))
        cases.append(Case("binompmf", f"binompmf {k} {n} {fmt(p)}", [stats.binom.pmf(k, n, p)]))
    return cases


def clustered_se_reference(x, cluster):
    x = np.array(x)
    mean = x.mean()
    groups = sorted(set(cluster))
    sums = [np.sum(x[np.array(cluster) == g] - mean) for g in groups]
    c = len(groups)
    return math.sqrt(c / (c - 1) * sum(s * s for s in sums)) / len(x)


def moment_cases(rng):
    cases = []
    for _ in range(20):
        x = [rng.gauss(50, 20) for _ in range(rng.randint(2, 60))]
        cases.append(Case("moments", f"moments {csv(x)}",
                          [len(x), np.mean(x), np.std(x, ddof=1),
                           np.std(x, ddof=1) / math.sqrt(len(x))]))
        nclusters = rng.randint(2, 8)
        cluster = [rng.randrange(nclusters) for _ in x]
        cluster[0], cluster[1] = 0, 1  # at least two clusters hold data
        cases.append(Case("clse", f"clse {csv(x)} {csv(cluster)} {nclusters}",
                          [clustered_se_reference(x, cluster)]))
    return cases


# ---- running and comparing --------------------------------------------


def agree(got, want, rtol, atol):
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return math.isclose(got, want, rel_tol=rtol, abs_tol=atol)


def relative_difference(got, want):
    """For the summary; values below ATOL are judged by ATOL alone."""
    if math.isnan(got) or math.isnan(want) or got == want or abs(want) <= ATOL:
        return 0.0
    return abs(got - want) / abs(want)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: stats_crosscheck.py path/to/tool_stats")
    rng = random.Random(SEED)
    cases = []
    for generate in (ppf_cases, chi2_cases, wilson_cases, clopper_pearson_cases,
                     newcombe_cases, agresti_min_cases, mcnemar_cases, mannwhitney_cases,
                     hodges_lehmann_cases, multiplicity_cases, quantile_cases, beta_cases,
                     moment_cases):
        cases.extend(generate(rng))

    stdin = "".join(case.command + "\n" for case in cases)
    run = subprocess.run([sys.argv[1]], input=stdin, capture_output=True, text=True)
    lines = run.stdout.splitlines()
    if len(lines) != len(cases):
        print(f"stats crosscheck: tool printed {len(lines)} lines for {len(cases)} commands "
              f"(exit {run.returncode}): {run.stderr.strip()}")
        return 1

    passed = failed = 0
    worst = {}
    for case, line in zip(cases, lines):
        try:
            got = [float(v) for v in line.split()]
        except ValueError:
            got = []
        ok = len(got) == len(case.expected) and all(
            agree(g, w, case.rtol, case.atol) for g, w in zip(got, case.expected))
        if ok:
            passed += 1
            diff = max([relative_difference(g, w) for g, w in zip(got, case.expected)] or [0])
            worst[case.kind] = max(worst.get(case.kind, 0.0), diff)
        else:
            failed += 1
            print(f"FAIL {case.command[:200]}\n  got      {line}\n  expected "
                  + " ".join(repr(v) for v in case.expected))
    for kind in sorted(worst):
        print(f"  {kind:<11} max relative difference {worst[kind]:.2e}")
    print(f"stats crosscheck: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
