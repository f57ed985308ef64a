/*
 * The unit tests' reporting: checks are grouped; each group prints one line, "ok NAME"
 * or "not ok NAME: first failure", the format tests/run counts. A test's main returns
 * n_failed_groups != 0. Define UNIT_PREFIX (e.g. "board/") before including to prefix
 * group names.
 */
#ifndef OMNIVM_TESTS_UNIT_H
#define OMNIVM_TESTS_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#ifndef UNIT_PREFIX
#define UNIT_PREFIX ""
#endif

static int n_failed_groups;
static const char *grp_name;
static bool grp_failed;
static char grp_reason[512];

static inline void group(const char *name)
{
    grp_name = name;
    grp_failed = false;
    grp_reason[0] = 0;
}

/* Records the first failure of the group; returns ok so callers can bail out early. */
__attribute__((format(printf, 2, 3))) static inline bool expect(bool ok, const char *fmt, ...)
{
    if (!ok && !grp_failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(grp_reason, sizeof(grp_reason), fmt, ap);
        va_end(ap);
        grp_failed = true;
    }
    return ok;
}

static inline void group_end(void)
{
    if (grp_failed) {
        printf("not ok " UNIT_PREFIX "%s: %s\n", grp_name, grp_reason);
        n_failed_groups++;
    } else {
        printf("ok " UNIT_PREFIX "%s\n", grp_name);
    }
}

#endif
