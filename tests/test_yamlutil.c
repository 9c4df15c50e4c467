/* The helpers the policy and env parsers share (lib/yamlutil.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "yamlutil.h"

/* A cut that would split a multi-byte character backs off to before it. */
static void test_yamlutil_show_cuts_at_character_boundaries(void **state)
{
	char in[256], buf[YAMLU_SHOW_MAX];
	size_t keep = YAMLU_SHOW_MAX - 4;
	(void)state;

	for (size_t pos = keep - 3; pos <= keep + 1; pos++) {
		memset(in, 'a', sizeof(in));
		memcpy(in + pos, "\xc3\xa9", 2); /* é straddles the cut for some pos */
		in[sizeof(in) - 1] = '\0';
		yamlu_show(buf, in);
		size_t n = strlen(buf);
		assert_true(n >= 3 && !strcmp(buf + n - 3, "..."));
		/* every é kept is whole; none is half */
		for (size_t i = 0; i + 3 < n; i++)
			if ((unsigned char)buf[i] == 0xc3)
				assert_int_equal((unsigned char)buf[i + 1], 0xa9);
		assert_false(n >= 4 && (unsigned char)buf[n - 4] == 0xc3);
	}
}

static void test_yamlutil_show_keeps_short_strings_and_masks_controls(void **state)
{
	char buf[YAMLU_SHOW_MAX];
	(void)state;

	assert_string_equal(yamlu_show(buf, "héllo"), "héllo");
	assert_string_equal(yamlu_show(buf, "a\tb\x7f"), "a?b?");
}

static void test_yamlutil_decimal_syntax(void **state)
{
	static const char *const good[] = {"0", "-1", "+2.5", "1e3", "1.5E-7", ".5", "5."};
	static const char *const bad[] = {"", "-", "e3", "1e", "0x10", "1.2.3", ".", "nan"};
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(yamlu_decimal_syntax(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(yamlu_decimal_syntax(bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yamlutil_show_cuts_at_character_boundaries),
		cmocka_unit_test(test_yamlutil_show_keeps_short_strings_and_masks_controls),
		cmocka_unit_test(test_yamlutil_decimal_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
