/* git rlpromote init: set a repository up for rlpromote; idempotent. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "error.h"
#include "template.h"

/* Add a multivar value unless it is already there. */
static void config_add(git_config *cfg, const char *name, const char *value, int *changes)
{
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	bool present = false;

	if (git_config_multivar_iterator_new(&it, cfg, name, NULL) == 0) {
		while (git_config_next(&entry, it) == 0)
			present |= !strcmp(entry->value, value);
		git_config_iterator_free(it);
	}
	if (present)
		return;
	if (git_config_set_multivar(cfg, name, "^$", value) < 0)
		die("cannot set %s: %s", name, git_error_last() ? git_error_last()->message : "?");
	printf("set %s = %s\n", name, value);
	(*changes)++;
}

static void config_default(git_config *cfg, const char *name, const char *value, int *changes)
{
	git_config_entry *entry = NULL;

	if (git_config_get_entry(&entry, cfg, name) == 0) {
		git_config_entry_free(entry);
		return;
	}
	if (git_config_set_string(cfg, name, value) < 0)
		die("cannot set %s", name);
	printf("set %s = %s\n", name, value);
	(*changes)++;
}

/* Write `path` only when absent (O_EXCL: never clobber). */
static void write_new_file(const char *path, const char *text, int *changes)
{
	FILE *f = fopen(path, "wx");
	if (!f) {
		if (errno == EEXIST)
			return;
		die("cannot create '%s': %s", path, strerror(errno));
	}
	if (fputs(text, f) == EOF || fclose(f) == EOF)
		die("cannot write '%s'", path);
	printf("wrote %s\n", path);
	(*changes)++;
}

int cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"remote", required_argument, NULL, 'r'},
		{"writer", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	const char *remote = "origin", *writer = NULL;
	git_config *cfg = NULL;
	char *tmpl = NULL, name[256], value[512];
	int c, changes = 0;

	check_help(argc, argv, "init");
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'r')
			remote = optarg;
		else if (c == 'w')
			writer = optarg;
		else
			usage_of("init", false);
	}
	if (optind != argc)
		usage_of("init", false);
	struct rlp_store *store = open_store();
	const char *workdir = git_repository_workdir(store->repo);
	if (!workdir)
		die("init needs a work tree (the policy is a committed file)");
	if (chdir(workdir) < 0)
		die("cannot enter '%s'", workdir);
	if (mkdir(".rlpromote", 0777) < 0 && errno != EEXIST)
		die("cannot create .rlpromote: %s", strerror(errno));
	if (rlp_template_load(&tmpl, NULL, "policy.yaml") < 0)
		die("%s", rlp_error_last());
	write_new_file(RLP_POLICY_PATH, tmpl, &changes);
	write_new_file(RLP_ALLOWED_SIGNERS_PATH,
		       "# ssh allowed signers: <email> namespaces=\"git\" <public key>\n", &changes);
	free(tmpl);

	if (git_repository_config(&cfg, store->repo) < 0)
		die("cannot open git config");
	/* runs go to refs/rlpromote/runs/<writer>: pinned only when asked, else
	 * each person's (or CI's) user.email at the time of the run */
	if (writer) {
		if (git_config_set_string(cfg, "rlpromote.writer", writer) < 0)
			die("cannot set rlpromote.writer");
		printf("set rlpromote.writer = %s\n", writer);
		changes++;
	}
	else
		printf("writer: %s (your user.email; pin one with --writer)\n", store->writer);
	config_default(cfg, "gpg.ssh.allowedSignersFile", RLP_ALLOWED_SIGNERS_PATH, &changes);
	/* fetch aside (git rlpromote sync verifies, then fast-forwards); push the
	 * local chains and notes along with the current branch */
	snprintf(name, sizeof(name), "remote.%s.fetch", remote);
	snprintf(value, sizeof(value), "+refs/rlpromote/*:refs/rlpromote-remote/%s/*", remote);
	config_add(cfg, name, value, &changes);
	snprintf(value, sizeof(value), "+refs/notes/rlpromote:refs/notes/rlpromote-remote/%s", remote);
	config_add(cfg, name, value, &changes);
	snprintf(name, sizeof(name), "remote.%s.push", remote);
	config_add(cfg, name, "HEAD", &changes);
	config_add(cfg, name, "refs/rlpromote/*:refs/rlpromote/*", &changes);
	config_add(cfg, name, "refs/notes/rlpromote:refs/notes/rlpromote", &changes);
	config_default(cfg, "notes.rlpromote.mergeStrategy", "cat_sort_uniq", &changes);
	if (!changes)
		printf("already set up\n");
	git_config_free(cfg);
	rlp_store_free(store);
	return 0;
}
