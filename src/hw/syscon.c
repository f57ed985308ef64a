/*
 * SiFive test finisher (power off, reset, fail with a code).
 *
 * Invariants: the device keeps no register state, so it needs no lock of its own beyond
 * what the callback does; the callback is called without any device lock held, once per
 * recognised write (a guest that writes twice is told twice; the board decides).
 */
#include "hw/syscon.h"

#include <stdlib.h>

struct syscon {
    syscon_cb *cb;
    void *opaque;
};

static uint64_t syscon_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void syscon_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct syscon *s = opaque;
    /* The value's low half selects the action, so the register must be written at least
     * 16 bits wide at offset 0 (Linux's regmap and OpenSBI write 32 bits). */
    if (offset != 0 || size < 2 || !s->cb)
        return;
    uint32_t v = (uint32_t)value;
    switch (v & 0xffff) {
    case SYSCON_VAL_PASS:
        s->cb(s->opaque, SYSCON_POWEROFF, 0);
        break;
    case SYSCON_VAL_RESET:
        s->cb(s->opaque, SYSCON_RESET, 0);
        break;
    case SYSCON_VAL_FAIL:
        s->cb(s->opaque, SYSCON_FAIL, size >= 4 ? v >> 16 : 0);
        break;
    default:
        break;
    }
}

const struct mmio_ops syscon_mmio_ops = {.read = syscon_read, .write = syscon_write};

struct syscon *syscon_new(syscon_cb *cb, void *opaque)
{
    struct syscon *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cb = cb;
    s->opaque = opaque;
    return s;
}

void syscon_free(struct syscon *s)
{
    free(s);
}
