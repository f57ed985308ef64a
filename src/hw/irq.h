/*
 * Interrupt lines between devices and interrupt controllers. A device owns a struct
 * irq_line wired by the board to a controller input; it raises or lowers the level and
 * never touches a CPU. Controllers deliver to harts through their own hooks.
 */
#ifndef OMNIVM_HW_IRQ_H
#define OMNIVM_HW_IRQ_H

struct irq_line {
    void (*set)(void *opaque, unsigned n, int level); /* NULL: not connected */
    void *opaque;
    unsigned n;
};

static inline void irq_set(const struct irq_line *l, int level)
{
    if (l->set)
        l->set(l->opaque, l->n, level);
}

#endif
