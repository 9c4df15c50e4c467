/*
 * lib/template.c: data-driven cases of (template, view, escape, expected).
 * Views are JSON written with ' for " so the tables stay readable; a literal
 * apostrophe in a view is \u0027.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "json.h"
#include "template.h"

struct render_case {
	const char *tmpl;
	const char *view;
	enum rlp_escape escape;
	const char *expected;
};

struct error_case {
	const char *tmpl;
	const char *message; /* rendered under the name "t.md" */
};

#define NONE RLP_ESCAPE_NONE
#define MD RLP_ESCAPE_MARKDOWN
#define HTML RLP_ESCAPE_HTML
#define RUN(table) run_cases(table, sizeof(table) / sizeof(table[0]))

static struct rlp_json *parse_view(const char *text)
{
	char *json = strdup(text);
	struct rlp_json *view;

	assert_non_null(json);
	for (char *c = json; *c; c++)
		if (*c == '\'')
			*c = '"';
	view = rlp_json_parse(json, strlen(json), NULL);
	free(json);
	assert_non_null(view);
	return view;
}

static void run_cases(const struct render_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct render_case *c = &cases[i];
		struct rlp_json *view = parse_view(c->view);
		char *out = NULL;
		size_t len = 0;
		int error = rlp_template_render(&out, &len, c->tmpl, strlen(c->tmpl), view, c->escape,
						"t.md");

		if (error < 0 || strcmp(out, c->expected) != 0)
			print_error("case %zu: template \"%s\" view %s: %s\n", i, c->tmpl, c->view,
				    error < 0 ? rlp_error_last() : out);
		assert_int_equal(error, 0);
		assert_string_equal(out, c->expected);
		assert_int_equal(len, strlen(c->expected));
		free(out);
		rlp_json_free(view);
	}
}

static void test_template_variables(void **state)
{
	static const struct render_case cases[] = {
		{"Hello {{name}}!", "{'name':'world'}", NONE, "Hello world!"},
		{"{{ name }}|{{\tname\t}}", "{'name':'x'}", NONE, "x|x"},
		{"[{{missing}}][{{nothing}}]", "{'nothing':null}", NONE, "[][]"},
		{"[{{obj}}][{{arr}}]", "{'obj':{'a':1},'arr':[1,2]}", NONE, "[][]"},
		{"{{yes}} {{no}}", "{'yes':true,'no':false}", NONE, "true false"},
		{"{{Name}}{{name}}", "{'name':'lower'}", NONE, "lower"},
		{"no tags at all\n", "{}", NONE, "no tags at all\n"},
		{"", "{}", NONE, ""},
		{"a { b } {c} }} d", "{}", NONE, "a { b } {c} }} d"},
	};
	RUN(cases);
}

static void test_template_dotted_names(void **state)
{
	static const struct render_case cases[] = {
		{"{{a.b.c}}", "{'a':{'b':{'c':'deep'}}}", NONE, "deep"},
		{"[{{a.x.c}}]", "{'a':{'b':{'c':'deep'}}}", NONE, "[]"},
		{"[{{a.b.c}}]", "{'a':{'b':'scalar'}}", NONE, "[]"},
		/* the first component resolves outward, the rest never do */
		{"{{#a}}[{{b.c}}]{{/a}}", "{'a':{'b':{}},'b':{'c':'ERROR'}}", NONE, "[]"},
		{"{{#rule}}{{meta.model}}{{/rule}}", "{'rule':{'id':1},'meta':{'model':'m'}}", NONE,
		 "m"},
		{"{{#a}}{{b.c}}{{/a}}", "{'a':{'b':{'c':'inner'}},'b':{'c':'outer'}}", NONE, "inner"},
	};
	RUN(cases);
}

static void test_template_current_item(void **state)
{
	static const struct render_case cases[] = {
		{"{{#tags}}<{{.}}>{{/tags}}", "{'tags':['a','b','c']}", NONE, "<a><b><c>"},
		{"{{#n}}{{.}}{{/n}}", "{'n':[1,2.5,true]}", NONE, "12.5true"},
		{"{{#s}}[{{.}}]{{/s}}", "{'s':'pushed'}", NONE, "[pushed]"},
		{"{{.}}", "'top'", NONE, "top"},
	};
	RUN(cases);
}

static void test_template_sections(void **state)
{
	static const struct render_case cases[] = {
		{"{{#rules}}{{#checks}}{{model}}/{{id}}/{{metric}};{{/checks}}{{/rules}}",
		 "{'model':'m','rules':[{'id':'r1','checks':[{'metric':'acc'},{'metric':'f1'}]},"
		 "{'id':'r2','checks':[{'metric':'lat','id':'shadow'}]}]}",
		 NONE, "m/r1/acc;m/r1/f1;m/shadow/lat;"},
		{"{{#meta}}{{model}} {{to}}{{/meta}}", "{'meta':{'model':'m','to':'prod'}}", NONE,
		 "m prod"},
		{"{{#on}}yes{{/on}}{{#count}}{{count}}{{/count}}", "{'on':true,'count':3}", NONE,
		 "yes3"},
		{"{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}", "{'a':[1,2]}", NONE, "xxxxxxxx"},
	};
	RUN(cases);
}

