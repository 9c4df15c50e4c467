/* The terminal progress bar (see progress_bar.h). */
#include "progress_bar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define REDRAW_NS 100000000LL /* 100 ms */

/* The bar whose line is on the screen now, for progress_interrupt(). */
static struct progress_bar *on_screen;

static long long elapsed_ns(const struct timespec *from, const struct timespec *to)
{
	return (long long)(to->tv_sec - from->tv_sec) * 1000000000LL + (to->tv_nsec - from->tv_nsec);
}

static int terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static void human_bytes(char *buf, size_t size, double v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void human_time(char *buf, size_t size, double s)
{
	if (s < 60)
		snprintf(buf, size, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

static void draw(struct progress_bar *bar, const struct timespec *now)
{
	char amount[64], rate[48] = "", left[32] = "", a[24], b[24], line[512];
	double secs = (double)elapsed_ns(&bar->start, now) / 1e9;
	double frac = bar->total ? (double)bar->done / (double)bar->total : 0;
	int width, cells, filled;

	if (frac > 1)
		frac = 1;
	if (bar->unit == PROGRESS_BYTES) {
		human_bytes(a, sizeof(a), (double)bar->done);
		human_bytes(b, sizeof(b), (double)bar->total);
		snprintf(amount, sizeof(amount), "%s / %s", a, b);
	} else {
		snprintf(amount, sizeof(amount), "%llu/%llu %s", (unsigned long long)bar->done,
			 (unsigned long long)bar->total, bar->noun ? bar->noun : "");
	}
	/* a rate means something once some work is done and some time passed */
	if (bar->done > 0 && secs >= 0.2) {
		double per_s = (double)bar->done / secs;
		if (bar->unit == PROGRESS_BYTES) {
			human_bytes(a, sizeof(a), per_s);
			snprintf(rate, sizeof(rate), "  %s/s", a);
		} else {
			snprintf(rate, sizeof(rate), per_s >= 1 ? "  %.1f/s" : "  %.2f/s", per_s);
		}
		if (bar->total > bar->done) {
			human_time(a, sizeof(a), (double)(bar->total - bar->done) / per_s);
			snprintf(left, sizeof(left), "  %s left", a);
		}
	}
	width = terminal_width();
	/* room for the figures at their widest, so the bar keeps its size */
	cells = width - (int)strlen(bar->label) - 52;
	if (cells > 40)
		cells = 40;
	if (cells < 5)
		cells = 0;
	filled = (int)(frac * cells);
	int n = snprintf(line, sizeof(line), "\r\033[K%s ", bar->label);
	if (cells) {
		line[n++] = '[';
		for (int i = 0; i < cells && n < (int)sizeof(line) - 200; i++)
			line[n++] = i < filled ? '#' : '.';
		line[n++] = ']';
		line[n] = '\0';
	}
	snprintf(line + n, sizeof(line) - (size_t)n, " %3.0f%%  %s%s%s", frac * 100, amount, rate,
		 left);
	fputs(line, stderr);
	fflush(stderr);
	bar->drawn = true;
	bar->last = *now;
	on_screen = bar;
}

static void report_callback(void *ctx, uint64_t done, uint64_t total)
{
	progress_update(ctx, done, total);
}

void progress_start(struct progress_bar *bar, const char *label, enum progress_unit unit,
		    const char *noun)
{
	const char *term = getenv("TERM");

	memset(bar, 0, sizeof(*bar));
	bar->report.update = report_callback;
	bar->report.ctx = bar;
	bar->label = label;
	bar->unit = unit;
	bar->noun = noun;
	bar->active = isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
	clock_gettime(CLOCK_MONOTONIC, &bar->start);
}

const struct rlp_progress *progress_of(struct progress_bar *bar)
{
	return bar->active ? &bar->report : NULL;
}

void progress_update(struct progress_bar *bar, uint64_t done, uint64_t total)
{
	struct timespec now;

	bar->done = done;
	bar->total = total;
	if (!bar->active)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (bar->drawn && elapsed_ns(&bar->last, &now) < REDRAW_NS)
		return;
	draw(bar, &now);
}

void progress_redraw(struct progress_bar *bar)
{
	struct timespec now;

	if (!bar->active)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	draw(bar, &now);
}

void progress_interrupt(void)
{
	if (!on_screen)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	on_screen->drawn = false;
	on_screen = NULL;
}

void progress_stop(struct progress_bar *bar)
{
	if (on_screen == bar)
		progress_interrupt();
	bar->active = false;
}
