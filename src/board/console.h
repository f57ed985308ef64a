/*
 * The machine console on the host's stdio: a character backend (hw/chardev.h) for the
 * guest's UART. When stdin is a terminal it is put in raw mode (so Ctrl-C and friends
 * reach the guest) and restored on every exit path: normal return, exit(), fatal and
 * terminating signals. Ctrl-A is the escape key: Ctrl-A X quits, Ctrl-A H prints help,
 * Ctrl-A Ctrl-A sends one Ctrl-A to the guest.
 */
#ifndef OMNIVM_BOARD_CONSOLE_H
#define OMNIVM_BOARD_CONSOLE_H

#include <stdbool.h>

#include "hw/chardev.h"

/* Attaches stdio to cd (its write and rx_ready hooks) and starts reading stdin on a
 * helper thread. quit(opaque) runs (on that thread) when the user types Ctrl-A X.
 * Returns 0 or -errno. Call once per process. */
int console_start(struct chardev *cd, void (*quit)(void *opaque), void *opaque)
    __attribute__((warn_unused_result));

/* Restores the terminal (idempotent, async-signal-safe); stdin is no longer read. */
void console_stop(void);

/* The escape-key state machine, exposed for unit tests: processes n input bytes into
 * out (at most n bytes) and returns the count to send to the guest. *esc carries a
 * pending Ctrl-A between calls. Sets *quit / *help when those keys were typed; input
 * after a quit key is dropped. */
unsigned console_filter(bool *esc, const unsigned char *in, unsigned n, unsigned char *out,
                        bool *quit, bool *help);

#endif