static void test_template_falsy_and_inverted(void **state)
{
	static const struct render_case cases[] = {
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{'v':false}", NONE, "[hidden]"},
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{'v':null}", NONE, "[hidden]"},
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{}", NONE, "[hidden]"},
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{'v':[]}", NONE, "[hidden]"},
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{'v':''}", NONE, "[hidden]"},
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{'v':0}", NONE, "[hidden]"},
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{'v':{}}", NONE, "[shown]"},
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{'v':[0]}", NONE, "[shown]"},
		{"[{{#v}}shown{{/v}}{{^v}}hidden{{/v}}]", "{'v':'x'}", NONE, "[shown]"},
		/* an inverted section pushes nothing: names still resolve outside */
		{"{{^v}}{{w}}{{/v}}", "{'v':false,'w':'outer'}", NONE, "outer"},
	};
	RUN(cases);
}

static void test_template_comments(void **state)
{
	static const struct render_case cases[] = {
		{"a{{! a comment }}b", "{}", NONE, "ab"},
		{"a{{!multi\nline}}b", "{}", NONE, "ab"},
		{"a\n  {{! standalone }}\nb\n", "{}", NONE, "a\nb\n"},
		{"a\n{{!\nmultiline standalone\n}}\nb\n", "{}", NONE, "a\nb\n"},
	};
	RUN(cases);
}

static void test_template_standalone_lines(void **state)
{
	static const struct render_case cases[] = {
		/* a markdown table whose rows come from a section has no blank lines */
		{"| rule | verdict |\n|---|---|\n{{#rules}}\n| {{id}} | {{v}} |\n{{/rules}}\n\nend\n",
		 "{'rules':[{'id':'a','v':'pass'},{'id':'b','v':'fail'}]}", MD,
		 "| rule | verdict |\n|---|---|\n| a | pass |\n| b | fail |\n\nend\n"},
		{"x\n  {{#on}}  \n  y\n\t{{/on}}\nz\n", "{'on':true}", NONE, "x\n  y\nz\n"},
		{"x\n{{^on}}\ny\n{{/on}}\nz\n", "{'on':true}", NONE, "x\nz\n"},
		/* the last line needs no newline; the first needs no previous line */
		{"#{{#on}}\n/\n  {{/on}}", "{'on':true}", NONE, "#\n/\n"},
		{"  {{#on}}\n#{{/on}}\n/", "{'on':true}", NONE, "#\n/"},
		{"|\r\n{{#on}}\r\n{{/on}}\r\n|", "{'on':true}", NONE, "|\r\n|"},
		{"a\r\n  {{#l}}\r\n- {{.}}\r\n  {{/l}}\r\nb", "{'l':['x','y']}", NONE,
		 "a\r\n- x\r\n- y\r\nb"},
		/* text or another tag on the line: not standalone */
		{" {{#on}}x{{/on}}\n", "{'on':true}", NONE, " x\n"},
		{"{{#on}}{{/on}}\n", "{'on':true}", NONE, "\n"},
		{"  {{v}}\n", "{'v':'x'}", NONE, "  x\n"},
		{"{{#on}}\r{{/on}}", "{'on':true}", NONE, "\r"},
	};
	RUN(cases);
}

static void test_template_escaping(void **state)
{
	static const char *view = "{'v':'a|b <i> & \\'q\\' \\u0027s\\'\\nnext\\r\\nlast\\rx'}";
	const struct render_case cases[] = {
		{"{{v}}", view, NONE, "a|b <i> & \"q\" 's\"\nnext\r\nlast\rx"},
		{"{{v}}", view, MD, "a\\|b &lt;i&gt; &amp; \"q\" 's\" next last x"},
		{"{{v}}", view, HTML,
		 "a|b &lt;i&gt; &amp; &quot;q&quot; &#39;s&quot;\nnext\r\nlast\rx"},
		/* only values are escaped, never the template's own text */
		{"<b>|{{v}}|</b>", "{'v':'<'}", HTML, "<b>|&lt;|</b>"},
	};
	RUN(cases);
}

static void test_template_raw_tags(void **state)
{
	static const struct render_case cases[] = {
		{"{{{v}}}|{{& v}}|{{v}}", "{'v':'<a|b>'}", MD, "<a|b>|<a|b>|&lt;a\\|b&gt;"},
		{"{{{ v }}}", "{'v':'&'}", HTML, "&"},
		{"{{{n}}}{{&b}}", "{'n':2,'b':false}", HTML, "2false"},
	};
	RUN(cases);
}

