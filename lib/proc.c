#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

extern char **environ;

#define PROC_DEFAULT_CAP ((size_t)1 << 20)
#define PROC_DEFAULT_TIMEOUT_MS 30000
#define PROC_CHUNK 65536

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Search PATH in the parent, as execvp would, so that the child only makes
 * async-signal-safe calls and a missing program is reported by name. */
static int resolve_program(char **out, const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	struct rlp_buf b = RLP_BUF_INIT;

	*out = NULL;
	if (!*name)
		return rlp_error_set(RLP_EINVALID, "empty program name");
	if (strchr(name, '/')) {
		if (!is_executable_file(name))
			return rlp_error_set(RLP_ENOTFOUND, "cannot run '%s': %s", name,
					     access(name, F_OK) ? "no such file" : "not executable");
		if (!(*out = strdup(name)))
			return rlp_error_set(RLP_ENOMEM, "out of memory");
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		b.len = 0;
		if (end == p)
			rlp_buf_puts(&b, "."); /* an empty PATH entry is the current directory */
		else
			rlp_buf_put(&b, p, (size_t)(end - p));
		rlp_buf_putc(&b, '/');
		if (rlp_buf_puts(&b, name) < 0) {
			rlp_buf_free(&b);
			return RLP_ENOMEM;
		}
		if (is_executable_file(b.ptr))
			return rlp_buf_detach(out, &b);
		if (!*end)
			break;
	}
	rlp_buf_free(&b);
	return rlp_error_set(RLP_ENOTFOUND, "cannot run '%s': not found in PATH", name);
}

