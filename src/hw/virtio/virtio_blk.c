/*
 * virtio-blk over a raw image file: IN, OUT, FLUSH and GET_ID requests on one queue.
 *
 * A vCPU's QueueNotify only parses the request headers and hands the requests to the
 * device's worker thread, which does the file I/O straight into guest RAM (preadv and
 * pwritev on the chain's iovecs) and completes them in order. So a vCPU never waits for
 * the disk, and a FLUSH (fdatasync) completes only after every write before it.
 *
 * Invariants:
 * - A request the guest can express wrongly but harmlessly (range beyond the capacity, a
 *   length that is not a whole number of sectors, a write to a read-only disk, an unknown
 *   type) completes with an error status; only a chain without room for the header or
 *   status byte makes the device NEEDS_RESET, since it cannot be answered at all.
 * - A reset waits for the request the worker is doing I/O for and drops the rest, so
 *   nothing is written into guest memory for rings the driver has given up; completions
 *   carry the reset generation they were issued in and are discarded if it changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/virtio/virtio_devices.h"

#define BLK_QUEUE_SIZE 256
#define BLK_CONFIG_LEN 64 /* through the discard/write-zeroes fields, all zero */

struct blk_req {
    struct blk_req *next;
    uint32_t gen;
    uint32_t type;
    uint64_t sector;
    struct virtio_chain c;
};

struct virtio_blk {
    struct virtio_dev vd; /* first: the core's view */
    int fd;
    bool ro;
    uint64_t nsectors;
    char serial[VIRTIO_BLK_ID_BYTES];
    uint8_t config[BLK_CONFIG_LEN];

    /* worker: qlock protects the list, busy and stop */
    pthread_t worker;
    pthread_mutex_t qlock;
    pthread_cond_t wake, idle;
    struct blk_req *head, *tail;
    bool busy, stop;
    struct iovec data_iov[VIRTIO_CHAIN_MAX]; /* worker only */
};

/* ---- worker ---- */