static void test_template_numbers(void **state)
{
	static const struct render_case cases[] = {
		{"{{n}}", "{'n':1}", NONE, "1"},
		{"{{n}}", "{'n':-42}", NONE, "-42"},
		{"{{n}}", "{'n':-0.0}", NONE, "0"},
		{"{{n}}", "{'n':0.5}", NONE, "0.5"},
		{"{{n}}", "{'n':0.30000000000000004}", NONE, "0.30000000000000004"},
		{"{{n}}", "{'n':0.7999999999999999}", NONE, "0.7999999999999999"},
		{"{{n}}", "{'n':1e15}", NONE, "1000000000000000"},
		{"{{n}}", "{'n':9007199254740992}", NONE, "9007199254740992"},
		{"{{n}}", "{'n':1e21}", NONE, "1e+21"},
		{"{{n}}", "{'n':1.5e-7}", NONE, "1.5e-07"},
	};
	RUN(cases);
}

/* 0.1 + 0.2 computed rather than written, so no parser rounding hides it. */
static void test_template_numbers_round_trip(void **state)
{
	struct rlp_json *view = rlp_json_new_object();
	char *out = NULL;

	rlp_json_add_number(view, "n", 0.1 + 0.2);
	assert_int_equal(rlp_template_render(&out, NULL, "{{n}}", 5, view, NONE, "t.md"), 0);
	assert_string_equal(out, "0.30000000000000004");
	assert_true(strtod(out, NULL) == 0.1 + 0.2);
	free(out);
	rlp_json_free(view);
}

static void test_template_errors(void **state)
{
	static const struct error_case cases[] = {
		{"{{#rules}}\n| {{id}} |\n", "t.md:1:1: unclosed section 'rules'"},
		{"{{#a}}{{#b}}{{/b}}", "t.md:1:1: unclosed section 'a'"},
		{"a\n  {{#x}}{{/y}}", "t.md:2:9: mismatched closing tag '/y' for section 'x'"},
		{"{{#a}}{{#b}}{{/a}}{{/b}}", "t.md:1:13: mismatched closing tag '/a' for section 'b'"},
		{"x\ny {{name", "t.md:2:3: unclosed tag '{{'"},
		{"{{{name}}", "t.md:1:1: unclosed tag '{{'"},
		{"{{#a}}{{", "t.md:1:7: unclosed tag '{{'"},
		{"ab{{}}", "t.md:1:3: empty tag name"},
		{"{{ }}", "t.md:1:1: empty tag name"},
		{"{{# }}{{/ }}", "t.md:1:1: empty tag name"},
		{"{{{}}}", "t.md:1:1: empty tag name"},
		{"{{&}}", "t.md:1:1: empty tag name"},
		{"x{{/a}}", "t.md:1:2: unexpected closing tag '/a'"},
		{"{{> part}}", "t.md:1:1: unsupported tag '{{>': no partials or delimiter changes"},
		{"{{=<% %>=}}", "t.md:1:1: unsupported tag '{{=': no partials or delimiter changes"},
	};
	struct rlp_json *view = parse_view("{'a':true}");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = (char *)"sentinel";
		size_t len = 99;
		int error = rlp_template_render(&out, &len, cases[i].tmpl, strlen(cases[i].tmpl),
						view, MD, "t.md");

		assert_int_equal(error, RLP_EINVALID);
		assert_null(out);
		assert_int_equal(len, 0);
		assert_string_equal(rlp_error_last(), cases[i].message);
	}
	rlp_json_free(view);
}

static char *nested(int depth)
{
	char *t = malloc((size_t)depth * 12 + 2);

	assert_non_null(t);
	t[0] = '\0';
	for (int i = 0; i < depth; i++)
		strcat(t, "{{#a}}");
	strcat(t, "x");
	for (int i = 0; i < depth; i++)
		strcat(t, "{{/a}}");
	return t;
}

static void test_template_depth_cap(void **state)
{
	struct rlp_json *view = parse_view("{'a':true}");
	char *ok = nested(64), *deep = nested(65), *out = NULL;

	assert_int_equal(rlp_template_render(&out, NULL, ok, strlen(ok), view, NONE, "t.md"), 0);
	assert_string_equal(out, "x");
	free(out);
	assert_int_equal(rlp_template_render(&out, NULL, deep, strlen(deep), view, NONE, "t.md"),
			 RLP_EINVALID);
	assert_null(out);
	assert_string_equal(rlp_error_last(), "t.md:1:385: sections nested deeper than 64");
	free(ok);
	free(deep);
	rlp_json_free(view);
}

