/*
 * stdio console backend for the guest UART: raw terminal mode, Ctrl-A escapes, and
 * input flow control.
 *
 * Invariants:
 * - The saved terminal state is restored exactly once whatever ends the process:
 *   console_stop(), atexit, a terminating signal (SIGTERM/SIGINT/SIGHUP/SIGQUIT) or a
 *   crash signal whose disposition was the default when the console started. Restoring
 *   uses only tcsetattr(), which is async-signal-safe.
 * - stdin is read by one helper thread with blocking read(), which works for terminals,
 *   pipes, regular files and /dev/null alike (epoll refuses the last two). Bytes the
 *   device could not take wait in `pend`, and the thread sleeps until the device calls
 *   rx_ready(); no byte is dropped or reordered.
 * - Guest output goes to stdout with full writes; a closed stdout (EPIPE) drops output
 *   rather than killing the process (SIGPIPE is ignored).
 */
#include "board/console.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CON_ESC 0x01 /* Ctrl-A */

static struct termios con_saved;
static volatile sig_atomic_t con_raw; /* 1 while the terminal is in raw mode */
static atomic_bool con_stopping;

static struct chardev *con_cd;
static void (*con_quit)(void *);
static void *con_quit_opaque;

static pthread_mutex_t con_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t con_cond = PTHREAD_COND_INITIALIZER;
static unsigned con_ready_gen; /* bumped by rx_ready under con_lock */

static const int con_term_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
static const int con_crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

void console_stop(void)
{
    atomic_store(&con_stopping, true);
    if (con_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &con_saved);
        con_raw = 0;
    }
}

static void con_atexit(void)
{
    console_stop();
}

static void con_signal(int sig)
{
    /* restore, then die of the same signal so the parent sees the real cause */
    if (con_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &con_saved);
        con_raw = 0;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void con_write_all(const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t r = write(STDOUT_FILENO, buf, len);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
                continue;
            }
            return; /* stdout closed: drop guest output */
        }
        buf += r;
        len -= (size_t)r;
    }
}

static void con_write(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    con_write_all(buf, len);
}

static void con_rx_ready(void *opaque)
{
    (void)opaque;
    pthread_mutex_lock(&con_lock);
    con_ready_gen++;
    pthread_cond_broadcast(&con_cond);
    pthread_mutex_unlock(&con_lock);
}

unsigned console_filter(bool *esc, const unsigned char *in, unsigned n, unsigned char *out,
                        bool *quit, bool *help)
{
    unsigned o = 0;
    for (unsigned i = 0; i < n && !*quit; i++) {
        unsigned char ch = in[i];
        if (!*esc) {
            if (ch == CON_ESC)
                *esc = true;
            else
                out[o++] = ch;
            continue;
        }
        *esc = false;
        switch (ch) {
        case 'x':
        case 'X': *quit = true; break;
        case 'h':
        case 'H':
        case '?': *help = true; break;
        case CON_ESC: out[o++] = CON_ESC; break;
        default: break; /* unknown escapes are swallowed, as QEMU does */
        }
    }
    return o;
}

/* Offers buf to the device until it has taken everything (or we are stopping). */
static void con_feed(const uint8_t *buf, size_t len)
{
    while (len && !atomic_load(&con_stopping)) {
        pthread_mutex_lock(&con_lock);
        unsigned gen = con_ready_gen;
        pthread_mutex_unlock(&con_lock);
        size_t took = chardev_input(con_cd, buf, len);
        buf += took;
        len -= took;
        if (!len) break;
        /* full: wait for rx_ready (or poll every 10 ms in case a device never calls it) */
        pthread_mutex_lock(&con_lock);
        if (con_ready_gen == gen) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 10000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&con_cond, &con_lock, &ts);
        }
        pthread_mutex_unlock(&con_lock);
    }
}

static void con_help(void)
{
    static const char msg[] = "\r\nomnivm console escapes:\r\n"
                              "  Ctrl-A X       quit omnivm\r\n"
                              "  Ctrl-A H       print this help\r\n"
                              "  Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n";
    con_write_all((const uint8_t *)msg, sizeof(msg) - 1);
}

static void *con_reader(void *arg)
{
    (void)arg;
    bool esc = false;
    unsigned char in[256], out[256];
    while (!atomic_load(&con_stopping)) {
        ssize_t r = read(STDIN_FILENO, in, sizeof(in));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break; /* EOF or error: the guest simply gets no more input */
        bool quit = false, help = false;
        unsigned n = console_filter(&esc, in, (unsigned)r, out, &quit, &help);
        con_feed(out, n);
        if (help) con_help();
        if (quit) {
            static const char bye[] = "\r\nomnivm: quit (Ctrl-A X)\r\n";
            con_write_all((const uint8_t *)bye, sizeof(bye) - 1);
            if (con_quit) con_quit(con_quit_opaque);
            break;
        }
    }
    return NULL;
}

static int con_raw_mode(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &con_saved) < 0) return 0;
    struct termios t = con_saved;
    /* QEMU's stdio settings: no line editing, echo or signals; output processing stays
     * on so a guest "\n" still returns the carriage on terminals that need it. */
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    con_raw = 1;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0) {
        con_raw = 0;
        return -errno;
    }
    return 0;
}

int console_start(struct chardev *cd, void (*quit)(void *opaque), void *opaque)
{
    con_cd = cd;
    con_quit = quit;
    con_quit_opaque = opaque;
    cd->write = con_write;
    cd->rx_ready = con_rx_ready;
    cd->opaque = NULL;
    signal(SIGPIPE, SIG_IGN);

    struct sigaction sa = {0};
    sa.sa_handler = con_signal;
    sigemptyset(&sa.sa_mask);
    for (unsigned i = 0; i < sizeof(con_term_signals) / sizeof(con_term_signals[0]); i++)
        sigaction(con_term_signals[i], &sa, NULL);
    /* crash signals only where nobody else (an engine's fault handler) is installed */
    for (unsigned i = 0; i < sizeof(con_crash_signals) / sizeof(con_crash_signals[0]); i++) {
        struct sigaction old;
        if (sigaction(con_crash_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
            !(old.sa_flags & SA_SIGINFO))
            sigaction(con_crash_signals[i], &sa, NULL);
    }
    atexit(con_atexit);
    int r = con_raw_mode();
    if (r < 0) return r;

    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* the reader must not take signals meant for the process (they go to any thread) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    r = pthread_create(&th, &attr, con_reader, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (r) {
        console_stop();
        return -r;
    }
    return 0;
}
