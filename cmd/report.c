/* git rlpromote report: the gate's report on a candidate's evidence in git,
 * in any format, to stdout or a file; the HTML one is a single page with
 * charts, for a CI artifact or a reviewer's browser. */
#include "report_format.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "error.h"
#include "evidence.h"
#include "json.h"

int report_format_parse(enum report_format *out, const char *name)
{
	static const char *const names[] = {"text", "json", "markdown", "html"};

	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum report_format)i;
			return 0;
		}
	return -1;
}

/* The JSON report, pretty-printed, with a final newline. */
static char *json_text(const struct rlp_gate_result *res, const struct rlp_report_meta *meta)
{
	struct rlp_json *json = NULL;
	char *out;

	if (rlp_report_json(&json, res, meta) < 0)
		return NULL;
	out = rlp_json_print_line(json, true);
	rlp_json_free(json);
	return out;
}

char *report_render(enum report_format format, const struct rlp_gate_result *res,
		    const struct rlp_report_meta *meta, bool color)
{
	char *out = NULL;

	switch (format) {
	case REPORT_JSON:
		return json_text(res, meta);
	case REPORT_MARKDOWN:
		return rlp_report_markdown(&out, res, meta) < 0 ? NULL : out;
	case REPORT_HTML:
		return rlp_report_html(&out, res, meta) < 0 ? NULL : out;
	case REPORT_TEXT:
		break;
	}
	return rlp_report_text(&out, res, meta, color) < 0 ? NULL : out;
}

void check_html_url(const char *url)
{
	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
		die("--html-url '%s' is not an http(s) URL", url);
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("\"'<>()`\\", *p))
			die("--html-url must not contain whitespace, quotes, parentheses or angle brackets");
}

struct report_opts {
	const char *revision, *to, *policy_rev, *output, *html_url;
	enum report_format format;
	bool format_given;
};

/* The format a file name suggests: .html, .md, .json; else text. */
static enum report_format format_of_path(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm")))
		return REPORT_HTML;
	if (dot && !strcmp(dot, ".md"))
		return REPORT_MARKDOWN;
	if (dot && !strcmp(dot, ".json"))
		return REPORT_JSON;
	return REPORT_TEXT;
}

static void parse_options(struct report_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 't'},
		{"policy-rev", required_argument, NULL, 'P'},
		{"format", required_argument, NULL, 'f'},
		{"html-url", required_argument, NULL, 'u'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	check_help(argc, argv, "report");
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->to = optarg; break;
		case 'P': o->policy_rev = optarg; break;
		case 'u': o->html_url = optarg; break;
		case 'o': o->output = optarg; break;
		case 'f':
			if (report_format_parse(&o->format, optarg) < 0) {
				error("unknown format '%s' (html, markdown, json or text)", optarg);
				usage_of("report", false);
			}
			o->format_given = true;
			break;
		default:
			usage_of("report", false);
		}
	}
	if (optind < argc)
		o->revision = argv[optind++];
	if (optind < argc) {
		error("unexpected argument '%s'", argv[optind]);
		usage_of("report", false);
	}
	if (!o->revision || !o->to) {
		error("report needs a candidate and --to <stage>");
		usage_of("report", false);
	}
	if (!o->format_given)
		o->format = o->output ? format_of_path(o->output) : REPORT_TEXT;
	if (o->html_url)
		check_html_url(o->html_url);
}

/* Write the file whole or not at all: a temporary beside it, then rename. */
static void write_file(const char *path, const char *text)
{
	size_t len = strlen(path) + 16;
	char *tmp = malloc(len);
	FILE *f;

	if (!tmp)
		die("out of memory");
	snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "w")))
		die("cannot write '%s': %s", tmp, strerror(errno));
	if (fputs(text, f) == EOF || fclose(f) == EOF) {
		unlink(tmp);
		die("cannot write '%s': %s", tmp, strerror(errno));
	}
	if (rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		die("cannot write '%s': %s", path, strerror(saved));
	}
	free(tmp);
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	struct rlp_evidence ev;
	git_oid cand;
	char policy_name[512];

	parse_options(&o, argc, argv);
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, o.policy_rev);
	resolve_commit(&cand, store, o.revision);
	if (rlp_evidence_gate_trusted(&ev, store, trusted, &cand, o.to) < 0)
		die("%s", rlp_error_last());
	if (ev.problem[0])
		warning("%s", ev.problem);
	snprintf(policy_name, sizeof(policy_name), "%s:%s", trusted->rev, RLP_POLICY_PATH);
	struct rlp_report_meta meta = {
		.policy = trusted->policy, .policy_name = policy_name, .candidate = ev.cand_run.path,
		.baseline = ev.has_base_run ? ev.base_run.path : NULL, .html_url = o.html_url,
	};
	char *text = report_render(o.format, ev.result, &meta,
				   !o.output && o.format == REPORT_TEXT && want_color(stdout));
	if (!text)
		die("cannot render the report: %s", rlp_error_last());
	if (o.output && strcmp(o.output, "-"))
		write_file(o.output, text);
	else
		write_stdout(text);
	free(text);
	rlp_evidence_clear(&ev);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return RLP_EXIT_OK;
}
