/*
 * Drives lib/stats.c from stdin for tests/stats_crosscheck.py: one command a
 * line, one line of output per command, numbers printed with %.17g so the
 * cross-check sees every bit. Lists are comma-separated ("-" is empty).
 * A line that cannot be run prints "error: <why>" and makes the exit
 * status 1, so the output stays aligned with the input.
 *
 *   ppf p | cdf x | chi2sf x
 *   betainc a b x | betaincinv a b p | binompmf k n p | binomcdf k n p
 *   wilson|cp k n conf sided        -> estimate lower upper
 *   newcombe k1 n1 k2 n2 conf sided -> estimate lower upper
 *   agresti b c n conf sided        -> estimate lower upper
 *   mcnemar b c                     -> chi2 p p_corrected p_exact p_exact_less
 *   mw xs ys                        -> u p_exact p_asymptotic
 *   hl xs ys conf                   -> estimate lower upper
 *   holm ps | bh ps                 -> adjusted p-values
 *   quantile q xs                   -> type-7 quantile (xs sorted first)
 *   moments xs                      -> n mean sd se
 *   clse xs clusters nclusters      -> clustered SE
 *   cs sd n alpha tuning_n | samplesize w2 delta alpha power | ratecap rate conf
 *
 * `sided` is 1 or one, 2 or two.
 */
#include "error.h"
#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 8

struct list {
	double *v;
	size_t n;
};

static char problem[256];

static int fail(const char *what, const char *arg)
{
	snprintf(problem, sizeof(problem), "%s '%s'", what, arg);
	return -1;
}

static int parse_double(double *out, const char *s)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end)
		return fail("not a number", s);
	return 0;
}

static int parse_long(long *out, const char *s)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (end == s || *end || errno)
		return fail("not an integer", s);
	return 0;
}

static int parse_sided(enum rlp_sided *out, const char *s)
{
	if (!strcmp(s, "1") || !strcmp(s, "one"))
		*out = RLP_ONE_SIDED;
	else if (!strcmp(s, "2") || !strcmp(s, "two"))
		*out = RLP_TWO_SIDED;
	else
		return fail("not a sidedness", s);
	return 0;
}

/* Comma-separated doubles; the caller frees list->v. */
static int parse_list(struct list *list, const char *s)
{
	size_t cap = 1;
	const char *p = s;
	char *end;

	list->n = 0;
	for (; *p; p++)
		cap += *p == ',';
	list->v = malloc(cap * sizeof(*list->v));
	if (!list->v)
		return fail("out of memory for", s);
	if (!strcmp(s, "-"))
		return 0;
	for (p = s;; p = end + 1) {
		list->v[list->n++] = strtod(p, &end);
		if (end == p || (*end && *end != ','))
			return fail("not a list of numbers", s);
		if (!*end)
			return 0;
	}
}

static void print_numbers(const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%.17g", i ? " " : "", v[i]);
	putchar('\n');
}

static void print_interval(struct rlp_interval iv)
{
	double v[3] = { iv.estimate, iv.lower, iv.upper };

	print_numbers(v, 3);
}

static int want_args(int argc, int expected, const char *cmd)
{
	if (argc != expected)
		return fail("wrong number of arguments for", cmd);
	return 0;
}

/* Commands whose arguments are all plain numbers, and how many they take. */
static const struct {
	const char *name;
	int argc;
} scalar_commands[] = {
	{ "ppf", 1 },	     { "cdf", 1 },	{ "chi2sf", 1 },     { "betainc", 3 },
	{ "betaincinv", 3 }, { "cs", 4 },	{ "samplesize", 4 }, { "ratecap", 2 },
};

static double scalar_result(const char *cmd, const double *d)
{
	if (!strcmp(cmd, "ppf"))
		return rlp_norm_ppf(d[0]);
	if (!strcmp(cmd, "cdf"))
		return rlp_norm_cdf(d[0]);
	if (!strcmp(cmd, "chi2sf"))
		return rlp_chi2_sf_1df(d[0]);
	if (!strcmp(cmd, "betainc"))
		return rlp_beta_inc(d[0], d[1], d[2]);
	if (!strcmp(cmd, "betaincinv"))
		return rlp_beta_inc_inv(d[0], d[1], d[2]);
	if (!strcmp(cmd, "cs"))
		return rlp_cs_halfwidth(d[0], d[1], d[2], d[3]);
	if (!strcmp(cmd, "samplesize"))
		return rlp_sample_size(d[0], 0, 1, 0, 1, d[1], d[2], d[3]);
	return (double)rlp_rate_cap_n_required(d[0], d[1]);
}

