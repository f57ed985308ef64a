/*
 * System mode as seen by the command line: `omnivm run` parses its options into a struct
 * vm_config (board_cli.c) and hands it to the board of the chosen architecture
 * (riscv_virt.c), which builds the machine, boots it and returns the process exit status.
 */
#ifndef OMNIVM_BOARD_BOARD_H
#define OMNIVM_BOARD_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/exec.h"

#define VM_MAX_DISKS 6
#define VM_MAX_HARTS 32
#define VM_MAX_HOSTFWD 8

struct vm_disk {
    const char *path;
    bool readonly;
};

struct vm_config {
    const char *arch;   /* NULL: inferred from the kernel */
    const char *kernel; /* required */
    const char *initrd;
    const char *append; /* kernel command line */
    const char *bios;   /* NULL: the board's default; "none": no firmware */
    uint64_t mem;       /* bytes of RAM */
    unsigned smp;
    unsigned mmu_levels; /* deepest page-table mode the harts accept: 3 Sv39 (default),
                            4 Sv48, 5 Sv57 */
    struct vm_disk disks[VM_MAX_DISKS];
    unsigned ndisks;
    bool net;                            /* --net user */
    const char *hostfwd[VM_MAX_HOSTFWD]; /* "tcp::HOST-:GUEST" rules */
    unsigned nhostfwd;
    bool rng;
    const char *dumpdtb; /* write the device tree here and exit (debugging) */
    struct exec_options exec;
};

/* `omnivm run ARGS...` (argv[0] is the first option): the process exit status. */
int board_main(int argc, char **argv);

/* The riscv virt machine: builds, boots and runs until power-off or quit. Returns the
 * exit status: 0 after a clean power-off or Ctrl-A X, the guest's code for a failing
 * power-off or HTIF exit, 1 (after one error line) if the machine cannot be built. */
int riscv_virt_run(const struct vm_config *cfg);

/* Parses a memory size: "512M", "2G", "65536K", "1073741824B"; a bare number is MiB (as
 * QEMU's -m). Returns 0 or -EINVAL. */
int board_parse_size(const char *s, uint64_t *out);

#endif
