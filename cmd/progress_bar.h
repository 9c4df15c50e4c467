/* Progress bars on stderr for long work, only when stderr is a terminal:
 * never in pipes, logs, tests or CI. The library reports through struct
 * rlp_progress (lib/progress.h); a bar turns the reports into one line,
 * redrawn at most every 100 ms with the rate and the time left, and erased
 * when done. */
#ifndef RLP_CMD_PROGRESS_BAR_H
#define RLP_CMD_PROGRESS_BAR_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "progress.h" /* lib/progress.h (this header has its own name so it is found) */

enum progress_unit { PROGRESS_BYTES, PROGRESS_COUNT };

struct progress_bar {
	struct rlp_progress report; /* hand &report (or progress_of()) to the library */
	const char *label;
	const char *noun;           /* PROGRESS_COUNT: "repeats", "files" */
	enum progress_unit unit;
	bool active;                /* stderr is a terminal */
	bool drawn;                 /* our line is on the screen */
	struct timespec start, last;
	uint64_t done, total;
};

/* Set a bar up; it stays silent unless stderr is a terminal (and TERM is
 * not "dumb"). `noun` names the units of PROGRESS_COUNT. */
void progress_start(struct progress_bar *bar, const char *label, enum progress_unit unit,
		    const char *noun);
/* The reporter to hand to the library: NULL when the bar is silent, so the
 * library does not even call back. */
const struct rlp_progress *progress_of(struct progress_bar *bar);
/* Report done of total; draws when 100 ms have passed since the last draw
 * (the first report draws at once). */
void progress_update(struct progress_bar *bar, uint64_t done, uint64_t total);
/* Draw now, whatever the time (after printing something else). */
void progress_redraw(struct progress_bar *bar);
/* Finished: erase the line. */
void progress_stop(struct progress_bar *bar);
/* Erase the bar on the screen, if any, before other output goes to stderr;
 * the next update draws it again. die(), error() and warning() call it. */
void progress_interrupt(void);

#endif
