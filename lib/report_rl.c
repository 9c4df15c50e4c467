/* RL health and shadow traffic in the reports (see report_rl.h). */
#include "report_rl.h"

#include <math.h>
#include <stdio.h>

#include "json.h"
#include "shadow.h"

static void instant_of(char buf[40], double epoch)
{
	struct rlp_instant t = {(int64_t)floor(epoch), 0};
	double frac = epoch - floor(epoch);

	t.nsec = (uint32_t)llround(frac * 1e3) * 1000000u; /* milliseconds are plenty */
	if (t.nsec >= 1000000000u)
		t.sec++, t.nsec = 0;
	rlp_instant_format(buf, &t);
}

void report_rl_json(struct rlp_json *rule, const struct rlp_rule_result *r)
{
	if (r->suspects) {
		struct rlp_json *s = rlp_json_add_object(rule, "suspects");
		struct rlp_json *ids = rlp_json_add_array(s, "ids");
		rlp_json_add_number(s, "count", (double)r->suspects_total);
		for (size_t i = 0; i < r->nsuspects; i++)
			rlp_json_push_string(ids, r->suspects[i]);
		rlp_json_add_bool(s, "truncated", r->nsuspects < r->suspects_total);
	}
	if (r->shadow.set) {
		const struct rlp_shadow_result *sh = &r->shadow;
		struct rlp_json *s = rlp_json_add_object(rule, "shadow");
		char first[40], last[40];
		instant_of(first, sh->first);
		instant_of(last, sh->last);
		rlp_json_add_number(s, "wins", (double)sh->wins);
		rlp_json_add_number(s, "ties", (double)sh->ties);
		rlp_json_add_number(s, "losses", (double)sh->losses);
		rlp_json_add_string(s, "first", first);
		rlp_json_add_string(s, "last", last);
		rlp_json_add_number(s, "elapsed_s", sh->elapsed_s);
		rlp_json_add_number(s, "sd", sh->sd);
		rlp_json_add_number(s, "halfwidth", sh->halfwidth);
		rlp_json_add_number(s, "tuning_n", sh->tuning_n);
		rlp_json_add_bool(s, "deadline", sh->deadline);
	}
}

void report_rl_view(struct rlp_json *view, const struct rlp_gate_result *res)
{
	struct rlp_json *suspects = rlp_json_add_array(view, "suspects");
	struct rlp_json *shadow = rlp_json_add_array(view, "shadow");

	for (size_t i = 0; i < res->nrules; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		if (r->suspects_total) {
			struct rlp_json *o = rlp_json_push_object(suspects);
			struct rlp_json *ids = rlp_json_add_array(o, "ids");
			rlp_json_add_string(o, "rule", r->rule->id);
			rlp_json_add_number(o, "count", (double)r->suspects_total);
			for (size_t k = 0; k < r->nsuspects; k++)
				rlp_json_push_string(ids, r->suspects[k]);
			if (r->nsuspects < r->suspects_total)
				rlp_json_add_number(o, "more", (double)(r->suspects_total - r->nsuspects));
		}
		if (r->shadow.set) {
			struct rlp_json *o = rlp_json_push_object(shadow);
			char elapsed[32];
			rlp_duration_format(elapsed, sizeof(elapsed), r->shadow.elapsed_s);
			rlp_json_add_string(o, "rule", r->rule->id);
			rlp_json_add_number(o, "n", (double)r->fig.n);
			rlp_json_add_number(o, "wins", (double)r->shadow.wins);
			rlp_json_add_number(o, "ties", (double)r->shadow.ties);
			rlp_json_add_number(o, "losses", (double)r->shadow.losses);
			rlp_json_add_string(o, "elapsed", elapsed);
		}
	}
}

void report_rl_text(struct rlp_buf *b, const struct rlp_rule_result *r, const char *dim,
		    const char *reset)
{
	if (r->suspects_total) {
		rlp_buf_printf(b, "%s  reward-hacking suspects (%zu):", dim, r->suspects_total);
		for (size_t i = 0; i < r->nsuspects; i++)
			rlp_buf_printf(b, "%s %s", i ? "," : "", r->suspects[i]);
		if (r->nsuspects < r->suspects_total)
			rlp_buf_printf(b, " and %zu more", r->suspects_total - r->nsuspects);
		rlp_buf_printf(b, "%s\n", reset);
	}
	if (r->shadow.set) {
		char elapsed[32];
		rlp_duration_format(elapsed, sizeof(elapsed), r->shadow.elapsed_s);
		rlp_buf_printf(b, "%s  shadow traffic: n=%ld (%ld wins, %ld ties, %ld losses) over %s%s\n",
			       dim, r->fig.n, r->shadow.wins, r->shadow.ties, r->shadow.losses, elapsed,
			       reset);
	}
}
