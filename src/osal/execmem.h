/*
 * Executable memory for generated code (the JIT's code cache), with W^X where it can be
 * had: the same memory is mapped twice, once read+execute (where code runs) and once
 * read+write (where it is written and patched), from one memfd. Where that is not
 * possible (no memfd) the fallback is one read+write+execute mapping, which Linux on
 * x86-64 allows; then rw == rx.
 *
 * Invariants:
 * - The two views are one reservation: rw = rx + delta with 0 <= delta <= 1 GiB, so code
 *   can address its own writable view with rip-relative 32-bit displacements.
 * - execmem_fork_child() gives a forked child its own memory at the same addresses (a
 *   MAP_SHARED memfd would otherwise stay shared with the parent), keeping only a prefix
 *   the parent no longer writes: the rest may be half-written by the parent meanwhile.
 */
#ifndef OMNIVM_OSAL_EXECMEM_H
#define OMNIVM_OSAL_EXECMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct execmem {
    uint8_t *rx;  /* where code executes */
    uint8_t *rw;  /* where it is written; rx + delta */
    size_t size;
    bool dual;    /* two views (W^X); false: one RWX mapping */
    int fd;       /* the memfd (dual only), -1 otherwise */
};

/* Maps size bytes (rounded up to pages). near: a hint, mappings within 2 GiB of it let
 * code call functions near it with rel32 calls (NULL: anywhere). Returns 0 or -errno.
 * OMNIVM_JIT_RWX=1 in the environment forces the single RWX mapping. */
int execmem_alloc(struct execmem *m, size_t size, const void *near)
    __attribute__((warn_unused_result));
void execmem_free(struct execmem *m);

/* The writable alias of an executable address inside m. */
static inline void *execmem_rw(const struct execmem *m, const void *rx)
{
    return (uint8_t *)rx + (m->rw - m->rx);
}

/* In a child after fork(): replace the shared memory by private memory in place, with a
 * copy of its first `keep` bytes (the rest reads as zero). */
int execmem_fork_child(struct execmem *m, size_t keep);

#endif
