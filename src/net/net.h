/*
 * Network backends: where a virtual NIC's Ethernet frames go and come from (libslirp's
 * user-mode stack, a TAP device). A backend is separate from the NIC that uses it
 * (TinyEMU's EthernetDevice), so virtio-net and a later NIC share them.
 *
 * Contract:
 * - net_send() may be called from any thread (a vCPU, with the NIC's lock held). It
 *   copies the frame and never calls the receive callback before returning, so the NIC
 *   may hold its lock across it.
 * - The receive callback runs on the backend's own thread, one frame at a time, after
 *   net_attach() and until net_free() returns. A NIC that cannot take a frame drops it
 *   (TCP retransmits).
 */
#ifndef OMNIVM_NET_NET_H
#define OMNIVM_NET_NET_H

#include <stddef.h>
#include <stdint.h>

struct net_backend;

typedef void net_receive_fn(void *opaque, const uint8_t *frame, size_t len);

struct net_backend_ops {
    int (*start)(struct net_backend *be); /* begin delivering frames (threads start here) */
    int (*send)(struct net_backend *be, const uint8_t *frame, size_t len);
    void (*free)(struct net_backend *be); /* stops the backend's thread first */
};

struct net_backend {
    const struct net_backend_ops *ops;
    const char *name;
    net_receive_fn *receive;
    void *opaque;
};

/* Largest frame a backend passes either way (64 KiB of payload plus headers). */
#define NET_FRAME_MAX 65550

/* Connects the NIC; returns 0 or a negative errno from starting the backend. */
static inline int net_attach(struct net_backend *be, net_receive_fn *fn, void *opaque)
{
    be->receive = fn;
    be->opaque = opaque;
    return be->ops->start(be);
}

static inline int net_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
    return be->ops->send(be, frame, len);
}

static inline void net_free(struct net_backend *be)
{
    if (be)
        be->ops->free(be);
}

/* User-mode networking: 10.0.2.0/24, gateway and host 10.0.2.2 (which also reaches the
 * host's 127.0.0.1), DNS 10.0.2.3, DHCP from 10.0.2.15. opts is the text after
 * "user," on the command line: comma-separated
 *   hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
 * A bad option gives one error line (error_msg) and -EINVAL; a port in use -EADDRINUSE.
 * Without libslirp in the build: -ENOTSUP. */
int net_slirp_new(const char *opts, struct net_backend **out) __attribute__((warn_unused_result));
/* One more forwarding rule, "tcp::2222-:22" (the text after "hostfwd="); only before the
 * backend is attached to a NIC. Errors as above, with one error line. */
int net_slirp_add_hostfwd(struct net_backend *be, const char *rule)
    __attribute__((warn_unused_result));

/* An existing TAP interface (e.g. made by `ip tuntap add NAME mode tap`); -ENOENT etc. */
int net_tap_new(const char *ifname, struct net_backend **out) __attribute__((warn_unused_result));

#endif
