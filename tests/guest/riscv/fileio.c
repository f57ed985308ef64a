/*
 * The POSIX surface a typical program uses, through static glibc: stdio and raw file I/O
 * (incl. pread/pwrite, lseek, ftruncate, a 256 KiB binary round trip, mmap of a file),
 * stat/lstat/fstat fields, links, rename, utimensat times, errno values, directories
 * (mkdir/opendir/readdir/rmdir, chdir + relative paths), pipes, fork + waitpid statuses
 * (exit code and killing signal), dup2, execve of this same program (args, environment,
 * exit status, /proc/self/exe), clocks and sleeping, and uname.
 *
 * Modes (run.sh uses them): no argument = the tests; "exit N" = exit with status N;
 * "abort" = die of SIGABRT; "child-exec WORD" = the image execve'd by the tests.
 * Scratch files live in a fresh directory under $TMPDIR (default /tmp), removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char dir[PATH_MAX - 64]; /* room for "/name" in path() */
static const char *self;

static const char *path(const char *name)
{
    static char buf[4][PATH_MAX];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void test_stdio(void)
{
    FILE *f = fopen(path("text"), "w");
    if (!f) {
        check_true("fopen w", 0, "errno %d", errno);
        return;
    }
    for (int i = 0; i < 100; i++)
        fprintf(f, "line %d %s\n", i, i % 2 ? "odd" : "even");
    check_u64("fclose", (uint64_t)fclose(f), 0);

    f = fopen(path("text"), "r");
    char line[64];
    int n = 0, odd = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        odd += strstr(line, "odd") != NULL;
    }
    check_u64("fgets line count", (uint64_t)n, 100);
    check_u64("fgets odd lines", (uint64_t)odd, 50);
    /* 100 * strlen("line  \n") + 10*1 + 90*2 digits + 50*4 + 50*3 word letters */
    check_u64("ftell at end", (uint64_t)ftell(f), 1240);
    fseek(f, 7, SEEK_SET);
    check_u64("fseek+fgetc", (uint64_t)fgetc(f), 'e');
    fclose(f);
}

static uint32_t pattern(uint32_t i) { return i * 2654435761u ^ (i >> 3); }

