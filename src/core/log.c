/* Trace flags and the single-line error reporter shared by every room. */
#include "core/log.h"

#include <stdarg.h>
#include <string.h>

unsigned log_mask;
FILE *log_file;

static const struct {
    const char *name;
    unsigned bit;
    const char *help;
} log_flags[] = {
    {"in_asm", LOG_IN_ASM, "guest instructions as they are translated"},
    {"ir", LOG_IR, "IR of each block, before and after optimisation"},
    {"exec", LOG_EXEC, "each block as it is executed"},
    {"cpu", LOG_CPU, "guest registers before each block"},
    {"int", LOG_INT, "exceptions, interrupts and signals"},
    {"mmu", LOG_MMU, "page walks and TLB fills"},
};

int log_parse_flags(const char *s)
{
    while (*s) {
        size_t n = strcspn(s, ",");
        unsigned i;
        for (i = 0; i < sizeof(log_flags) / sizeof(log_flags[0]); i++)
            if (strlen(log_flags[i].name) == n && !strncmp(s, log_flags[i].name, n))
                break;
        if (i == sizeof(log_flags) / sizeof(log_flags[0])) {
            error_msg("unknown trace flag '%.*s' (try -d help)", (int)n, s);
            return -1;
        }
        log_mask |= log_flags[i].bit;
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

void log_flags_help(FILE *f)
{
    fprintf(f, "trace flags for -d (comma separated):\n");
    for (unsigned i = 0; i < sizeof(log_flags) / sizeof(log_flags[0]); i++)
        fprintf(f, "  %-8s %s\n", log_flags[i].name, log_flags[i].help);
}

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file ? log_file : stderr, fmt, ap);
    va_end(ap);
}

void error_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("omnivm: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
