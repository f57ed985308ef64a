/* Linux user mode: the entry point main.c calls for `omnivm user`. */
#ifndef OMNIVM_USER_USER_H
#define OMNIVM_USER_USER_H

#include "exec/exec.h"

struct lu_options {
    const char *program;   /* path of the guest ELF */
    int argc;              /* guest argv (argv[0] is the program as the user named it) */
    char **argv;
    const char *sysroot;   /* -L: where PT_INTERP and absolute paths of the guest resolve */
    bool strace;
    struct exec_options exec;
};

/* Loads and runs the program; returns the guest's exit status (0..255), or 128+signal if
 * it died of a signal, or 1 after printing one error line if it could not be started. */
int lu_main(const struct lu_options *opt);

#endif
