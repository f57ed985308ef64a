/*
 * Unit tests of the virtio room: a fake guest RAM in a real physmap, and a tiny driver in
 * this file that programs the virtio-mmio registers exactly as a guest would (reset,
 * feature negotiation, queue setup, DRIVER_OK, notify) and builds split virtqueues by
 * hand. Checks blk against a temp image byte for byte, read-only and range errors,
 * malformed chains (loops, addresses outside RAM, nested indirect tables) ending in
 * NEEDS_RESET without a crash, EVENT_IDX suppression, rng, console, and (with libslirp)
 * DHCP, outbound TCP to the host and host port forwarding through virtio-net.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hw/chardev.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio_devices.h"
#include "hw/virtio/virtio_mmio.h"
#include "mem/physmap.h"
#include "net/net.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (4ull << 20)
#define MMIO_BASE 0x10001000ull

static struct physmap pm;
static uint8_t *ram;
static uint64_t ram_next;
static char why[512];
static int failures;

static bool fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return false;
}

#define CHECK(cond, ...)                \
    do {                                \
        if (!(cond))                    \
            return fail(__VA_ARGS__);   \
    } while (0)

/* Expected error lines (bad options) would only clutter the test log. */
static int saved_stderr = -1;
static void quiet_stderr(bool quiet)
{
    fflush(stderr);
    if (quiet && saved_stderr < 0) {
        saved_stderr = dup(2);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        close(null);
    } else if (!quiet && saved_stderr >= 0) {
        dup2(saved_stderr, 2);
        close(saved_stderr);
        saved_stderr = -1;
    }
}

static void run(const char *name, bool (*fn)(void))
{
    why[0] = 0;
    bool ok = fn();
    quiet_stderr(false);
    if (ok) {
        printf("ok %s\n", name);
    } else {
        printf("not ok %s: %s\n", name, why);
        failures++;
    }
    fflush(stdout);
}

/* ---- guest memory ---- */

static uint8_t *H(uint64_t gpa) { return ram + (gpa - RAM_BASE); }

static uint64_t galloc(uint64_t size, uint64_t align)
{
    ram_next = (ram_next + align - 1) & ~(align - 1);
    uint64_t g = RAM_BASE + ram_next;
    ram_next += size;
    if (ram_next > RAM_SIZE) {
        fprintf(stderr, "virtio_test: fake RAM exhausted\n");
        exit(2);
    }
    memset(H(g), 0, size);
    return g;
}

/* ---- interrupt line ---- */

static int irq_level;
static unsigned irq_raises;

static void irq_cb(void *opaque, unsigned n, int level)
{
    if (level && !__atomic_load_n(&irq_level, __ATOMIC_SEQ_CST))
        __atomic_add_fetch(&irq_raises, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&irq_level, level, __ATOMIC_SEQ_CST);
}

/* ---- the test driver ---- */

struct tq {
    uint16_t num;
    uint64_t desc, avail, used;
    uint16_t avail_idx, used_seen, next_desc;
};

struct tdev {
    struct virtio_mmio *m;
    struct virtio_dev *d;
    struct tq q[2];
    unsigned nq;
};

