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

/* Loads and runs the program; returns the guest's exit status (0..255). A guest killed by
 * a signal kills omnivm with the same signal (core dumps off), so the parent sees what it
 * would see natively. Returns 1 after one error line if the program could not start. */
int lu_main(const struct lu_options *opt);

#endif