static int run_scalar(const char *cmd, int argc, char **argv)
{
	double d[4], r;
	size_t i;
	int j;

	for (i = 0; i < sizeof(scalar_commands) / sizeof(scalar_commands[0]); i++)
		if (!strcmp(cmd, scalar_commands[i].name))
			break;
	if (i == sizeof(scalar_commands) / sizeof(scalar_commands[0]))
		return fail("unknown command", cmd);
	if (want_args(argc, scalar_commands[i].argc, cmd))
		return -1;
	for (j = 0; j < argc; j++)
		if (parse_double(&d[j], argv[j]))
			return -1;
	r = scalar_result(cmd, d);
	print_numbers(&r, 1);
	return 0;
}

/* binompmf, binomcdf: k n p. */
static int run_binomial(const char *cmd, int argc, char **argv)
{
	long k, n;
	double p, r;

	if (want_args(argc, 3, cmd) || parse_long(&k, argv[0]) || parse_long(&n, argv[1]) ||
	    parse_double(&p, argv[2]))
		return -1;
	r = !strcmp(cmd, "binompmf") ? rlp_binom_pmf(k, n, p) : rlp_binom_cdf(k, n, p);
	print_numbers(&r, 1);
	return 0;
}

/* wilson, cp, newcombe, agresti: counts, then confidence and sidedness. */
static int run_proportion(const char *cmd, int argc, char **argv)
{
	int counts = !strcmp(cmd, "newcombe") ? 4 : !strcmp(cmd, "agresti") ? 3 : 2, i;
	long c[4];
	double conf;
	enum rlp_sided sided;

	if (want_args(argc, counts + 2, cmd))
		return -1;
	for (i = 0; i < counts; i++)
		if (parse_long(&c[i], argv[i]))
			return -1;
	if (parse_double(&conf, argv[counts]) || parse_sided(&sided, argv[counts + 1]))
		return -1;
	if (!strcmp(cmd, "wilson"))
		print_interval(rlp_wilson(c[0], c[1], conf, sided));
	else if (!strcmp(cmd, "cp"))
		print_interval(rlp_clopper_pearson(c[0], c[1], conf, sided));
	else if (!strcmp(cmd, "newcombe"))
		print_interval(rlp_newcombe(c[0], c[1], c[2], c[3], conf, sided));
	else
		print_interval(rlp_agresti_min(c[0], c[1], c[2], conf, sided));
	return 0;
}

static int run_mcnemar(int argc, char **argv)
{
	struct rlp_mcnemar m;
	long b, c;

	if (want_args(argc, 2, "mcnemar") || parse_long(&b, argv[0]) || parse_long(&c, argv[1]))
		return -1;
	m = rlp_mcnemar(b, c);
	print_numbers((double[]){ m.chi2, m.p, m.p_corrected, m.p_exact, m.p_exact_less }, 5);
	return 0;
}

static int run_two_samples(const char *cmd, int argc, char **argv)
{
	struct list x = { NULL, 0 }, y = { NULL, 0 };
	struct rlp_mannwhitney mw;
	struct rlp_interval iv;
	double conf = 0;
	int hl = !strcmp(cmd, "hl"), error = -1;

	if (want_args(argc, hl ? 3 : 2, cmd) || parse_list(&x, argv[0]) ||
	    parse_list(&y, argv[1]) || (hl && parse_double(&conf, argv[2])))
		goto done;
	if (hl) {
		if (rlp_hodges_lehmann(&iv, x.v, x.n, y.v, y.n, conf) < 0) {
			fail(rlp_error_last(), cmd);
			goto done;
		}
		print_interval(iv);
	} else {
		if (rlp_mannwhitney(&mw, x.v, x.n, y.v, y.n) < 0) {
			fail(rlp_error_last(), cmd);
			goto done;
		}
		print_numbers((double[]){ mw.u, mw.p_exact, mw.p_asymptotic }, 3);
	}
	error = 0;
done:
	free(x.v);
	free(y.v);
	return error;
}