static void test_raw_io(void)
{
    enum { WORDS = 65536 }; /* 256 KiB */
    static uint32_t buf[WORDS], back[WORDS];
    for (uint32_t i = 0; i < WORDS; i++)
        buf[i] = pattern(i);
    int fd = open(path("bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    check_true("open O_CREAT", fd >= 0, "errno %d", errno);
    check_u64("write 256K", (uint64_t)write(fd, buf, sizeof buf), sizeof buf);
    check_u64("lseek SEEK_END", (uint64_t)lseek(fd, 0, SEEK_END), sizeof buf);
    check_u64("lseek SEEK_SET", (uint64_t)lseek(fd, 0, SEEK_SET), 0);
    size_t got = 0;
    while (got < sizeof back) {
        ssize_t r = read(fd, (char *)back + got, sizeof back - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    check_u64("read 256K", got, sizeof back);
    check_true("256K round trip", !memcmp(buf, back, sizeof buf), "data differs");
    check_u64("read at EOF", (uint64_t)read(fd, back, 16), 0);

    uint32_t v = 0xdeadbeef, w = 0;
    check_u64("pwrite", (uint64_t)pwrite(fd, &v, 4, 4000), 4);
    check_u64("pread", (uint64_t)pread(fd, &w, 4, 4000), 4);
    check_u64("pread value", w, 0xdeadbeef);
    check_u64("pread did not move the offset", (uint64_t)lseek(fd, 0, SEEK_CUR), sizeof buf);
    check_u64("ftruncate", (uint64_t)ftruncate(fd, 10000), 0);
    struct stat st;
    fstat(fd, &st);
    check_u64("fstat size after ftruncate", (uint64_t)st.st_size, 10000);
    check_true("fstat regular file", S_ISREG(st.st_mode), "mode %o", st.st_mode);

    /* shared file mapping: a store through the mapping is seen by read() */
    uint32_t *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check_true("mmap file", m != MAP_FAILED, "errno %d", errno);
    if (m != MAP_FAILED) {
        check_u64("mmap sees file data", m[1000], 0xdeadbeef);
        check_u64("mmap sees pattern", m[7], pattern(7));
        m[2] = 0x01020304;
        msync(m, 8192, MS_SYNC);
        pread(fd, &w, 4, 8);
        check_u64("store through mapping reaches the file", w, 0x01020304);
        munmap(m, 8192);
    }
    close(fd);
}

static void test_metadata(void)
{
    struct stat st;
    check_u64("symlink", (uint64_t)symlink("bin", path("lnk")), 0);
    check_u64("link", (uint64_t)link(path("bin"), path("hard")), 0);
    char target[64] = {0};
    check_u64("readlink length", (uint64_t)readlink(path("lnk"), target, sizeof target - 1), 3);
    check_true("readlink target", !strcmp(target, "bin"), "'%s'", target);
    lstat(path("lnk"), &st);
    check_true("lstat sees a symlink", S_ISLNK(st.st_mode), "mode %o", st.st_mode);
    stat(path("lnk"), &st);
    check_u64("stat follows the symlink", (uint64_t)st.st_size, 10000);
    check_u64("hard link count", (uint64_t)st.st_nlink, 2);
    check_u64("chmod", (uint64_t)chmod(path("bin"), 0640), 0);
    stat(path("hard"), &st);
    check_u64("mode after chmod", (uint64_t)(st.st_mode & 07777), 0640);
    struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
    check_u64("utimensat", (uint64_t)utimensat(AT_FDCWD, path("bin"), times, 0), 0);
    stat(path("bin"), &st);
    check_u64("st_mtime", (uint64_t)st.st_mtim.tv_sec, 1234567890);
    check_u64("st_atime", (uint64_t)st.st_atim.tv_sec, 1000000000);
    check_u64("rename", (uint64_t)rename(path("hard"), path("hard2")), 0);
    check_true("old name gone", stat(path("hard"), &st) == -1 && errno == ENOENT, "errno %d",
               errno);
    check_u64("unlink", (uint64_t)unlink(path("hard2")), 0);
    stat(path("bin"), &st);
    check_u64("link count after unlink", (uint64_t)st.st_nlink, 1);

    check_true("open missing: ENOENT", open(path("nope"), O_RDONLY) == -1 && errno == ENOENT,
               "errno %d", errno);
    check_true("mkdir existing: EEXIST", mkdir(dir, 0755) == -1 && errno == EEXIST, "errno %d",
               errno);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    char c;
    check_true("read on a directory: EISDIR", read(dfd, &c, 1) == -1 && errno == EISDIR,
               "errno %d", errno);
    close(dfd);
    check_true("bad fd: EBADF", close(1000) == -1 && errno == EBADF, "errno %d", errno);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_dirs(void)
{
    check_u64("mkdir", (uint64_t)mkdir(path("d"), 0755), 0);
    check_u64("mkdir sub", (uint64_t)mkdir(path("d/sub"), 0700), 0);
    const char *names[] = {"d/zeta", "d/alpha", "d/Mid"};
    for (int i = 0; i < 3; i++)
        close(open(path(names[i]), O_WRONLY | O_CREAT, 0600));
    DIR *d = opendir(path("d"));
    check_true("opendir", d != NULL, "errno %d", errno);
    if (!d)
        return;
    char *seen[16];
    int n = 0, dirs = 0, regs = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        seen[n++] = strdup(e->d_name);
        dirs += e->d_type == DT_DIR;
        regs += e->d_type == DT_REG;
    }
    closedir(d);
    qsort(seen, (size_t)n, sizeof seen[0], cmp_str);
    char joined[128] = "";
    for (int i = 0; i < n; i++) {
        strcat(joined, seen[i]);
        strcat(joined, i + 1 < n ? " " : "");
        free(seen[i]);
    }
    check_true("readdir names", !strcmp(joined, "Mid alpha sub zeta"), "'%s'", joined);
    check_true("readdir d_type", dirs == 1 && regs == 3, "%d dirs %d files", dirs, regs);

    char cwd[PATH_MAX], here[PATH_MAX];
    getcwd(cwd, sizeof cwd);
    check_u64("chdir", (uint64_t)chdir(path("d")), 0);
    getcwd(here, sizeof here);
    check_true("getcwd after chdir", !strcmp(here, path("d")), "'%s'", here);
    struct stat st;
    check_u64("relative stat", (uint64_t)stat("sub", &st), 0);
    check_true("relative stat is a dir", S_ISDIR(st.st_mode), "mode %o", st.st_mode);
    check_u64("rmdir non-empty fails", (uint64_t)(rmdir("..") == -1), 1);
    chdir(cwd);
    check_u64("rmdir", (uint64_t)rmdir(path("d/sub")), 0);
    for (int i = 0; i < 3; i++)
        unlink(path(names[i]));
    check_u64("rmdir emptied", (uint64_t)rmdir(path("d")), 0);
}

static void test_processes(void)
{
    int p[2];
    check_u64("pipe", (uint64_t)pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        const char msg[] = "hello from the child";
        if (write(p[1], msg, sizeof msg) != (ssize_t)sizeof msg)
            _exit(99);
        _exit(3);
    }
    close(p[1]);
    char buf[64] = {0};
    ssize_t n = read(p[0], buf, sizeof buf);
    close(p[0]);
    check_true("child wrote through the pipe", n == 21 && !strcmp(buf, "hello from the child"),
               "n=%zd '%s'", n, buf);
    int status = 0;
    check_u64("waitpid pid", (uint64_t)waitpid(pid, &status, 0), (uint64_t)pid);
    check_true("child exit status 3", WIFEXITED(status) && WEXITSTATUS(status) == 3,
               "status 0x%x", status);

    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    check_true("child killed by SIGKILL", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
               "status 0x%x", status);

    /* dup2 stdout of a child into a pipe */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        printf("via stdout %d\n", 77);
        fflush(stdout);
        _exit(0);
    }
    close(p[1]);
    memset(buf, 0, sizeof buf);
    n = read(p[0], buf, sizeof buf);
    close(p[0]);
    waitpid(pid, &status, 0);
    check_true("dup2 stdout", !strcmp(buf, "via stdout 77\n"), "'%s'", buf);
    check_u64("getppid in parent", (uint64_t)(getppid() > 0), 1);
}

static void test_exec(void)
{
    char exe[PATH_MAX] = {0}, real[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    check_true("/proc/self/exe is this program", n > 0 && realpath(self, real) &&
                                                     !strcmp(exe, real),
               "'%s' vs '%s'", exe, self);

    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        char *argv[] = {(char *)self, "child-exec", "hello world", NULL};
        char *envp[] = {"FILEIO_MARK=xyz", NULL};
        execve(self, argv, envp);
        printf("execve failed: errno %d\n", errno);
        fflush(stdout);
        _exit(127);
    }
    close(p[1]);
    char buf[128] = {0};
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    check_true("execve of itself: output", !strcmp(buf, "exec'd: hello world xyz\n"), "'%s'",
               buf);
    check_true("execve of itself: exit status 7", WIFEXITED(status) && WEXITSTATUS(status) == 7,
               "status 0x%x", status);
}

static void test_time(void)
{
    time_t now = time(NULL);
    check_true("time() after 2020", now > 1577836800, "%lld", (long long)now);
    struct timespec rt, m0, m1;
    clock_gettime(CLOCK_REALTIME, &rt);
    check_true("CLOCK_REALTIME agrees with time()", rt.tv_sec - now >= 0 && rt.tv_sec - now < 3,
               "%lld vs %lld", (long long)rt.tv_sec, (long long)now);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    check_true("gettimeofday agrees", tv.tv_sec - now >= 0 && tv.tv_sec - now < 3, "%lld",
               (long long)tv.tv_sec);
    clock_gettime(CLOCK_MONOTONIC, &m0);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    clock_gettime(CLOCK_MONOTONIC, &m1);
    long long ns = (m1.tv_sec - m0.tv_sec) * 1000000000ll + (m1.tv_nsec - m0.tv_nsec);
    check_true("nanosleep 20 ms", ns >= 20000000 && ns < 2000000000, "%lld ns", ns);

    struct utsname u;
    uname(&u);
    check_true("uname machine", !strcmp(u.machine, "riscv64"), "'%s'", u.machine);
    check_true("uname sysname", !strcmp(u.sysname, "Linux"), "'%s'", u.sysname);
}

static void cleanup(void)
{
    const char *files[] = {"text", "bin", "lnk", "hard", "hard2"};
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(path(files[i]));
    rmdir(dir);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc >= 3 && !strcmp(argv[1], "exit"))
        return atoi(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "abort"))
        abort();
    if (argc >= 3 && !strcmp(argv[1], "child-exec")) {
        const char *mark = getenv("FILEIO_MARK");
        printf("exec'd: %s %s\n", argv[2], mark ? mark : "(no env)");
        return 7;
    }

    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fileio.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("mkdtemp %s: errno %d\n", dir, errno);
        return 1;
    }
    test_stdio();
    test_raw_io();
    test_metadata();
    test_dirs();
    test_processes();
    test_exec();
    test_time();
    cleanup();
    return check_done("fileio");
}
