/*
 * Loading boot images into guest RAM for system mode: firmware, kernels (the RISC-V
 * Linux "Image" format or ELF), initrds and raw blobs.
 *
 * Invariants: nothing read from a file is trusted; every header field is bounds-checked
 * before use, and a bad file yields one "omnivm: ..." line (printed here, naming the file)
 * and a negative errno, never a crash. Images are placed through physmap_ram_ptr(), so a
 * segment that would leave RAM is an error, not a write into host memory.
 */
#ifndef OMNIVM_BOARD_LOADER_H
#define OMNIVM_BOARD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/physmap.h"

/* A whole file in host memory. */
struct loader_file {
    const char *path;
    uint8_t *data;
    size_t size;
};

/* Reads path (at most max bytes; larger files are an error naming what): 0 or -errno. */
int loader_read_file(const char *path, const char *what, size_t max, struct loader_file *f)
    __attribute__((warn_unused_result));
void loader_file_free(struct loader_file *f);

enum loader_kind {
    LOADER_UNKNOWN,
    LOADER_RISCV_IMAGE, /* Linux riscv Image: flat, text_offset from RAM base */
    LOADER_ELF,
    LOADER_ARM64_IMAGE, /* recognised only to name the architecture */
    LOADER_X86_BZIMAGE,
};

/* What a kernel file is, from its header alone. */
struct loader_probe {
    enum loader_kind kind;
    const char *arch;     /* "riscv64", "aarch64", "x86-64", ... or NULL */
    uint64_t text_offset; /* RISCV_IMAGE: load offset from the start of RAM */
    uint64_t image_size;  /* RISCV_IMAGE: bytes of memory the kernel occupies */
    uint16_t elf_machine; /* ELF */
    bool elf64;
};

/* Classifies f; RISC-V Images and RISC-V ELFs are also checked for internal consistency
 * (truncation, bad header fields). Returns 0 (kind may be LOADER_UNKNOWN) or -EINVAL
 * after an error line for a file that claims a format but is corrupt. */
int loader_probe(const struct loader_file *f, struct loader_probe *p)
    __attribute__((warn_unused_result));

/* Result of loading an ELF. */
struct loader_elf {
    uint64_t entry;
    uint64_t low, high; /* lowest and one past the highest loaded address */
    uint64_t tohost;    /* address of the `tohost` symbol, 0 if none (HTIF) */
    uint64_t fromhost;  /* `fromhost`, 0 if none */
};

/* Loads the PT_LOAD segments of a RISC-V ELF64 executable at their physical addresses. */
int loader_load_elf(const struct physmap *pm, const struct loader_file *f, struct loader_elf *out)
    __attribute__((warn_unused_result));

/* Copies f to guest RAM at addr; mem_size (>= f->size) bytes must be RAM and the bytes
 * past the file are zeroed. what names the image in errors. */
int loader_load_raw(const struct physmap *pm, const struct loader_file *f, uint64_t addr,
                    uint64_t mem_size, const char *what) __attribute__((warn_unused_result));

#endif