/* 64^3 renders of a 1 KiB string is 256 MiB: refused at 64 MiB. */
static void test_template_output_cap(void **state)
{
	static const char tmpl[] = "{{#a}}{{#a}}{{#a}}{{s}}{{/a}}{{/a}}{{/a}}";
	char json[4096] = "{\"s\":\"", *out = NULL;
	struct rlp_json *view;
	size_t len = 7;

	memset(json + strlen(json), 'x', 1024);
	strcat(json, "\",\"a\":[0");
	for (int i = 1; i < 64; i++)
		snprintf(json + strlen(json), sizeof(json) - strlen(json), ",%d", i);
	strcat(json, "]}");
	assert_non_null(view = rlp_json_parse(json, strlen(json), NULL));
	assert_int_equal(rlp_template_render(&out, &len, tmpl, strlen(tmpl), view, NONE, "cap.md"),
			 RLP_ENOMEM);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_string_equal(rlp_error_last(), "cap.md: output larger than 67108864 bytes");
	rlp_json_free(view);
}

static void test_template_null_view(void **state)
{
	char *out = NULL;

	assert_int_equal(rlp_template_render(&out, NULL, "[{{a}}{{#b}}x{{/b}}{{.}}]", 25, NULL, MD,
					     NULL), 0);
	assert_string_equal(out, "[]");
	free(out);
}

static void test_template_load(void **state)
{
	struct rlp_json *view = parse_view(
		"{'model':'m<1>','verdict':'fail','decided_by':'latency','rules':["
		"{'id':'acc|top1','estimate':0.91,'verdict':'pass'},"
		"{'id':'latency','estimate':120,'verdict':'fail'}]}");
	char *tmpl = NULL, *expected = NULL, *out = NULL;
	size_t len = 0, expected_len = 0;

	assert_int_equal(setenv("RLPROMOTE_TEMPLATE_DIR", FIXTURES "/template", 1), 0);
	assert_int_equal(rlp_template_load(&tmpl, &len, "table.md"), 0);
	assert_int_equal(len, strlen(tmpl));
	assert_int_equal(rlp_template_load(&expected, &expected_len, "table.expected"), 0);
	assert_int_equal(rlp_template_render(&out, NULL, tmpl, len, view, MD, "table.md"), 0);
	assert_string_equal(out, expected);
	free(tmpl);
	free(expected);
	free(out);
	rlp_json_free(view);
}

static void test_template_load_rejects_bad_names(void **state)
{
	static const char *names[] = {"", ".hidden", "..", "../table.md", "sub/table.md", "/etc/passwd"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *out = (char *)"sentinel";
		assert_int_equal(rlp_template_load(&out, NULL, names[i]), RLP_EINVALID);
		assert_null(out);
		assert_true(strstr(rlp_error_last(), "invalid template name") != NULL);
	}
}

static void test_template_load_missing(void **state)
{
	char *out = (char *)"sentinel";

	assert_int_equal(setenv("RLPROMOTE_TEMPLATE_DIR", FIXTURES "/template", 1), 0);
	assert_int_equal(rlp_template_load(&out, NULL, "no-such-template.md"), RLP_ENOTFOUND);
	assert_null(out);
	assert_true(strncmp(rlp_error_last(), "template 'no-such-template.md' not found in " FIXTURES,
			    strlen("template 'no-such-template.md' not found in " FIXTURES)) == 0);
}

static void test_template_load_refuses_large_files(void **state)
{
	char dir[] = "/tmp/rlp-template-XXXXXX", path[sizeof(dir) + 16], *out = (char *)"sentinel";
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.md", dir);
	assert_non_null(f = fopen(path, "w"));
	for (int i = 0; i < 1024 * 1024 + 1; i++)
		fputc('x', f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(setenv("RLPROMOTE_TEMPLATE_DIR", dir, 1), 0);
	assert_int_equal(rlp_template_load(&out, NULL, "big.md"), RLP_EINVALID);
	assert_null(out);
	assert_true(strstr(rlp_error_last(), "larger than 1048576 bytes") != NULL);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_variables),
		cmocka_unit_test(test_template_dotted_names),
		cmocka_unit_test(test_template_current_item),
		cmocka_unit_test(test_template_sections),
		cmocka_unit_test(test_template_falsy_and_inverted),
		cmocka_unit_test(test_template_comments),
		cmocka_unit_test(test_template_standalone_lines),
		cmocka_unit_test(test_template_escaping),
		cmocka_unit_test(test_template_raw_tags),
		cmocka_unit_test(test_template_numbers),
		cmocka_unit_test(test_template_numbers_round_trip),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_template_depth_cap),
		cmocka_unit_test(test_template_output_cap),
		cmocka_unit_test(test_template_null_view),
		cmocka_unit_test(test_template_load),
		cmocka_unit_test(test_template_load_rejects_bad_names),
		cmocka_unit_test(test_template_load_missing),
		cmocka_unit_test(test_template_load_refuses_large_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