struct tbuf {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

static uint32_t rd(struct tdev *t, uint64_t off)
{
    return (uint32_t)virtio_mmio_ops.read(t->m, off, 4);
}
static void wr(struct tdev *t, uint64_t off, uint32_t v) { virtio_mmio_ops.write(t->m, off, v, 4); }

static uint64_t device_features(struct tdev *t)
{
    wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint64_t hi = rd(t, VIRTIO_MMIO_DEVICE_FEATURES);
    wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    return hi << 32 | rd(t, VIRTIO_MMIO_DEVICE_FEATURES);
}

/* Resets and negotiates `features`; returns the status read back after FEATURES_OK. */
static uint32_t drv_negotiate(struct tdev *t, uint64_t features)
{
    wr(t, VIRTIO_MMIO_STATUS, 0);
    wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    wr(t, VIRTIO_MMIO_STATUS,
       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    return rd(t, VIRTIO_MMIO_STATUS);
}

static void drv_setup_queue(struct tdev *t, unsigned qi, uint16_t num)
{
    struct tq *q = &t->q[qi];
    memset(q, 0, sizeof(*q));
    q->num = num;
    q->desc = galloc(16ull * num, 16);
    q->avail = galloc(6ull + 2ull * num, 2);
    q->used = galloc(6ull + 8ull * num, 4);
    wr(t, VIRTIO_MMIO_QUEUE_SEL, qi);
    wr(t, VIRTIO_MMIO_QUEUE_NUM, num);
    wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
    wr(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
    wr(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
    wr(t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail >> 32));
    wr(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
    wr(t, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used >> 32));
    wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Full bring-up: negotiate, set up nq queues of size num, DRIVER_OK. Returns status. */
static uint32_t drv_init(struct tdev *t, uint64_t features, unsigned nq, uint16_t num)
{
    uint32_t st = drv_negotiate(t, features);
    if (!(st & VIRTIO_STATUS_FEATURES_OK))
        return st;
    t->nq = nq;
    for (unsigned i = 0; i < nq; i++)
        drv_setup_queue(t, i, num);
    wr(t, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
    return rd(t, VIRTIO_MMIO_STATUS);
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    struct virtq_desc d = {.addr = addr, .len = len, .flags = flags, .next = next};
    memcpy(H(table) + 16ull * i, &d, sizeof(d));
}

/* Publishes head in the avail ring (without a notify). */
static void drv_publish(struct tdev *t, unsigned qi, uint16_t head)
{
    struct tq *q = &t->q[qi];
    uint16_t *avail = (uint16_t *)H(q->avail);
    avail[2 + q->avail_idx % q->num] = head;
    q->avail_idx++;
    __atomic_store_n(&avail[1], q->avail_idx, __ATOMIC_RELEASE);
}

static void drv_kick(struct tdev *t, unsigned qi) { wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, qi); }

/* Builds a chain of n buffers from the queue's rolling descriptor pointer; returns head. */
static uint16_t drv_chain(struct tdev *t, unsigned qi, const struct tbuf *b, unsigned n)
{
    struct tq *q = &t->q[qi];
    uint16_t head = q->next_desc;
    for (unsigned i = 0; i < n; i++) {
        uint16_t cur = (uint16_t)((head + i) % q->num), nx = (uint16_t)((head + i + 1) % q->num);
        put_desc(
            q->desc, cur, b[i].gpa, b[i].len,
            (uint16_t)((b[i].write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
            nx);
    }
    q->next_desc = (uint16_t)((head + n) % q->num);
    return head;
}

static void drv_submit(struct tdev *t, unsigned qi, const struct tbuf *b, unsigned n)
{
    drv_publish(t, qi, drv_chain(t, qi, b, n));
    drv_kick(t, qi);
}

static uint16_t used_idx(struct tdev *t, unsigned qi)
{
    return __atomic_load_n((uint16_t *)H(t->q[qi].used) + 1, __ATOMIC_ACQUIRE);
}

/* Waits (up to ms) for the next used element; returns false on timeout. */
static bool drv_wait_used(struct tdev *t, unsigned qi, uint32_t *id, uint32_t *len, int ms)
{
    struct tq *q = &t->q[qi];
    for (int i = 0; i < ms * 10; i++) {
        if (used_idx(t, qi) != q->used_seen) {
            uint32_t *e = (uint32_t *)(H(q->used) + 4 + 8ull * (q->used_seen % q->num));
            if (id)
                *id = e[0];
            if (len)
                *len = e[1];
            q->used_seen++;
            return true;
        }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static void drv_ack_irq(struct tdev *t)
{
    wr(t, VIRTIO_MMIO_INTERRUPT_ACK, rd(t, VIRTIO_MMIO_INTERRUPT_STATUS));
}

static bool tdev_open(struct tdev *t, struct virtio_dev *d)
{
    memset(t, 0, sizeof(*t));
    ram_next = 0;
    irq_level = 0;
    irq_raises = 0;
    t->d = d;
    struct irq_line line = {.set = irq_cb, .opaque = NULL, .n = 1};
    /* The window is not placed in the physmap: each test makes a fresh device. */
    if (virtio_mmio_new(NULL, MMIO_BASE, d, line, &t->m) < 0) {
        virtio_dev_free(d);
        return false;
    }
    return true;
}

static void tdev_close(struct tdev *t)
{
    virtio_mmio_free(t->m);
    t->m = NULL;
}

#define FEAT_V1 VIRTIO_BIT(VIRTIO_F_VERSION_1)

/* ---- virtio-blk ---- */

static char img_path[] = "/tmp/virtio_test_imgXXXXXX";
#define IMG_SECTORS 128

static uint8_t img_byte(uint64_t off) { return (uint8_t)(off * 7 + (off >> 9) * 13 + 1); }

static bool make_image(void)
{
    int fd = mkstemp(img_path);
    if (fd < 0)
        return false;
    uint8_t buf[IMG_SECTORS * 512];
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = img_byte(i);
    bool ok = write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf);
    close(fd);
    return ok;
}

static bool file_bytes(uint64_t off, void *buf, size_t len)
{
    int fd = open(img_path, O_RDONLY);
    if (fd < 0)
        return false;
    bool ok = pread(fd, buf, len, (off_t)off) == (ssize_t)len;
    close(fd);
    return ok;
}

/* One blk request: header, data buffers (nd of them, split evenly), status byte.
 * Returns the status byte (or -1 on timeout) and sets *used_len. */
static int blk_req(struct tdev *t, uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
                   bool dev_writes, unsigned nd, uint32_t *used_len)
{
    uint64_t hdr = galloc(16, 8), st = galloc(1, 1);
    uint8_t *h = H(hdr);
    virtio_put_le32(h, type);
    virtio_put_le32(h + 4, 0);
    virtio_put_le64(h + 8, sector);
    *H(st) = 0xee;
    struct tbuf b[8];
    unsigned n = 0;
    b[n++] = (struct tbuf){hdr, 16, false};
    for (unsigned i = 0; i < nd && len; i++) {
        uint32_t part = i + 1 < nd ? len / nd : len - (len / nd) * (nd - 1);
        b[n++] = (struct tbuf){data + (len / nd) * i, part, dev_writes};
    }
    b[n++] = (struct tbuf){st, 1, true};
    drv_submit(t, 0, b, n);
    uint32_t id;
    if (!drv_wait_used(t, 0, &id, used_len, 5000))
        return -1;
    return *H(st);
}

static bool test_blk_rw(void)
{
    struct virtio_dev *d;
    struct virtio_blk_opts o = {.path = img_path, .serial = "disk-serial-0123"};
    int r = virtio_blk_new(&pm, &o, &d);
    CHECK(r == 0, "virtio_blk_new: %d", r);
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    uint64_t f = device_features(&t);
    CHECK(f & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH), "FLUSH not offered (features %#llx)",
          (unsigned long long)f);
    CHECK(!(f & VIRTIO_BIT(VIRTIO_BLK_F_RO)), "RO offered on a writable disk");
    uint32_t st = drv_init(&t, FEAT_V1 | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH), 1, 16);
    CHECK(st & VIRTIO_STATUS_DRIVER_OK, "status %#x", st);
    uint64_t cap = virtio_mmio_ops.read(t.m, VIRTIO_MMIO_CONFIG, 8);
    CHECK(cap == IMG_SECTORS, "capacity %llu", (unsigned long long)cap);
    uint32_t cap_lo = (uint32_t)virtio_mmio_ops.read(t.m, VIRTIO_MMIO_CONFIG, 4);
    CHECK(cap_lo == IMG_SECTORS, "capacity via 32-bit read %u", cap_lo);

    /* Read sectors 3..5 into three descriptors and compare with the file. */
    uint64_t buf = galloc(3 * 512, 8);
    uint32_t ulen;
    int s = blk_req(&t, VIRTIO_BLK_T_IN, 3, buf, 3 * 512, true, 3, &ulen);
    CHECK(s == VIRTIO_BLK_S_OK, "read status %d", s);
    CHECK(ulen == 3 * 512 + 1, "read used len %u", ulen);
    uint8_t ref[3 * 512];
    CHECK(file_bytes(3 * 512, ref, sizeof(ref)), "pread image");
    CHECK(!memcmp(H(buf), ref, sizeof(ref)), "read data differs from the image");
    /* The MMIO read takes the device lock, so the worker's notify has finished. */
    CHECK((rd(&t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_VRING) && irq_raises >= 1,
          "no used-buffer interrupt");
    drv_ack_irq(&t);
    CHECK(irq_level == 0 && rd(&t, VIRTIO_MMIO_INTERRUPT_STATUS) == 0, "ack did not lower irq");

    /* Write two sectors at 10 from two descriptors; the file must hold them exactly. */
    uint64_t wbuf = galloc(1024, 8);
    for (unsigned i = 0; i < 1024; i++)
        H(wbuf)[i] = (uint8_t)(0xa5 ^ i ^ (i >> 3));
    s = blk_req(&t, VIRTIO_BLK_T_OUT, 10, wbuf, 1024, false, 2, &ulen);
    CHECK(s == VIRTIO_BLK_S_OK, "write status %d", s);
    uint8_t back[1024];
    CHECK(file_bytes(10 * 512, back, sizeof(back)), "pread image");
    CHECK(!memcmp(back, H(wbuf), sizeof(back)), "written data not in the image");
    CHECK(file_bytes(9 * 512, back, 512) && back[511] == img_byte(9 * 512 + 511) &&
              file_bytes(12 * 512, back, 1) && back[0] == img_byte(12 * 512),
          "write touched neighbouring sectors");

    s = blk_req(&t, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, 0, &ulen);
    CHECK(s == VIRTIO_BLK_S_OK, "flush status %d", s);

    uint64_t id = galloc(20, 1);
    memset(H(id), 0xff, 20);
    s = blk_req(&t, VIRTIO_BLK_T_GET_ID, 0, id, 20, true, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_OK, "get-id status %d", s);
    CHECK(!memcmp(H(id), "disk-serial-0123\0\0\0\0", 20), "get-id gave '%.20s'", (char *)H(id));
    CHECK(ulen == 21, "get-id used len %u", ulen);

    /* Beyond the capacity, straddling the end, unaligned length, unknown type. */
    s = blk_req(&t, VIRTIO_BLK_T_IN, IMG_SECTORS, buf, 512, true, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_IOERR, "read past end status %d", s);
    s = blk_req(&t, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, buf, 1024, true, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_IOERR, "read straddling the end status %d", s);
    s = blk_req(&t, VIRTIO_BLK_T_OUT, ~0ull / 512, wbuf, 512, false, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_IOERR, "write at huge sector status %d", s);
    s = blk_req(&t, VIRTIO_BLK_T_IN, 0, buf, 100, true, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_IOERR, "partial-sector read status %d", s);
    s = blk_req(&t, 77, 0, buf, 512, true, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_UNSUPP, "unknown type status %d", s);
    /* The last sector is still readable. */
    s = blk_req(&t, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, buf, 512, true, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_OK, "last sector status %d", s);
    CHECK(file_bytes((IMG_SECTORS - 1) * 512, ref, 512) && !memcmp(ref, H(buf), 512),
          "last sector data");
    CHECK(!(rd(&t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET), "errors broke the device");
    tdev_close(&t);
    return true;
}

/* Indirect descriptors: the whole request in one indirect table. */
static bool test_blk_indirect(void)
{
    struct virtio_dev *d;
    struct virtio_blk_opts o = {.path = img_path};
    CHECK(virtio_blk_new(&pm, &o, &d) == 0, "virtio_blk_new");
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    uint32_t st = drv_init(&t, FEAT_V1 | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), 1, 8);
    CHECK(st & VIRTIO_STATUS_DRIVER_OK, "status %#x", st);
    uint64_t hdr = galloc(16, 8), data = galloc(512, 8), sb = galloc(1, 1), tbl = galloc(48, 16);
    virtio_put_le32(H(hdr), VIRTIO_BLK_T_IN);
    virtio_put_le64(H(hdr) + 8, 20);
    *H(sb) = 0xee;
    put_desc(tbl, 0, hdr, 16, VIRTQ_DESC_F_NEXT, 1);
    put_desc(tbl, 1, data, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    put_desc(tbl, 2, sb, 1, VIRTQ_DESC_F_WRITE, 0);
    put_desc(t.q[0].desc, 5, tbl, 48, VIRTQ_DESC_F_INDIRECT, 0);
    drv_publish(&t, 0, 5);
    drv_kick(&t, 0);
    uint32_t id = 0, len = 0;
    CHECK(drv_wait_used(&t, 0, &id, &len, 5000), "no completion");
    CHECK(id == 5 && len == 513, "used id %u len %u", id, len);
    CHECK(*H(sb) == VIRTIO_BLK_S_OK, "status %u", *H(sb));
    uint8_t ref[512];
    CHECK(file_bytes(20 * 512, ref, 512) && !memcmp(ref, H(data), 512), "indirect read data");
    tdev_close(&t);
    return true;
}

static bool test_blk_readonly(void)
{
    struct virtio_dev *d;
    chmod(img_path, 0444); /* O_RDONLY must be enough (root ignores this, others do not) */
    struct virtio_blk_opts o = {.path = img_path, .readonly = true};
    int r = virtio_blk_new(&pm, &o, &d);
    chmod(img_path, 0644);
    CHECK(r == 0, "readonly open: %d", r);
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    CHECK(device_features(&t) & VIRTIO_BIT(VIRTIO_BLK_F_RO), "F_RO not offered");
    uint32_t st = drv_init(&t, FEAT_V1 | VIRTIO_BIT(VIRTIO_BLK_F_RO), 1, 16);
    CHECK(st & VIRTIO_STATUS_DRIVER_OK, "status %#x", st);
    uint8_t before[512], after[512];
    CHECK(file_bytes(30 * 512, before, 512), "pread");
    uint64_t w = galloc(512, 8);
    memset(H(w), 0x5a, 512);
    uint32_t ulen;
    int s = blk_req(&t, VIRTIO_BLK_T_OUT, 30, w, 512, false, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_IOERR, "write to read-only disk status %d", s);
    CHECK(file_bytes(30 * 512, after, 512) && !memcmp(before, after, 512),
          "read-only disk was modified");
    s = blk_req(&t, VIRTIO_BLK_T_IN, 30, w, 512, true, 1, &ulen);
    CHECK(s == VIRTIO_BLK_S_OK && !memcmp(H(w), before, 512), "read from read-only disk");
    tdev_close(&t);
    return true;
}

static bool test_blk_open_errors(void)
{
    struct virtio_dev *d = NULL;
    struct virtio_blk_opts o = {.path = "/nonexistent/omnivm-disk.img"};
    int r = virtio_blk_new(&pm, &o, &d);
    CHECK(r == -ENOENT, "missing file gave %d", r);
    o.path = "/tmp";
    r = virtio_blk_new(&pm, &o, &d);
    CHECK(r == -EISDIR, "directory gave %d", r);
    o.readonly = true;
    r = virtio_blk_new(&pm, &o, &d);
    CHECK(r == -EISDIR, "read-only directory gave %d", r);
    return true;
}

/* ---- transport and core ---- */

static bool test_mmio_regs(void)
{
    struct virtio_dev *d;
    CHECK(virtio_rng_new(&pm, &d) == 0, "rng");
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    CHECK(rd(&t, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976, "magic %#x", rd(&t, 0));
    CHECK(rd(&t, VIRTIO_MMIO_VERSION) == 2, "version %u", rd(&t, 4));
    CHECK(rd(&t, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_RNG, "device id %u", rd(&t, 8));
    CHECK(device_features(&t) & FEAT_V1, "VERSION_1 not offered");
    wr(&t, VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK(rd(&t, VIRTIO_MMIO_QUEUE_NUM_MAX) == 64, "rng QueueNumMax %u", rd(&t, 0x34));
    wr(&t, VIRTIO_MMIO_QUEUE_SEL, 7);
    CHECK(rd(&t, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0, "absent queue has QueueNumMax");
    CHECK(rd(&t, VIRTIO_MMIO_SHM_LEN_LOW) == 0xffffffffu &&
              rd(&t, VIRTIO_MMIO_SHM_LEN_HIGH) == 0xffffffffu,
          "absent SHM region length is not -1");
    /* 8- and 2-byte register accesses are not registers. */
    CHECK(virtio_mmio_ops.read(t.m, 0, 2) == 0, "16-bit magic read");
    /* Refusing VERSION_1 or accepting an unoffered bit keeps FEATURES_OK clear. */
    uint32_t st = drv_negotiate(&t, 0);
    CHECK(!(st & VIRTIO_STATUS_FEATURES_OK), "legacy negotiation accepted");
    st = drv_negotiate(&t, FEAT_V1 | VIRTIO_BIT(3));
    CHECK(!(st & VIRTIO_STATUS_FEATURES_OK), "unoffered feature accepted");
    st = drv_negotiate(&t, FEAT_V1);
    CHECK(st & VIRTIO_STATUS_FEATURES_OK, "valid negotiation refused (%#x)", st);
    /* Feature words are frozen after FEATURES_OK. */
    wr(&t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(&t, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
    CHECK(t.d->driver_features == FEAT_V1, "features changed after FEATURES_OK");
    /* Queue registers read back; reset clears them. */
    drv_setup_queue(&t, 0, 32);
    wr(&t, VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK(rd(&t, VIRTIO_MMIO_QUEUE_READY) == 1, "queue not ready");
    CHECK(rd(&t, VIRTIO_MMIO_QUEUE_DESC_LOW) == (uint32_t)t.q[0].desc, "desc address readback");
    wr(&t, VIRTIO_MMIO_STATUS, 0);
    CHECK(rd(&t, VIRTIO_MMIO_STATUS) == 0 && rd(&t, VIRTIO_MMIO_QUEUE_READY) == 0, "reset");
    /* A queue size that is not a power of two is refused. */
    drv_negotiate(&t, FEAT_V1);
    wr(&t, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(&t, VIRTIO_MMIO_QUEUE_NUM, 24);
    wr(&t, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK(rd(&t, VIRTIO_MMIO_QUEUE_READY) == 0 &&
              (rd(&t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET),
          "queue size 24 accepted");
    tdev_close(&t);
    return true;
}

/* Each malformed chain must end in NEEDS_RESET + config interrupt, with nothing used. */
enum bad_kind { BAD_LOOP, BAD_OUT_OF_RAM, BAD_HEAD, BAD_AVAIL_JUMP, BAD_NESTED, BAD_ORDER,
                BAD_STRADDLE, BAD_RING };

static bool bad_chain(enum bad_kind k)
{
    struct virtio_dev *d;
    CHECK(virtio_rng_new(&pm, &d) == 0, "rng");
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    uint32_t st = drv_init(&t, FEAT_V1 | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), 1, 8);
    CHECK(st & VIRTIO_STATUS_DRIVER_OK, "status %#x", st);
    uint64_t buf = galloc(64, 8), tbl = galloc(32, 16), tbl2 = galloc(16, 16);
    switch (k) {
    case BAD_LOOP:
        put_desc(t.q[0].desc, 0, buf, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
        put_desc(t.q[0].desc, 1, buf + 8, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
        drv_publish(&t, 0, 0);
        break;
    case BAD_OUT_OF_RAM:
        put_desc(t.q[0].desc, 0, RAM_BASE + RAM_SIZE - 16, 64, VIRTQ_DESC_F_WRITE, 0);
        drv_publish(&t, 0, 0);
        break;
    case BAD_STRADDLE: /* wraps the 64-bit space */
        put_desc(t.q[0].desc, 0, ~0ull - 8, 64, VIRTQ_DESC_F_WRITE, 0);
        drv_publish(&t, 0, 0);
        break;
    case BAD_HEAD:
        drv_publish(&t, 0, 200);
        break;
    case BAD_AVAIL_JUMP: {
        uint16_t *avail = (uint16_t *)H(t.q[0].avail);
        put_desc(t.q[0].desc, 0, buf, 8, VIRTQ_DESC_F_WRITE, 0);
        __atomic_store_n(&avail[1], 100, __ATOMIC_RELEASE);
        break;
    }
    case BAD_NESTED:
        put_desc(tbl2, 0, buf, 8, VIRTQ_DESC_F_WRITE, 0);
        put_desc(tbl, 0, tbl2, 16, VIRTQ_DESC_F_INDIRECT, 0);
        put_desc(t.q[0].desc, 0, tbl, 16, VIRTQ_DESC_F_INDIRECT, 0);
        drv_publish(&t, 0, 0);
        break;
    case BAD_ORDER: /* device-readable after device-writable */
        put_desc(t.q[0].desc, 0, buf, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
        put_desc(t.q[0].desc, 1, buf + 8, 8, 0, 0);
        drv_publish(&t, 0, 0);
        break;
    case BAD_RING: /* rings outside RAM: refused at QueueReady */
        wr(&t, VIRTIO_MMIO_STATUS, 0);
        drv_negotiate(&t, FEAT_V1);
        wr(&t, VIRTIO_MMIO_QUEUE_SEL, 0);
        wr(&t, VIRTIO_MMIO_QUEUE_NUM, 8);
        wr(&t, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
        wr(&t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)t.q[0].avail);
        wr(&t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
        wr(&t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)t.q[0].used);
        wr(&t, VIRTIO_MMIO_QUEUE_READY, 1);
        wr(&t, VIRTIO_MMIO_STATUS, rd(&t, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
        break;
    }
    drv_kick(&t, 0);
    st = rd(&t, VIRTIO_MMIO_STATUS);
    CHECK(st & VIRTIO_STATUS_NEEDS_RESET, "kind %d: status %#x, no NEEDS_RESET", k, st);
    CHECK(k == BAD_RING || (rd(&t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG),
          "kind %d: no config-change interrupt", k);
    CHECK(k == BAD_RING || used_idx(&t, 0) == 0, "kind %d: a bad chain was used", k);
    /* The device stays dead until reset, then works again. */
    drv_kick(&t, 0);
    wr(&t, VIRTIO_MMIO_STATUS, 0);
    CHECK(rd(&t, VIRTIO_MMIO_STATUS) == 0, "reset did not clear NEEDS_RESET");
    CHECK(irq_level == 0, "reset left the irq raised");
    st = drv_init(&t, FEAT_V1, 1, 8);
    CHECK(st == (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                 VIRTIO_STATUS_DRIVER_OK),
          "kind %d: status after re-init %#x", k, st);
    struct tbuf b = {buf, 16, true};
    drv_submit(&t, 0, &b, 1);
    uint32_t len = 0;
    CHECK(drv_wait_used(&t, 0, NULL, &len, 1000) && len == 16, "kind %d: device dead after reset",
          k);
    tdev_close(&t);
    return true;
}

static bool test_bad_chains(void)
{
    for (int k = BAD_LOOP; k <= BAD_RING; k++)
        if (!bad_chain((enum bad_kind)k))
            return false;
    return true;
}

/* Loops inside an indirect table. */
static bool test_bad_indirect_loop(void)
{
    struct virtio_dev *d;
    CHECK(virtio_rng_new(&pm, &d) == 0, "rng");
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    CHECK(drv_init(&t, FEAT_V1 | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC), 1, 8) &
              VIRTIO_STATUS_DRIVER_OK,
          "init");
    uint64_t buf = galloc(16, 8), tbl = galloc(32, 16);
    put_desc(tbl, 0, buf, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put_desc(tbl, 1, buf, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    put_desc(t.q[0].desc, 0, tbl, 32, VIRTQ_DESC_F_INDIRECT, 0);
    drv_publish(&t, 0, 0);
    drv_kick(&t, 0);
    CHECK(rd(&t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, "indirect loop not caught");
    /* Without INDIRECT_DESC negotiated an indirect descriptor is an error too. */
    CHECK(drv_init(&t, FEAT_V1, 1, 8) & VIRTIO_STATUS_DRIVER_OK, "re-init");
    put_desc(t.q[0].desc, 0, tbl, 16, VIRTQ_DESC_F_INDIRECT, 0);
    drv_publish(&t, 0, 0);
    drv_kick(&t, 0);
    CHECK(rd(&t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, "unnegotiated indirect accepted");
    tdev_close(&t);
    return true;
}

/* ---- rng and EVENT_IDX ---- */

static bool test_rng(void)
{
    struct virtio_dev *d;
    CHECK(virtio_rng_new(&pm, &d) == 0, "rng");
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    CHECK(drv_init(&t, FEAT_V1, 1, 16) & VIRTIO_STATUS_DRIVER_OK, "init");
    uint64_t a = galloc(64, 8), b = galloc(200, 8);
    struct tbuf bufs[2] = {{a, 64, true}, {b, 200, true}};
    drv_submit(&t, 0, bufs, 2);
    uint32_t id = 0, len = 0;
    CHECK(drv_wait_used(&t, 0, &id, &len, 1000), "no completion");
    CHECK(id == 0 && len == 264, "used id %u len %u", id, len);
    static const uint8_t zero[64];
    CHECK(memcmp(H(a), zero, 64) && memcmp(H(b), zero, 64) && memcmp(H(b), H(a), 64),
          "buffers not filled with random bytes");
    /* A device-readable-only chain gets nothing written. */
    struct tbuf ro = {a, 8, false};
    drv_submit(&t, 0, &ro, 1);
    CHECK(drv_wait_used(&t, 0, &id, &len, 1000) && len == 0, "readable buffer: len %u", len);
    tdev_close(&t);
    return true;
}

static bool test_event_idx(void)
{
    struct virtio_dev *d;
    CHECK(virtio_rng_new(&pm, &d) == 0, "rng");
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    CHECK(drv_init(&t, FEAT_V1 | VIRTIO_BIT(VIRTIO_F_EVENT_IDX), 1, 16) & VIRTIO_STATUS_DRIVER_OK,
          "init");
    uint16_t *avail = (uint16_t *)H(t.q[0].avail), *used = (uint16_t *)H(t.q[0].used);
    uint64_t buf = galloc(64, 8);
    struct tbuf b = {buf, 8, true};
    /* The first completion always interrupts. */
    drv_submit(&t, 0, &b, 1);
    CHECK(drv_wait_used(&t, 0, NULL, NULL, 1000), "no completion 1");
    CHECK(irq_raises == 1, "first completion: %u interrupts", irq_raises);
    drv_ack_irq(&t);
    /* avail_event asks for a kick at the next buffer. */
    CHECK(used[2 + 4 * 16] == 1, "avail_event %u, want 1", used[2 + 4 * 16]);
    /* used_event = 5: completions 2..5 stay quiet, the 6th (used idx 6 passes 5) rings. */
    avail[2 + 16] = 5;
    for (int i = 2; i <= 6; i++) {
        drv_submit(&t, 0, &b, 1);
        CHECK(drv_wait_used(&t, 0, NULL, NULL, 1000), "no completion %d", i);
        unsigned want = i < 6 ? 1 : 2;
        CHECK(irq_raises == want, "after completion %d: %u interrupts, want %u", i, irq_raises,
              want);
    }
    tdev_close(&t);
    return true;
}

static bool test_no_interrupt_flag(void)
{
    struct virtio_dev *d;
    CHECK(virtio_rng_new(&pm, &d) == 0, "rng");
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    CHECK(drv_init(&t, FEAT_V1, 1, 16) & VIRTIO_STATUS_DRIVER_OK, "init");
    uint16_t *avail = (uint16_t *)H(t.q[0].avail);
    avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
    uint64_t buf = galloc(8, 8);
    struct tbuf b = {buf, 8, true};
    drv_submit(&t, 0, &b, 1);
    CHECK(drv_wait_used(&t, 0, NULL, NULL, 1000), "no completion");
    CHECK(irq_raises == 0, "interrupt despite NO_INTERRUPT");
    avail[0] = 0;
    drv_submit(&t, 0, &b, 1);
    CHECK(drv_wait_used(&t, 0, NULL, NULL, 1000), "no completion");
    CHECK(irq_raises == 1, "no interrupt after clearing NO_INTERRUPT");
    tdev_close(&t);
    return true;
}

/* ---- console ---- */

static char cons_out[256];
static size_t cons_out_len;
static int cons_rx_ready_calls;

static void cons_write(void *opaque, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len && cons_out_len < sizeof(cons_out) - 1; i++)
        cons_out[cons_out_len++] = (char)buf[i];
}

static void cons_rx_ready(void *opaque) { cons_rx_ready_calls++; }

static bool test_console(void)
{
    struct chardev chr = {.write = cons_write, .rx_ready = cons_rx_ready};
    struct virtio_dev *d;
    CHECK(virtio_console_new(&pm, &chr, &d) == 0, "console");
    struct tdev t;
    CHECK(tdev_open(&t, d), "transport");
    CHECK(rd(&t, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_CONSOLE, "device id");
    /* Input typed before the driver is up is kept. */
    CHECK(chardev_input(&chr, (const uint8_t *)"ab", 2) == 2, "early input refused");
    CHECK(drv_init(&t, FEAT_V1, 2, 8) & VIRTIO_STATUS_DRIVER_OK, "init");
    uint64_t out = galloc(16, 8);
    memcpy(H(out), "hello, ", 7);
    memcpy(H(out) + 8, "world", 5);
    struct tbuf tx[2] = {{out, 7, false}, {out + 8, 5, false}};
    cons_out_len = 0;
    drv_submit(&t, 1, tx, 2);
    CHECK(drv_wait_used(&t, 1, NULL, NULL, 1000), "tx not completed");
    CHECK(cons_out_len == 12 && !memcmp(cons_out, "hello, world", 12), "output '%.*s'",
          (int)cons_out_len, cons_out);
    /* Posting an rx buffer delivers the early input, then new input goes straight in. */
    uint64_t in = galloc(64, 8);
    struct tbuf rx = {in, 64, true};
    drv_submit(&t, 0, &rx, 1);
    uint32_t len = 0;
    CHECK(drv_wait_used(&t, 0, NULL, &len, 1000) && len == 2 && !memcmp(H(in), "ab", 2),
          "early input not delivered (len %u)", len);
    drv_submit(&t, 0, &rx, 1);
    CHECK(chardev_input(&chr, (const uint8_t *)"xyz", 3) == 3, "input refused");
    CHECK(drv_wait_used(&t, 0, NULL, &len, 1000) && len == 3 && !memcmp(H(in), "xyz", 3),
          "input not delivered (len %u)", len);
    /* With no buffers the ring fills, then input is refused; a new buffer sends rx_ready. */
    static uint8_t big[5000];
    memset(big, 'q', sizeof(big));
    size_t took = chardev_input(&chr, big, sizeof(big));
    CHECK(took == 4096, "took %zu bytes into a 4096-byte ring", took);
    CHECK(cons_rx_ready_calls == 0, "rx_ready too early");
    drv_submit(&t, 0, &rx, 1);
    CHECK(drv_wait_used(&t, 0, NULL, &len, 1000) && len == 64, "ring not drained (len %u)", len);
    CHECK(cons_rx_ready_calls == 1, "rx_ready calls %d", cons_rx_ready_calls);
    tdev_close(&t);
    CHECK(chr.fe_input == NULL, "freed console still attached to the chardev");
    return true;
}

/* ---- net ---- */

#if CONFIG_SLIRP
static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 header for proto; returns the offset of the L4 header. */
static size_t build_ip(uint8_t *f, const uint8_t *dmac, uint32_t src, uint32_t dst, uint8_t proto,
                       size_t l4len)
{
    memcpy(f, dmac, 6);
    memcpy(f + 6, guest_mac, 6);
    be16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    be16(ip + 2, (uint16_t)(20 + l4len));
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    be16(ip + 10, ip_csum(ip, 20));
    return 34;
}

struct net_t {
    struct tdev t;
    uint64_t rxbuf[8];
    uint8_t desc_slot[16]; /* rx descriptor -> buffer slot */
};

static void net_post_rx(struct net_t *n, unsigned i)
{
    struct tbuf b = {n->rxbuf[i], 2048, true};
    uint16_t head = drv_chain(&n->t, 0, &b, 1);
    n->desc_slot[head] = (uint8_t)i;
    drv_publish(&n->t, 0, head);
}

static void net_send_frame(struct net_t *n, const uint8_t *frame, size_t len)
{
    uint64_t g = galloc(VIRTIO_NET_HDR_LEN + len, 8);
    memset(H(g), 0, VIRTIO_NET_HDR_LEN);
    memcpy(H(g) + VIRTIO_NET_HDR_LEN, frame, len);
    struct tbuf b[2] = {{g, VIRTIO_NET_HDR_LEN, false},
                        {g + VIRTIO_NET_HDR_LEN, (uint32_t)len, false}};
    drv_submit(&n->t, 1, b, 2);
}

/* Next received frame (without the virtio header) into out; reposts the buffer. */
static bool net_recv(struct net_t *n, uint8_t *out, size_t *len, int ms)
{
    uint32_t id, ulen;
    if (!drv_wait_used(&n->t, 0, &id, &ulen, ms))
        return false;
    if (id >= 16)
        return false;
    unsigned slot = n->desc_slot[id];
    uint8_t *p = H(n->rxbuf[slot]);
    if (ulen < VIRTIO_NET_HDR_LEN)
        return false;
    *len = ulen - VIRTIO_NET_HDR_LEN;
    memcpy(out, p + VIRTIO_NET_HDR_LEN, *len);
    net_post_rx(n, slot);
    drv_kick(&n->t, 0);
    return true;
}

static bool dhcp_discover(struct net_t *n, uint8_t *frame, size_t *len)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t f[14 + 20 + 8 + 548] = {0};
    size_t o = build_ip(f, bcast, 0, 0xffffffff, 17, 8 + 548);
    be16(f + o, 68);
    be16(f + o + 2, 67);
    be16(f + o + 4, 8 + 548);
    uint8_t *bp = f + o + 8;
    bp[0] = 1;
    bp[1] = 1;
    bp[2] = 6;
    memcpy(bp + 4, "\x12\x34\x56\x78", 4);
    memcpy(bp + 28, guest_mac, 6);
    memcpy(bp + 236, "\x63\x82\x53\x63", 4);
    memcpy(bp + 240, "\x35\x01\x01\xff", 4); /* DHCPDISCOVER, end */
    net_send_frame(n, f, sizeof(f));
    for (int tries = 0; tries < 10; tries++) {
        if (!net_recv(n, frame, len, 3000))
            return fail("no reply to DHCPDISCOVER");
        if (*len > 42 + 240 && frame[12] == 0x08 && frame[13] == 0x00 && frame[23] == 17 &&
            frame[36] == 0 && frame[37] == 68)
            return true;
    }
    return fail("no DHCP reply among the frames received");
}

/* Option parsing and port errors; backends freed without ever being attached. */
static bool test_net_slirp_options(void)
{
    struct net_backend *be;
    quiet_stderr(true);
    static const char *const bad[] = {"hostfwd=bogus", "hostfwd=tcp::-:22", "hostfwd=sctp::1-:2",
                                      "hostfwd=tcp::70000-:22", "hostfwd=tcp:1.2.3:5-:22",
                                      "hostfwd=tcp::5", "frobnicate=1"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = net_slirp_new(bad[i], &be);
        if (r == 0)
            net_free(be);
        CHECK(r == -EINVAL, "'%s' gave %d, want -EINVAL", bad[i], r);
    }
    int busy = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    CHECK(bind(busy, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(busy, 1) == 0 &&
              getsockname(busy, (struct sockaddr *)&sa, &sl) == 0,
          "busy port");
    char opts[96];
    snprintf(opts, sizeof(opts), "hostfwd=tcp:127.0.0.1:%d-:22", ntohs(sa.sin_port));
    int r = net_slirp_new(opts, &be);
    if (r == 0)
        net_free(be);
    close(busy);
    CHECK(r < 0 && r != -EINVAL, "forwarding a port in use gave %d", r);
    r = net_slirp_new("hostfwd=udp:127.0.0.1:0-:53", &be);
    CHECK(r == -EINVAL, "port 0 gave %d", r);
    CHECK(net_slirp_new("", &be) == 0, "empty options");
    r = net_slirp_add_hostfwd(be, "udp::0-:53");
    CHECK(r == -EINVAL, "add_hostfwd port 0 gave %d", r);
    net_free(be);
    return true;
}

static bool test_net_dhcp_fwd(void)
{
    /* A free host port for the forwarding rule, and a host TCP server for outbound. */
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    CHECK(bind(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
              getsockname(probe, (struct sockaddr *)&sa, &sl) == 0,
          "probe port");
    int fwd_port = ntohs(sa.sin_port);
    close(probe);
    int server = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sa.sin_port = 0;
    CHECK(bind(server, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(server, 1) == 0 &&
              getsockname(server, (struct sockaddr *)&sa, &sl) == 0,
          "host server");
    int srv_port = ntohs(sa.sin_port);

    struct net_backend *be;
    char opts[128];
    snprintf(opts, sizeof(opts), "hostfwd=tcp:127.0.0.1:%d-:2222,hostfwd=udp:127.0.0.1:%d-:53",
             fwd_port, fwd_port);
    int r = net_slirp_new(opts, &be);
    CHECK(r == 0, "net_slirp_new(%s): %d", opts, r);
    struct virtio_dev *d;
    CHECK(virtio_net_new(&pm, be, NULL, &d) == 0, "virtio_net_new");
    struct net_t n;
    CHECK(tdev_open(&n.t, d), "transport");
    CHECK(rd(&n.t, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_NET, "device id");
    uint64_t want = FEAT_V1 | VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS);
    CHECK((device_features(&n.t) & want) == want, "features");
    CHECK(drv_init(&n.t, want, 2, 16) & VIRTIO_STATUS_DRIVER_OK, "init");
    uint8_t mac[6];
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)virtio_mmio_ops.read(n.t.m, VIRTIO_MMIO_CONFIG + i, 1);
    CHECK(!memcmp(mac, guest_mac, 6), "config mac");
    CHECK(virtio_mmio_ops.read(n.t.m, VIRTIO_MMIO_CONFIG + 6, 2) == VIRTIO_NET_S_LINK_UP, "link");
    for (unsigned i = 0; i < 8; i++) {
        n.rxbuf[i] = galloc(2048, 8);
        net_post_rx(&n, i);
    }
    drv_kick(&n.t, 0);

    uint8_t frame[2048];
    size_t len = 0;
    bool ok = dhcp_discover(&n, frame, &len);
    if (!ok)
        goto out;
    {
        const uint8_t *bp = frame + 42;
        uint32_t yi;
        memcpy(&yi, bp + 16, 4);
        size_t iplen = (size_t)frame[16] << 8 | frame[17];
        if (len != 14 + iplen) {
            ok = fail("rx frame length %zu, IP says %zu", len, 14 + iplen);
            goto out;
        }
        ok = bp[0] == 2 && !memcmp(bp + 4, "\x12\x34\x56\x78", 4) && ntohl(yi) == 0x0a00020f;
        if (!ok) {
            fail("DHCP reply op %u yiaddr %#x", bp[0], ntohl(yi));
            goto out;
        }
        bool offer = false;
        for (size_t i = 240; i + 2 < len - 42 && bp[i] != 255; i += bp[i] ? 2u + bp[i + 1] : 1u)
            if (bp[i] == 53 && bp[i + 2] == 2)
                offer = true;
        if (!offer) {
            ok = fail("DHCP reply is not an OFFER");
            goto out;
        }
    }

    /* Outbound: a SYN from 10.0.2.15 to 10.0.2.2:srv_port reaches the host's loopback. */
    {
        uint8_t f[14 + 20 + 20] = {0};
        static const uint8_t gw_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
        size_t o = build_ip(f, gw_mac, htonl(0x0a00020f), htonl(0x0a000202), 6, 20);
        be16(f + o, 40000);
        be16(f + o + 2, (uint16_t)srv_port);
        memcpy(f + o + 4, "\x00\x00\x10\x00", 4);
        f[o + 12] = 5 << 4;
        f[o + 13] = 0x02; /* SYN */
        be16(f + o + 14, 8192);
        uint8_t ph[12 + 20];
        memcpy(ph, f + 26, 8);
        ph[8] = 0;
        ph[9] = 6;
        be16(ph + 10, 20);
        memcpy(ph + 12, f + o, 20);
        be16(f + o + 16, ip_csum(ph, sizeof(ph)));
        net_send_frame(&n, f, sizeof(f));
        struct pollfd p = {.fd = server, .events = POLLIN};
        ok = poll(&p, 1, 3000) == 1;
        int c = ok ? accept(server, NULL, NULL) : -1;
        if (c < 0) {
            ok = fail("guest SYN to 10.0.2.2:%d never reached the host's 127.0.0.1", srv_port);
            goto out;
        }
        close(c);
    }

    /* Inbound: connecting to the forwarded host port makes slirp send a SYN to :2222. */
    {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fwd_port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        connect(c, (struct sockaddr *)&to, sizeof(to));
        bool syn = false;
        for (int i = 0; i < 20 && !syn; i++) {
            if (!net_recv(&n, frame, &len, 3000))
                break;
            if (len >= 54 && frame[12] == 0x08 && frame[13] == 0x00 && frame[23] == 6 &&
                frame[36] == (2222 >> 8) && frame[37] == (2222 & 0xff) && (frame[47] & 0x02))
                syn = true;
            else if (len >= 42 && frame[12] == 0x08 && frame[13] == 0x06 && frame[21] == 1) {
                /* ARP who-has 10.0.2.15: answer it */
                uint8_t a[42] = {0};
                memcpy(a, frame + 6, 6);
                memcpy(a + 6, guest_mac, 6);
                be16(a + 12, 0x0806);
                memcpy(a + 14, frame + 14, 6);
                a[21] = 2;
                memcpy(a + 22, guest_mac, 6);
                memcpy(a + 28, frame + 38, 4);
                memcpy(a + 32, frame + 22, 10);
                net_send_frame(&n, a, sizeof(a));
            }
        }
        close(c);
        if (!syn) {
            ok = fail("hostfwd: no SYN to guest port 2222 after a host connect");
            goto out;
        }
    }
out:
    tdev_close(&n.t); /* frees the device and the slirp backend */
    close(server);
    return ok;
}
#endif

int main(void)
{
    int r = physmap_add_ram(&pm, "ram", RAM_BASE, RAM_SIZE, NULL);
    if (r < 0) {
        printf("not ok virtio_setup: physmap_add_ram %d\n", r);
        return 1;
    }
    ram = physmap_ram_ptr(&pm, RAM_BASE, RAM_SIZE);
    if (!ram || !make_image()) {
        printf("not ok virtio_setup: ram or temp image\n");
        return 1;
    }
    run("virtio_mmio_registers", test_mmio_regs);
    run("virtio_blk_rw_flush_id_range", test_blk_rw);
    run("virtio_blk_indirect", test_blk_indirect);
    run("virtio_blk_readonly", test_blk_readonly);
    run("virtio_blk_open_errors", test_blk_open_errors);
    run("virtio_bad_chains_need_reset", test_bad_chains);
    run("virtio_bad_indirect", test_bad_indirect_loop);
    run("virtio_rng", test_rng);
    run("virtio_event_idx", test_event_idx);
    run("virtio_no_interrupt_flag", test_no_interrupt_flag);
    run("virtio_console", test_console);
#if CONFIG_SLIRP
    run("virtio_net_slirp_options", test_net_slirp_options);
    run("virtio_net_slirp_dhcp_outbound_hostfwd", test_net_dhcp_fwd);
#else
    printf("ok virtio_net_slirp # skipped: built without libslirp\n");
#endif
    unlink(img_path);
    return failures ? 1 : 0;
}
