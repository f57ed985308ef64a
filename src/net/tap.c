/*
 * TAP backend: Ethernet frames to and from a host tap interface (/dev/net/tun with
 * IFF_TAP | IFF_NO_PI). The interface is made and configured outside omnivm (ip tuntap),
 * so omnivm needs no privileges beyond access to that device.
 *
 * Threading: send() writes the frame directly (one write per frame is atomic on a tap
 * fd, so any thread may call it); a reader thread poll()s the fd and delivers frames.
 * Invariant: the receive callback never runs after tap_free returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "net/net.h"

struct tap_be {
    struct net_backend be;
    int fd, stopfd;
    pthread_t thread;
    bool started;
    uint8_t buf[NET_FRAME_MAX];
};

static void *tap_thread(void *arg)
{
    struct tap_be *t = arg;
    struct pollfd p[2] = {{.fd = t->fd, .events = POLLIN}, {.fd = t->stopfd, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))
            break;
        /* Drain what is queued before polling again. */
        for (;;) {
            ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
            if (n <= 0)
                break;
            if (t->be.receive)
                t->be.receive(t->be.opaque, t->buf, (size_t)n);
        }
    }
    return NULL;
}

static int tap_start(struct net_backend *be)
{
    struct tap_be *t = (struct tap_be *)be;
    if (t->started)
        return 0;
    int r = pthread_create(&t->thread, NULL, tap_thread, t);
    if (r)
        return -r;
    pthread_setname_np(t->thread, "tap");
    t->started = true;
    return 0;
}

static int tap_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
    struct tap_be *t = (struct tap_be *)be;
    for (;;) {
        ssize_t n = write(t->fd, frame, len);
        if (n >= 0)
            return 0;
        if (errno != EINTR)
            return -errno; /* EAGAIN: the host queue is full, the frame is dropped */
    }
}

static void tap_free(struct net_backend *be)
{
    struct tap_be *t = (struct tap_be *)be;
    if (t->started) {
        uint64_t one = 1;
        ssize_t k = write(t->stopfd, &one, sizeof(one));
        (void)k;
        pthread_join(t->thread, NULL);
    }
    close(t->stopfd);
    close(t->fd);
    free(t);
}

static const struct net_backend_ops tap_ops = {
    .start = tap_start,
    .send = tap_send,
    .free = tap_free,
};

int net_tap_new(const char *ifname, struct net_backend **out)
{
    struct ifreq ifr = {0};
    if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
        return -EINVAL;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct tap_be *t = calloc(1, sizeof(*t));
    if (!t) {
        close(fd);
        return -ENOMEM;
    }
    t->stopfd = eventfd(0, EFD_CLOEXEC);
    if (t->stopfd < 0) {
        int e = -errno;
        close(fd);
        free(t);
        return e;
    }
    t->fd = fd;
    t->be.ops = &tap_ops;
    t->be.name = "tap";
    *out = &t->be;
    return 0;
}