/* Transfers every byte of iov at off, retrying short transfers. */
static int blk_rw_all(int fd, struct iovec *iov, unsigned n, uint64_t off, bool write)
{
    while (n) {
        ssize_t r = write ? pwritev(fd, iov, (int)(n > IOV_MAX ? IOV_MAX : n), (off_t)off)
                          : preadv(fd, iov, (int)(n > IOV_MAX ? IOV_MAX : n), (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -EIO; /* the file shrank under us */
        off += (uint64_t)r;
        while (n && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n) {
            iov->iov_base = (uint8_t *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return 0;
}

/* Does the request; returns the status byte and sets *written to the bytes put into the
 * writable part of the chain (the status byte included). */
static uint8_t blk_execute(struct virtio_blk *b, struct blk_req *r, uint32_t *written)
{
    struct virtio_chain *c = &r->c;
    struct iovec *in = c->iov + c->n_out;
    *written = 1;

    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: {
        bool wr = r->type == VIRTIO_BLK_T_OUT;
        size_t len = wr ? c->out_len - 16 : c->in_len - 1;
        if (wr && b->ro)
            return VIRTIO_BLK_S_IOERR; /* F_RO: the spec wants IOERR, and no data written */
        if (len % VIRTIO_BLK_SECTOR || r->sector > b->nsectors ||
            len / VIRTIO_BLK_SECTOR > b->nsectors - r->sector)
            return VIRTIO_BLK_S_IOERR;
        unsigned n = wr ? virtio_iov_slice(c->iov, c->n_out, 16, len, b->data_iov, VIRTIO_CHAIN_MAX)
                        : virtio_iov_slice(in, c->n_in, 0, len, b->data_iov, VIRTIO_CHAIN_MAX);
        if (blk_rw_all(b->fd, b->data_iov, n, r->sector * VIRTIO_BLK_SECTOR, wr) < 0)
            return VIRTIO_BLK_S_IOERR;
        if (!wr)
            *written = (uint32_t)len + 1;
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_FLUSH:
        if (!b->ro && fdatasync(b->fd) < 0)
            return VIRTIO_BLK_S_IOERR;
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_GET_ID: {
        size_t len = c->in_len - 1;
        if (len > VIRTIO_BLK_ID_BYTES)
            len = VIRTIO_BLK_ID_BYTES;
        virtio_iov_from_buf(in, c->n_in, 0, b->serial, len);
        *written = (uint32_t)len + 1;
        return VIRTIO_BLK_S_OK;
    }
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

static void *blk_worker(void *arg)
{
    struct virtio_blk *b = arg;
    pthread_mutex_lock(&b->qlock);
    for (;;) {
        while (!b->head && !b->stop)
            pthread_cond_wait(&b->wake, &b->qlock);
        if (b->stop)
            break;
        struct blk_req *r = b->head;
        b->head = r->next;
        if (!b->head)
            b->tail = NULL;
        b->busy = true;
        pthread_mutex_unlock(&b->qlock);

        uint32_t written;
        uint8_t status = blk_execute(b, r, &written);

        pthread_mutex_lock(&b->qlock);
        b->busy = false;
        pthread_cond_broadcast(&b->idle);
        pthread_mutex_unlock(&b->qlock);

        virtio_lock(&b->vd);
        if (r->gen == b->vd.reset_gen) {
            virtio_iov_from_buf(r->c.iov + r->c.n_out, r->c.n_in, r->c.in_len - 1, &status, 1);
            virtio_queue_push(&b->vd, 0, r->c.head, written);
            virtio_queue_notify_driver(&b->vd, 0);
        }
        virtio_unlock(&b->vd);
        free(r);
        pthread_mutex_lock(&b->qlock);
    }
    pthread_mutex_unlock(&b->qlock);
    return NULL;
}

/* ---- device ops (device lock held) ---- */

static void blk_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_blk *b = (struct virtio_blk *)d;
    for (;;) {
        struct blk_req *r = malloc(sizeof(*r));
        if (!r) {
            virtio_dev_set_needs_reset(d, "out of memory");
            return;
        }
        if (virtio_queue_pop(d, q, &r->c) <= 0) {
            free(r);
            return;
        }
        uint8_t hdr[16];
        if (r->c.out_len < sizeof(hdr) || r->c.in_len < 1) {
            free(r);
            virtio_dev_set_needs_reset(d, "virtio-blk request without header or status byte");
            return;
        }
        virtio_iov_to_buf(r->c.iov, r->c.n_out, 0, hdr, sizeof(hdr));
        r->type = virtio_get_le32(hdr);
        r->sector = virtio_get_le64(hdr + 8);
        r->gen = d->reset_gen;
        r->next = NULL;
        pthread_mutex_lock(&b->qlock);
        if (b->tail)
            b->tail->next = r;
        else
            b->head = r;
        b->tail = r;
        pthread_cond_signal(&b->wake);
        pthread_mutex_unlock(&b->qlock);
    }
}

static void blk_reset(struct virtio_dev *d)
{
    struct virtio_blk *b = (struct virtio_blk *)d;
    pthread_mutex_lock(&b->qlock);
    struct blk_req *r = b->head;
    b->head = b->tail = NULL;
    /* The worker does I/O without the device lock, so waiting here cannot deadlock. */
    while (b->busy)
        pthread_cond_wait(&b->idle, &b->qlock);
    pthread_mutex_unlock(&b->qlock);
    while (r) {
        struct blk_req *next = r->next;
        free(r);
        r = next;
    }
}

static void blk_free(struct virtio_dev *d)
{
    struct virtio_blk *b = (struct virtio_blk *)d;
    pthread_mutex_lock(&b->qlock);
    b->stop = true;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->qlock);
    pthread_join(b->worker, NULL);
    for (struct blk_req *r = b->head, *next; r; r = next) {
        next = r->next;
        free(r);
    }
    close(b->fd);
    pthread_mutex_destroy(&b->qlock);
    pthread_cond_destroy(&b->wake);
    pthread_cond_destroy(&b->idle);
    virtio_dev_cleanup(d);
    free(b);
}

static const struct virtio_dev_ops blk_ops = {
    .queue_notify = blk_queue_notify,
    .reset = blk_reset,
    .free = blk_free,
};

static void blk_default_serial(char *out, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    memset(out, 0, VIRTIO_BLK_ID_BYTES);
    /* The ID need not be NUL-terminated when it fills all 20 bytes. */
    size_t n = strlen("omnivm-");
    memcpy(out, "omnivm-", n);
    size_t k = strlen(base);
    if (k > VIRTIO_BLK_ID_BYTES - n)
        k = VIRTIO_BLK_ID_BYTES - n;
    memcpy(out + n, base, k);
}

int virtio_blk_new(struct physmap *pm, const struct virtio_blk_opts *o, struct virtio_dev **out)
{
    int fd = open(o->path, (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    uint64_t size;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        size = (uint64_t)end;
    } else {
        close(fd);
        return -EINVAL; /* a pipe or character device has no size to offer */
    }

    struct virtio_blk *b = calloc(1, sizeof(*b));
    if (!b) {
        close(fd);
        return -ENOMEM;
    }
    b->fd = fd;
    b->ro = o->readonly;
    b->nsectors = size / VIRTIO_BLK_SECTOR;
    if (o->serial) {
        size_t k = strlen(o->serial);
        memcpy(b->serial, o->serial, k > VIRTIO_BLK_ID_BYTES ? VIRTIO_BLK_ID_BYTES : k);
    } else {
        blk_default_serial(b->serial, o->path);
    }
    virtio_put_le64(b->config + 0, b->nsectors);        /* capacity */
    virtio_put_le32(b->config + 12, BLK_QUEUE_SIZE - 2); /* seg_max: header and status */
    virtio_put_le32(b->config + 20, VIRTIO_BLK_SECTOR);  /* blk_size */

    uint64_t features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
                        VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
    if (b->ro)
        features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
    uint16_t qmax = BLK_QUEUE_SIZE;
    int r = virtio_dev_init(&b->vd, &blk_ops, "virtio-blk", pm, VIRTIO_ID_BLOCK, features, 1,
                            &qmax, b->config, sizeof(b->config));
    if (r < 0) {
        close(fd);
        free(b);
        return r;
    }
    pthread_mutex_init(&b->qlock, NULL);
    pthread_cond_init(&b->wake, NULL);
    pthread_cond_init(&b->idle, NULL);
    r = -pthread_create(&b->worker, NULL, blk_worker, b);
    if (r < 0) {
        pthread_mutex_destroy(&b->qlock);
        pthread_cond_destroy(&b->wake);
        pthread_cond_destroy(&b->idle);
        virtio_dev_cleanup(&b->vd);
        close(fd);
        free(b);
        return r;
    }
    pthread_setname_np(b->worker, "virtio-blk");
    *out = &b->vd;
    return 0;
}
