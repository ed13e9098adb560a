/* tests/runner.c: runs the unit tests listed in the generated test list.
 *
 *   ./run_tests               every test, each in a forked child with a timeout
 *   ./run_tests NAME [NAME]   only those
 *   ./run_tests --no-fork     in this process (for gdb)
 *
 * Output is TAP; the last line is "N passed, N failed", with ", N skipped"
 * when some tests could not run here (TEST_SKIP: "ok N - name # SKIP").
 * The exit status is 0 only when no selected test failed. */
#include "test.h"

#include "core/log.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_ENTRY(name) void test_##name(void);
#include "test_list.h"
#undef TEST_ENTRY

struct test_case {
    const char *name;
    void (*fn)(void);
};

static const struct test_case tests[] = {
#define TEST_ENTRY(name) {#name, test_##name},
#include "test_list.h"
#undef TEST_ENTRY
};

int test_failed;
int test_skipped;

/* A skipped child exits with this status (automake's convention). */
#define EXIT_SKIPPED 77

void test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "# SKIP ");
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
    test_skipped = 1;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "# %s:%d: ", file, line);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
    test_failed = 1;
}

void test_dump_diff(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            fprintf(stdout, "# first difference at byte %zu: got 0x%02x, expected 0x%02x\n", i,
                    x[i], y[i]);
            return;
        }
    }
}

/* Returns 0 (passed), 1 (failed) or EXIT_SKIPPED. */
static int run_one(const struct test_case *t, int do_fork, unsigned timeout_s)
{
    if (!do_fork) {
        test_failed = test_skipped = 0;
        t->fn();
        return test_failed ? 1 : test_skipped ? EXIT_SKIPPED : 0;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        alarm(timeout_s);
        test_failed = test_skipped = 0;
        t->fn();
        fflush(stdout);
        _exit(test_failed ? 1 : test_skipped ? EXIT_SKIPPED : 0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFSIGNALED(status)) {
        fprintf(stdout, "# killed by signal %d%s\n", WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
        return 1;
    }
    if (WEXITSTATUS(status) == EXIT_SKIPPED) return EXIT_SKIPPED;
    return WEXITSTATUS(status) != 0;
}

int main(int argc, char **argv)
{
    /* Tests that exercise error paths would fill the output with expected
     * log lines; CABLED_TEST_LOG=debug shows them. */
    if (log_set_level(getenv("CABLED_TEST_LOG") ? getenv("CABLED_TEST_LOG") : "error") != 0)
        log_set_level("error");
    int do_fork = 1;
    int selected = 0;
    const size_t count = sizeof tests / sizeof tests[0];
    char *want = calloc(count, 1);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-fork") == 0) {
            do_fork = 0;
            continue;
        }
        int found = 0;
        for (size_t j = 0; j < count; j++) {
            if (strcmp(argv[i], tests[j].name) == 0) {
                want[j] = 1;
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "no test named %s\n", argv[i]);
            free(want);
            return 2;
        }
        selected = 1;
    }
    size_t total = 0;
    for (size_t j = 0; j < count; j++) total += !selected || want[j];
    printf("TAP version 13\n1..%zu\n", total);
    unsigned passed = 0, failed = 0, skipped = 0, n = 0;
    for (size_t j = 0; j < count; j++) {
        if (selected && !want[j]) continue;
        n++;
        int rc = run_one(&tests[j], do_fork, 60);
        printf("%s %u - %s%s\n", rc == 1 ? "not ok" : "ok", n, tests[j].name,
               rc == EXIT_SKIPPED ? " # SKIP" : "");
        fflush(stdout);
        if (rc == 1)
            failed++;
        else if (rc == EXIT_SKIPPED)
            skipped++;
        else
            passed++;
    }
    if (skipped)
        printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
    else
        printf("%u passed, %u failed\n", passed, failed);
    free(want);
    return failed ? 1 : 0;
}