/* holm, bh, quantile, moments, clse: commands on one list of values. */
static int run_list(const char *cmd, int argc, char **argv)
{
	struct list x = { NULL, 0 }, clusters = { NULL, 0 };
	struct rlp_moments m;
	double q, r, nclusters;
	int *ids = NULL, error = -1;
	size_t i;

	if (!strcmp(cmd, "quantile")) {
		if (want_args(argc, 2, cmd) || parse_double(&q, argv[0]) || parse_list(&x, argv[1]))
			goto done;
		rlp_sort_doubles(x.v, x.n);
		r = rlp_quantile_sorted(x.v, x.n, q);
		print_numbers(&r, 1);
	} else if (!strcmp(cmd, "moments")) {
		if (want_args(argc, 1, cmd) || parse_list(&x, argv[0]))
			goto done;
		m = rlp_moments(x.v, x.n);
		print_numbers((double[]){ (double)m.n, m.mean, m.sd, m.se }, 4);
	} else if (!strcmp(cmd, "clse")) {
		if (want_args(argc, 3, cmd) || parse_list(&x, argv[0]) ||
		    parse_list(&clusters, argv[1]) || parse_double(&nclusters, argv[2]))
			goto done;
		if (clusters.n != x.n || !(ids = malloc((x.n ? x.n : 1) * sizeof(*ids)))) {
			fail("cluster list does not match", argv[1]);
			goto done;
		}
		for (i = 0; i < x.n; i++)
			ids[i] = (int)clusters.v[i];
		r = rlp_clustered_se(x.v, ids, x.n, (size_t)nclusters);
		print_numbers(&r, 1);
	} else {
		if (want_args(argc, 1, cmd) || parse_list(&x, argv[0]))
			goto done;
		if ((!strcmp(cmd, "holm") ? rlp_holm(x.v, x.v, x.n)
					  : rlp_benjamini_hochberg(x.v, x.v, x.n)) < 0) {
			fail(rlp_error_last(), cmd);
			goto done;
		}
		print_numbers(x.v, x.n);
	}
	error = 0;
done:
	free(x.v);
	free(clusters.v);
	free(ids);
	return error;
}

static int run_line(char *line)
{
	char *argv[MAX_ARGS + 1], *cmd, *save = NULL;
	int argc = 0;

	cmd = strtok_r(line, " \t\r\n", &save);
	if (!cmd)
		return fail("empty line", "");
	while (argc <= MAX_ARGS && (argv[argc] = strtok_r(NULL, " \t\r\n", &save)))
		argc++;
	if (argc > MAX_ARGS)
		return fail("too many arguments for", cmd);
	if (!strcmp(cmd, "wilson") || !strcmp(cmd, "cp") || !strcmp(cmd, "newcombe") ||
	    !strcmp(cmd, "agresti"))
		return run_proportion(cmd, argc, argv);
	if (!strcmp(cmd, "mcnemar"))
		return run_mcnemar(argc, argv);
	if (!strcmp(cmd, "binompmf") || !strcmp(cmd, "binomcdf"))
		return run_binomial(cmd, argc, argv);
	if (!strcmp(cmd, "mw") || !strcmp(cmd, "hl"))
		return run_two_samples(cmd, argc, argv);
	if (!strcmp(cmd, "holm") || !strcmp(cmd, "bh") || !strcmp(cmd, "quantile") ||
	    !strcmp(cmd, "moments") || !strcmp(cmd, "clse"))
		return run_list(cmd, argc, argv);
	return run_scalar(cmd, argc, argv);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	int status = 0;

	while (getline(&line, &cap, stdin) > 0) {
		problem[0] = '\0';
		if (run_line(line) < 0) {
			printf("error: %s\n", problem);
			status = 1;
		}
	}
	free(line);
	return status;
}
