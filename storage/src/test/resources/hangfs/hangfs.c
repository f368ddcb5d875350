/*
 * hangfs: a FUSE file system whose data never arrives, to test that storage probes return when a device hangs.
 * It speaks the kernel's /dev/fuse protocol directly (no libfuse needed, only the kernel headers).
 *
 *   hangfs MOUNTPOINT SOURCE [--answer-reads | --backing FILE]
 *
 * The root directory holds one 1 MiB file, "disk". Opening it works; every READ of it (unless --answer-reads: then
 * reads return zeros) and every lookup of any other name is never answered, so a read(2) or a create blocks exactly
 * as on a dead iSCSI device: the caller sleeps uninterruptibly once the request was taken. The process runs until
 * it is killed or the file system is unmounted; killing it aborts the pending requests.
 *
 * With --backing, "disk" is FILE (its size, its bytes: reads and writes go through) until SIGUSR1 arrives; from then
 * on no READ, WRITE or FSYNC is answered. A loop device over "disk" is then a disk that dies under a mounted file
 * system, with its dirty data still to be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define DISK_INO 2
#define DISK_SIZE (1024 * 1024)

static int fuse_fd;
static int backing_fd = -1;
static off_t disk_size = DISK_SIZE;
static volatile sig_atomic_t dead;

static void die_now(int sig) {
    (void)sig;
    dead = 1;
}

static void reply(uint64_t unique, int error, const void *payload, size_t size) {
    char buf[sizeof(struct fuse_out_header) + 4096];
    struct fuse_out_header *out = (struct fuse_out_header *)buf;
    if (size > 4096) size = 4096;
    out->len = sizeof(*out) + (error ? 0 : size);
    out->error = error;
    out->unique = unique;
    if (!error && size) memcpy(buf + sizeof(*out), payload, size);
    if (write(fuse_fd, buf, out->len) < 0 && errno != ENOENT) perror("hangfs: write");
}

static void fill_attr(struct fuse_attr *a, uint64_t ino) {
    memset(a, 0, sizeof(*a));
    a->ino = ino;
    a->nlink = 1;
    a->blksize = 4096;
    if (ino == FUSE_ROOT_ID) {
        a->mode = S_IFDIR | 0755;
        a->nlink = 2;
    } else {
        a->mode = S_IFREG | 0644;
        a->size = disk_size;
        a->blocks = disk_size / 512;
    }
}

static char zeros[1024 * 1024];

static void reply_zeros(uint64_t unique, uint32_t size) {
    struct fuse_out_header out;
    if (size > sizeof(zeros)) size = sizeof(zeros);
    out.len = sizeof(out) + size;
    out.error = 0;
    out.unique = unique;
    struct iovec iov[2] = {{&out, sizeof(out)}, {zeros, size}};
    if (writev(fuse_fd, iov, 2) < 0 && errno != ENOENT) perror("hangfs: writev");
}

int main(int argc, char **argv) {
    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "--answer-reads") == 0)
        && !(argc == 5 && strcmp(argv[3], "--backing") == 0)) {
        fprintf(stderr, "usage: hangfs MOUNTPOINT SOURCE [--answer-reads | --backing FILE]\n");
        return 2;
    }
    int answer_reads = argc == 4;
    if (argc == 5) {
        struct stat st;
        backing_fd = open(argv[4], O_RDWR | O_CLOEXEC);
        if (backing_fd < 0 || fstat(backing_fd, &st) != 0) {
            perror("hangfs: backing file");
            return 1;
        }
        disk_size = st.st_size;
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = die_now; /* no SA_RESTART: the read of /dev/fuse returns EINTR */
        sigaction(SIGUSR1, &sa, NULL);
    }
    fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fuse_fd < 0) {
        perror("hangfs: /dev/fuse");
        return 1;
    }
    char opts[128];
    snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fuse_fd);
    if (mount(argv[2], argv[1], "fuse.hangfs", MS_NOSUID | MS_NODEV, opts) != 0) {
        perror("hangfs: mount");
        return 1;
    }
    printf("mounted\n");
    fflush(stdout);
    static char buf[FUSE_MIN_READ_BUFFER + 1024 * 1024];
    for (;;) {
        ssize_t n = read(fuse_fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR || errno == ENOENT || errno == EAGAIN) continue;
            if (errno == ENODEV) return 0; /* unmounted */
            perror("hangfs: read");
            return 1;
        }
        struct fuse_in_header *in = (struct fuse_in_header *)buf;
        void *arg = buf + sizeof(*in);
        switch (in->opcode) {
        case FUSE_INIT: {
            struct fuse_init_in *init = arg;
            struct fuse_init_out o;
            memset(&o, 0, sizeof(o));
            o.major = FUSE_KERNEL_VERSION;
            o.minor = init->minor < FUSE_KERNEL_MINOR_VERSION ? init->minor : FUSE_KERNEL_MINOR_VERSION;
            o.max_readahead = init->max_readahead;
            o.max_write = 65536;
            o.max_background = 16;
            o.congestion_threshold = 12;
            reply(in->unique, 0, &o, sizeof(o));
            break;
        }
        case FUSE_GETATTR: {
            struct fuse_attr_out o;
            memset(&o, 0, sizeof(o));
            fill_attr(&o.attr, in->nodeid == FUSE_ROOT_ID ? FUSE_ROOT_ID : DISK_INO);
            reply(in->unique, 0, &o, sizeof(o));
            break;
        }
        case FUSE_LOOKUP:
            if (in->nodeid == FUSE_ROOT_ID && strcmp((char *)arg, "disk") == 0) {
                struct fuse_entry_out e;
                memset(&e, 0, sizeof(e));
                e.nodeid = DISK_INO;
                e.generation = 1;
                fill_attr(&e.attr, DISK_INO);
                reply(in->unique, 0, &e, sizeof(e));
            }
            /* any other name: no answer, the caller hangs */
            break;
        case FUSE_OPEN:
        case FUSE_OPENDIR: {
            struct fuse_open_out o;
            memset(&o, 0, sizeof(o));
            reply(in->unique, 0, &o, sizeof(o));
            break;
        }
        case FUSE_READDIR:
            reply(in->unique, 0, NULL, 0);
            break;
        case FUSE_STATFS: {
            struct fuse_statfs_out o;
            memset(&o, 0, sizeof(o));
            o.st.bsize = 4096;
            o.st.frsize = 4096;
            o.st.namelen = 255;
            reply(in->unique, 0, &o, sizeof(o));
            break;
        }
        case FUSE_RELEASE:
        case FUSE_RELEASEDIR:
        case FUSE_FLUSH:
        case FUSE_ACCESS:
            reply(in->unique, 0, NULL, 0);
            break;
        case FUSE_READ:
            if (backing_fd >= 0) {
                struct fuse_read_in *r = arg;
                static char data[1024 * 1024];
                uint32_t size = r->size < sizeof(data) ? r->size : sizeof(data);
                if (dead) break;
                ssize_t got = pread(backing_fd, data, size, r->offset);
                if (got < 0) {
                    reply(in->unique, -EIO, NULL, 0);
                } else {
                    struct fuse_out_header out = {sizeof(out) + got, 0, in->unique};
                    struct iovec iov[2] = {{&out, sizeof(out)}, {data, got}};
                    if (writev(fuse_fd, iov, 2) < 0 && errno != ENOENT) perror("hangfs: writev");
                }
            } else if (answer_reads) {
                struct fuse_read_in *r = arg;
                uint64_t left = r->offset >= DISK_SIZE ? 0 : DISK_SIZE - r->offset;
                reply_zeros(in->unique, r->size < left ? r->size : (uint32_t)left);
            }
            break;
        case FUSE_WRITE:
            if (backing_fd >= 0 && !dead) {
                struct fuse_write_in *w = arg;
                struct fuse_write_out o;
                memset(&o, 0, sizeof(o));
                ssize_t put = pwrite(backing_fd, (char *)arg + sizeof(*w), w->size, w->offset);
                if (put < 0) {
                    reply(in->unique, -EIO, NULL, 0);
                } else {
                    o.size = put;
                    reply(in->unique, 0, &o, sizeof(o));
                }
            } else if (backing_fd < 0) {
                reply(in->unique, -ENOSYS, NULL, 0);
            }
            break;
        case FUSE_FSYNC:
            if (backing_fd >= 0 && !dead) {
                fdatasync(backing_fd);
                reply(in->unique, 0, NULL, 0);
            } else if (backing_fd < 0) {
                reply(in->unique, -ENOSYS, NULL, 0);
            }
            break;
        case FUSE_SETATTR: {
            struct fuse_attr_out o;
            memset(&o, 0, sizeof(o));
            fill_attr(&o.attr, in->nodeid == FUSE_ROOT_ID ? FUSE_ROOT_ID : DISK_INO);
            reply(in->unique, 0, &o, sizeof(o));
            break;
        }
        case FUSE_INTERRUPT:
        case FUSE_FORGET:
        case FUSE_BATCH_FORGET:
            /* READ: the hang itself. The others take no answer. */
            break;
        case FUSE_DESTROY:
            reply(in->unique, 0, NULL, 0);
            return 0;
        default:
            reply(in->unique, -ENOSYS, NULL, 0);
            break;
        }
    }
}
