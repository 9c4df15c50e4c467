/*
 * Times the results reader alone: tool_results_read FILE...
 * One file goes through rlp_results_read_file(), several through
 * rlp_results_read_files(). The spec is the benchmark's (bench/policy-20.yaml:
 * 20 tags, 7 metrics). Prints per file records, ids and the mean of `pass`,
 * then the elapsed time; exit 1 with the reader's message on error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "error.h"
#include "results.h"

static const char *const tags[] = {
	"headache", "search_api", "version_pin", "formatting", "math", "division", "tools",
	"refusal", "code", "sql", "summaries", "translation", "dates", "units", "citations",
	"long_ctx", "multi_turn", "json_mode", "safety", "misc",
};
static const char *const metrics[] = {
	"pass", "safety_violation", "format_ok", "correct", "tool_accuracy",
	RLP_FIELD_LATENCY, RLP_FIELD_COST,
};

int main(int argc, char **argv)
{
	struct rlp_results_spec spec = { tags, sizeof(tags) / sizeof(tags[0]), metrics,
					  sizeof(metrics) / sizeof(metrics[0]), 0, NULL };
	const char *const *paths = (const char *const *)argv + 1;
	size_t n = argc > 1 ? (size_t)argc - 1 : 0, i, j;
	struct rlp_results **r = NULL;
	struct timespec t0, t1;
	int rc;

	if (n == 0) {
		fprintf(stderr, "usage: tool_results_read FILE...\n");
		return 129;
	}
	r = calloc(n, sizeof(*r));
	if (!r)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = n == 1 ? rlp_results_read_file(&r[0], paths[0], &spec)
		    : rlp_results_read_files(r, paths, n, &spec);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc) {
		fprintf(stderr, "error: %s\n", rlp_error_last());
		free(r);
		return 1;
	}
	for (i = 0; i < n; i++) {
		double sum = 0, v;
		size_t k = 0;

		for (j = 0; j < rlp_results_count(r[i]); j++)
			if (rlp_results_value(r[i], j, 0, &v))
				sum += v, k++;
		printf("%s: %zu records, %zu ids, pass mean %.4f\n", paths[i],
		       rlp_results_records(r[i]), rlp_results_count(r[i]), k ? sum / k : 0.0);
		rlp_results_free(r[i]);
	}
	printf("elapsed %.3f s\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(r);
	return 0;
}