static size_t env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* The parent's environment with `extra` applied; the strings are shared. */
static int build_env(char ***out, const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	*out = NULL;
	while (environ && environ[n])
		n++;
	while (extra && extra[m])
		m++;
	if (!(env = calloc(n + m + 1, sizeof(*env))))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t len = env_name_len(environ[i]);
		bool replaced = false;
		for (size_t j = 0; j < m && !replaced; j++)
			replaced = env_name_len(extra[j]) == len &&
				   !strncmp(extra[j], environ[i], len);
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		if (strchr(extra[j], '='))
			env[k++] = (char *)extra[j];
	*out = env;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A pipe whose ends are close-on-exec and above the stdio numbers, so that
 * the dup2() calls in the child cannot clobber one another. */
static int make_pipe(int fds[2])
{
	int raw[2];

	if (pipe(raw) < 0)
		return rlp_error_set(RLP_ERROR, "cannot create a pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		fds[i] = fcntl(raw[i], F_DUPFD_CLOEXEC, 3);
		close(raw[i]);
	}
	if (fds[0] < 0 || fds[1] < 0) {
		close_fd(&fds[0]);
		close_fd(&fds[1]);
		return rlp_error_set(RLP_ERROR, "cannot create a pipe: %s", strerror(errno));
	}
	return 0;
}

struct child_setup {
	const char *path;
	char *const *argv;
	char *const *envp;
	int in, out, err, report;
	long max_fd;
	sigset_t mask;
};

/* Runs between fork() and exec(): async-signal-safe calls only. */
__attribute__((noreturn)) static void child_exec(const struct child_setup *c)
{
	struct sigaction dfl;
	int e;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, NULL);
	pthread_sigmask(SIG_SETMASK, &c->mask, NULL);
	if (dup2(c->in, 0) < 0 || dup2(c->out, 1) < 0 || dup2(c->err, 2) < 0 ||
	    dup2(c->report, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	closefrom(4);
#else
	for (long fd = 4; fd < c->max_fd; fd++)
		close((int)fd);
#endif
	execve(c->path, c->argv, c->envp);
fail:
	e = errno;
	if (write(3, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int append_capped(struct rlp_buf *b, const char *data, size_t len, const char *name,
			 const char *what)
{
	if (rlp_buf_put(b, data, len) < 0)
		return rlp_error_set(RLP_ERROR, "'%s' wrote more than %zu bytes to %s", name,
				     b->max, what);
	return 0;
}

/* Wait for the child; past the deadline it is killed. */
static int reap(int *status, pid_t pid, int64_t deadline, const char *name, int timeout_ms)
{
	int st = 0, nap = 1;
	bool killed = false;

	for (;;) {
		pid_t r = waitpid(pid, &st, deadline ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rlp_error_set(RLP_ERROR, "cannot wait for '%s': %s", name,
					     strerror(errno));
		if (!killed && now_ms() >= deadline) {
			kill(pid, SIGKILL);
			killed = true;
			deadline = 0; /* now a blocking wait */
			continue;
		}
		sleep_ms(nap);
		if (nap < 50)
			nap *= 2;
	}
	if (killed)
		return rlp_error_set(RLP_ERROR, "'%s' timed out after %d ms", name, timeout_ms);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	return 0;
}

struct streams {
	int in, out, err;
	const char *input;
	size_t input_len, written;
};

/* One round of feeding stdin and draining stdout/stderr: 1 when nothing
 * happened within wait_ms, 0 when something did, < 0 on error. */
static int pump(struct streams *s, struct rlp_proc *out, const char *name, int wait_ms)
{
	struct pollfd pfd[3];
	int *fdp[3];
	nfds_t n = 0;
	char chunk[PROC_CHUNK];
	int error = 0;

	if (s->in >= 0) {
		pfd[n] = (struct pollfd){s->in, POLLOUT, 0};
		fdp[n++] = &s->in;
	}
	if (s->out >= 0) {
		pfd[n] = (struct pollfd){s->out, POLLIN, 0};
		fdp[n++] = &s->out;
	}
	if (s->err >= 0) {
		pfd[n] = (struct pollfd){s->err, POLLIN, 0};
		fdp[n++] = &s->err;
	}
	int ready = poll(pfd, n, wait_ms);
	if (ready < 0)
		return errno == EINTR ? 0
				      : rlp_error_set(RLP_ERROR, "poll: %s", strerror(errno));
	if (ready == 0)
		return 1;
	for (nfds_t i = 0; i < n && !error; i++) {
		if (!pfd[i].revents)
			continue;
		if (fdp[i] == &s->in) {
			size_t left = s->input_len - s->written;
			ssize_t w = write(s->in, s->input + s->written,
					  left < PROC_CHUNK ? left : PROC_CHUNK);
			if (w > 0)
				s->written += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				close_fd(&s->in); /* EPIPE: the child does not want the rest */
			if (s->written == s->input_len)
				close_fd(&s->in);
			continue;
		}
		ssize_t r = read(*fdp[i], chunk, sizeof(chunk));
		if (r > 0)
			error = append_capped(fdp[i] == &s->out ? &out->out : &out->err, chunk,
					      (size_t)r, name, fdp[i] == &s->out ? "stdout" : "stderr");
		else if (r == 0 || (errno != EAGAIN && errno != EINTR))
			close_fd(fdp[i]);
	}
	return error;
}

int rlp_proc_run(struct rlp_proc *out, const char *const *argv,
		 const struct rlp_proc_options *opts)
{
	static const struct rlp_proc_options defaults = RLP_PROC_OPTIONS_INIT;
	struct rlp_proc init = RLP_PROC_INIT;
	struct child_setup c;
	struct streams s = {-1, -1, -1, NULL, 0, 0};
	int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, rep[2] = {-1, -1};
	char *path = NULL, **envp = NULL;
	sigset_t block, pending_before, pending_after;
	bool masked = false, had_sigpipe = false, exited = false;
	pid_t pid = -1;
	int64_t deadline = 0;
	int timeout_ms, error = 0, child_errno = 0, wstatus = 0;
	ssize_t r;

	*out = init;
	if (!opts)
		opts = &defaults;
	out->out.max = opts->out_max ? opts->out_max : PROC_DEFAULT_CAP;
	out->err.max = opts->err_max ? opts->err_max : PROC_DEFAULT_CAP;
	timeout_ms = opts->timeout_ms ? opts->timeout_ms : PROC_DEFAULT_TIMEOUT_MS;
	if (!argv || !argv[0])
		return rlp_error_set(RLP_EINVALID, "no program to run");
	if ((error = resolve_program(&path, argv[0])) < 0 ||
	    (error = build_env(&envp, opts->env)) < 0)
		goto done;
	if ((error = make_pipe(in)) < 0 || (error = make_pipe(outp)) < 0 ||
	    (error = make_pipe(errp)) < 0 || (error = make_pipe(rep)) < 0)
		goto done;

	/* A child that stops reading must not kill us with SIGPIPE: block it on
	 * this thread and swallow the one our writes may raise. */
	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	sigpending(&pending_before);
	had_sigpipe = sigismember(&pending_before, SIGPIPE) == 1;
	if (pthread_sigmask(SIG_BLOCK, &block, &c.mask) != 0) {
		error = rlp_error_set(RLP_ERROR, "cannot block SIGPIPE");
		goto done;
	}
	masked = true;

	c.path = path;
	c.argv = (char *const *)argv;
	c.envp = envp;
	c.in = in[0];
	c.out = outp[1];
	c.err = errp[1];
	c.report = rep[1];
	c.max_fd = sysconf(_SC_OPEN_MAX);
	if (c.max_fd < 0 || c.max_fd > 65536)
		c.max_fd = 65536;
	if ((pid = fork()) < 0) {
		error = rlp_error_set(RLP_ERROR, "cannot start '%s': %s", argv[0], strerror(errno));
		goto done;
	}
	if (pid == 0)
		child_exec(&c);

	close_fd(&in[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	close_fd(&rep[1]);
	/* The report pipe closes on a successful exec, or carries errno. */
	do
		r = read(rep[0], &child_errno, sizeof(child_errno));
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)sizeof(child_errno)) {
		int ignored;
		reap(&ignored, pid, 0, argv[0], timeout_ms);
		pid = -1;
		error = rlp_error_set(child_errno == ENOENT ? RLP_ENOTFOUND : RLP_ERROR,
				      "cannot run '%s': %s", argv[0], strerror(child_errno));
		goto done;
	}

	s.in = in[1];
	s.out = outp[0];
	s.err = errp[0];
	in[1] = outp[0] = errp[0] = -1;
	s.input = opts->input;
	s.input_len = opts->input ? opts->input_len : 0;
	if (!s.input_len)
		close_fd(&s.in);
	else
		fcntl(s.in, F_SETFL, fcntl(s.in, F_GETFL) | O_NONBLOCK);
	fcntl(s.out, F_SETFL, fcntl(s.out, F_GETFL) | O_NONBLOCK);
	fcntl(s.err, F_SETFL, fcntl(s.err, F_GETFL) | O_NONBLOCK);
	if (timeout_ms > 0)
		deadline = now_ms() + timeout_ms;

	while (s.in >= 0 || s.out >= 0 || s.err >= 0) {
		int wait_ms = 200;
		if (deadline) {
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				kill(pid, SIGKILL);
				error = rlp_error_set(RLP_ERROR, "'%s' timed out after %d ms",
						      argv[0], timeout_ms);
				break;
			}
			if (left < wait_ms)
				wait_ms = (int)left;
		}
		if ((error = pump(&s, out, argv[0], wait_ms)) < 0) {
			kill(pid, SIGKILL);
			break;
		}
		/* Idle: if the child is gone, a daemon it started may still hold
		 * the pipes (gpg-agent); take what is there and stop. */
		if (error == 1 && waitpid(pid, &wstatus, WNOHANG) == pid) {
			exited = true;
			while ((error = pump(&s, out, argv[0], 0)) == 0)
				;
			if (error > 0)
				error = 0;
			break;
		}
		error = 0;
	}
	close_fd(&s.in);
	close_fd(&s.out);
	close_fd(&s.err);
	if (exited) {
		out->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
			      : WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus)
						     : 255;
	} else {
		int reaped = reap(&out->status, pid, error ? 0 : deadline, argv[0], timeout_ms);
		if (!error)
			error = reaped;
	}
	pid = -1;

done:
	if (pid > 0) {
		int ignored;
		kill(pid, SIGKILL);
		reap(&ignored, pid, 0, argv[0], timeout_ms);
	}
	if (masked) {
		sigpending(&pending_after);
		if (!had_sigpipe && sigismember(&pending_after, SIGPIPE) == 1) {
			struct timespec zero = {0, 0};
			while (sigtimedwait(&block, NULL, &zero) < 0 && errno == EINTR)
				;
		}
		pthread_sigmask(SIG_SETMASK, &c.mask, NULL);
	}
	close_fd(&s.in);
	close_fd(&s.out);
	close_fd(&s.err);
	for (int i = 0; i < 2; i++) {
		close_fd(&in[i]);
		close_fd(&outp[i]);
		close_fd(&errp[i]);
		close_fd(&rep[i]);
	}
	free(envp);
	free(path);
	/* a capped buffer that failed is still readable up to the cap */
	out->out.failed = out->err.failed = false;
	return error;
}

void rlp_proc_clear(struct rlp_proc *proc)
{
	if (!proc)
		return;
	rlp_buf_free(&proc->out);
	rlp_buf_free(&proc->err);
	proc->status = -1;
}
