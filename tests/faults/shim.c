/*
 * The fault suite's storage shim, preloaded (LD_PRELOAD) into `inventory serve`. It touches
 * only files under FAULT_SHIM_DIR (the database's folder) and is driven by files in
 * FAULT_SHIM_CONTROL:
 *
 * - Power cuts. With FAULT_SHIM_SNAPSHOT=1, every successful fsync/fdatasync of a database
 *   file copies that file, as it is at that moment, to CONTROL/<name>.synced, and unlinking a
 *   file drops its copy. The suite then simulates a power cut as "kill -9, and every file goes
 *   back to what was last synced": everything the disk was never asked to keep is lost. A
 *   commit acknowledged without its fsync (synchronous=OFF or NORMAL) is then visibly lost.
 * - Read-only storage. While CONTROL/readonly exists, every write to a database file fails
 *   with EROFS, as on a filesystem remounted read-only after an error (the kernel refuses a
 *   real read-only remount while the server holds the file open for writing).
 *
 * Built by the suite with the machine's C compiler; nothing in the service knows about it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static const char *watched_dir;
static size_t watched_len;
static const char *control_dir;
static int snapshots;
static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((constructor)) static void shim_init(void) {
    watched_dir = getenv("FAULT_SHIM_DIR");
    watched_len = watched_dir ? strlen(watched_dir) : 0;
    control_dir = getenv("FAULT_SHIM_CONTROL");
    const char *snapshot = getenv("FAULT_SHIM_SNAPSHOT");
    snapshots = snapshot && strcmp(snapshot, "1") == 0;
}

static void *real(const char *name) {
    void *symbol = dlsym(RTLD_NEXT, name);
    if (!symbol) abort();
    return symbol;
}

/* True when `path` is inside the watched folder. */
static int watched_path(const char *path) {
    return watched_len && strncmp(path, watched_dir, watched_len) == 0 &&
           path[watched_len] == '/';
}

/* The path `fd` is open on, when it is inside the watched folder. */
static int watched_fd(int fd, char *path, size_t size) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, size - 1);
    if (n <= 0) return 0;
    path[n] = 0;
    return watched_path(path);
}

static int read_only(void) {
    if (!control_dir) return 0;
    char flag[PATH_MAX];
    snprintf(flag, sizeof flag, "%s/readonly", control_dir);
    return access(flag, F_OK) == 0;
}

static int refused(int fd) {
    char path[PATH_MAX];
    return read_only() && watched_fd(fd, path, sizeof path);
}

static void synced_copy_name(const char *path, char *out, size_t size) {
    const char *base = strrchr(path, '/');
    snprintf(out, size, "%s/%s.synced", control_dir, base ? base + 1 : path);
}

/* Copies the file `fd` is open on to CONTROL/<name>.synced (through a temporary file and a
 * rename, so a kill mid-copy leaves the previous copy). Reads through `fd` itself: opening
 * and closing another descriptor would drop the process's POSIX locks on the file. */
static void snapshot(int fd) {
    char path[PATH_MAX];
    if (!snapshots || !control_dir || !watched_fd(fd, path, sizeof path)) return;
    size_t len = strlen(path);
    if (len > 4 && strcmp(path + len - 4, "-shm") == 0) return; /* rebuilt on open */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    char target[PATH_MAX], temporary[PATH_MAX + 8];
    synced_copy_name(path, target, sizeof target);
    snprintf(temporary, sizeof temporary, "%s.tmp", target);
    pthread_mutex_lock(&snapshot_lock);
    int out = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out >= 0) {
        static char buffer[1 << 16];
        off_t offset = 0;
        ssize_t n;
        ssize_t (*write_out)(int, const void *, size_t) = real("write");
        while ((n = pread(fd, buffer, sizeof buffer, offset)) > 0) {
            if (write_out(out, buffer, (size_t)n) != n) break;
            offset += n;
        }
        close(out);
        rename(temporary, target);
    }
    pthread_mutex_unlock(&snapshot_lock);
}

int fsync(int fd) {
    static int (*next)(int);
    if (!next) next = real("fsync");
    int result = next(fd);
    if (result == 0) snapshot(fd);
    return result;
}

int fdatasync(int fd) {
    static int (*next)(int);
    if (!next) next = real("fdatasync");
    int result = next(fd);
    if (result == 0) snapshot(fd);
    return result;
}

int unlink(const char *path) {
    static int (*next)(const char *);
    if (!next) next = real("unlink");
    int result = next(path);
    if (result == 0 && snapshots && control_dir && watched_path(path)) {
        char target[PATH_MAX];
        synced_copy_name(path, target, sizeof target);
        pthread_mutex_lock(&snapshot_lock);
        next(target);
        pthread_mutex_unlock(&snapshot_lock);
    }
    return result;
}

ssize_t write(int fd, const void *buffer, size_t count) {
    static ssize_t (*next)(int, const void *, size_t);
    if (!next) next = real("write");
    if (refused(fd)) {
        errno = EROFS;
        return -1;
    }
    return next(fd, buffer, count);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    static ssize_t (*next)(int, const void *, size_t, off_t);
    if (!next) next = real("pwrite");
    if (refused(fd)) {
        errno = EROFS;
        return -1;
    }
    return next(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    static ssize_t (*next)(int, const void *, size_t, off_t);
    if (!next) next = real("pwrite64");
    if (refused(fd)) {
        errno = EROFS;
        return -1;
    }
    return next(fd, buffer, count, offset);
}
