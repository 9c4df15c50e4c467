/* Paired comparison of two results, slice by slice (see diff.h). */
#include "diff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stats.h"

/* The spec's tag indices for a slice's tags (those the spec lacks count
 * for nothing). */
static size_t slice_tags(long *out, size_t max, const struct rlp_results_spec *spec,
			 const struct rlp_slice *slice)
{
	size_t n = 0;

	for (size_t t = 0; t < slice->ntags && n < max; t++)
		for (size_t i = 0; i < spec->ntags; i++)
			if (!strcmp(spec->tags[i], slice->tags[t])) {
				out[n++] = (long)i;
				break;
			}
	return n;
}

static bool in_slice(const struct rlp_results *r, size_t i, const long *tags, size_t ntags)
{
	for (size_t t = 0; t < ntags; t++)
		if (rlp_results_has_tag(r, i, (size_t)tags[t]))
			return true;
	return false;
}

static double mean_of(const double *x, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return sum / (double)n;
}

/* The statistics of one row from its k pairs; xa is overwritten. */
static void row_stats(struct rlp_diff_row *row, double *xa, const double *xb, size_t k,
		      bool binary, double confidence)
{
	row->n = (long)k;
	row->binary = binary;
	row->mean_a = mean_of(xa, k);
	row->mean_b = mean_of(xb, k);
	row->p_mcnemar = NAN;
	if (binary) {
		for (size_t i = 0; i < k; i++) {
			row->b += xb[i] > xa[i];
			row->c += xb[i] < xa[i];
		}
		struct rlp_interval iv = rlp_agresti_min(row->b, row->c, row->n, confidence,
							 RLP_TWO_SIDED);
		row->delta = (double)(row->b - row->c) / (double)k;
		row->lower = iv.lower;
		row->upper = iv.upper;
		row->p_mcnemar = rlp_mcnemar(row->b, row->c).p_exact;
		row->method = "agresti-min";
		return;
	}
	for (size_t i = 0; i < k; i++)
		xa[i] = xb[i] - xa[i];
	struct rlp_moments mom = rlp_moments(xa, k);
	double z = rlp_z_for(confidence, RLP_TWO_SIDED);
	row->delta = mom.mean;
	row->lower = k >= 2 ? mom.mean - z * mom.se : NAN;
	row->upper = k >= 2 ? mom.mean + z * mom.se : NAN;
	row->method = "paired-mean-se";
}

/* A metric named twice in the spec is compared once. */
static bool repeated_metric(const struct rlp_results_spec *spec, size_t m)
{
	for (size_t j = 0; j < m; j++)
		if (!strcmp(spec->metrics[j], spec->metrics[m]))
			return true;
	return false;
}

int rlp_diff_compute(struct rlp_diff **out, const struct rlp_diff_input *in)
{
	const struct rlp_results_spec *spec = in->spec;
	size_t na = rlp_results_count(in->a), nmetrics = spec ? spec->nmetrics : 0;
	struct rlp_diff *d = calloc(1, sizeof(*d));
	long *pair = malloc((na ? na : 1) * sizeof(*pair));
	double *xa = malloc((na ? na : 1) * sizeof(*xa)), *xb = malloc((na ? na : 1) * sizeof(*xb));
	long tags[64];
	int error = 0;

	*out = NULL;
	if (!d || !pair || !xa || !xb ||
	    !(d->rows = calloc((in->nslices + 1) * (nmetrics ? nmetrics : 1), sizeof(*d->rows)))) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	d->confidence = in->confidence > 0 ? in->confidence : 0.95;
	if (!(d->confidence < 1)) {
		error = rlp_error_set(RLP_EINVALID, "confidence %g is not in (0, 1)", d->confidence);
		goto done;
	}
	d->ids_a = na;
	d->ids_b = rlp_results_count(in->b);
	for (size_t i = 0; i < na; i++)
		if ((pair[i] = rlp_results_find(in->b, rlp_results_id(in->a, i))) >= 0)
			d->shared++;
	for (size_t s = 0; s <= in->nslices; s++) {
		const struct rlp_slice *slice = s ? &in->slices[s - 1] : NULL;
		size_t ntags = slice ? slice_tags(tags, 64, spec, slice) : 0;
		for (size_t m = 0; m < nmetrics; m++) {
			size_t k = 0;
			bool binary = true;
			if (repeated_metric(spec, m))
				continue;
			for (size_t i = 0; i < na; i++) {
				double va, vb;
				if (pair[i] < 0 || (slice && !in_slice(in->a, i, tags, ntags)) ||
				    !rlp_results_value(in->a, i, m, &va) ||
				    !rlp_results_value(in->b, (size_t)pair[i], m, &vb))
					continue;
				binary &= (va == 0.0 || va == 1.0) && (vb == 0.0 || vb == 1.0);
				xa[k] = va;
				xb[k++] = vb;
			}
			if (!k)
				continue;
			struct rlp_diff_row *row = &d->rows[d->nrows++];
			row->slice = slice ? slice->name : "all";
			row->metric = spec->metrics[m];
			row_stats(row, xa, xb, k, binary, d->confidence);
		}
	}
	*out = d;
	d = NULL;
done:
	rlp_diff_free(d);
	free(pair);
	free(xa);
	free(xb);
	return error;
}

void rlp_diff_free(struct rlp_diff *diff)
{
	if (!diff)
		return;
	free(diff->rows);
	free(diff);
}
