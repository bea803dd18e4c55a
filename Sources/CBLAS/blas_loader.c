// Loads OpenBLAS with dlopen after choosing its kernel. See include/CBLAS.h.
#define _GNU_SOURCE
#include "CBLAS.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double *, int,
                         const double *, int, double, double *, int);
typedef char *(*str_fn)(void);
typedef void (*set_threads_fn)(int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static char loaded_path[256];
static int chosen = 0;
static sgemm_fn p_sgemm;
static dgemm_fn p_dgemm;
static str_fn p_corename, p_config;
static set_threads_fn p_set_threads;
static bp_sgemm_fn sgemm = NULL;  // what products call: OpenBLAS, or plain loops if it failed its check
static bp_dgemm_fn dgemm = NULL;
static char check_failure[256];

// The kernel for this CPU, or NULL to let OpenBLAS decide. Haswell on every x86-64 CPU
// with AVX2 and FMA, AVX-512 ones included: its code is the same instructions on all of
// them, so every such CPU computes every product to the same bits. The AVX-512 kernels
// (SkylakeX, Cooperlake) send small products down other code that sums in another order,
// so a Zen 4 or a Xeon would give numbers of their own. A user who wants them anyway names
// one in OPENBLAS_CORETYPE.
static const char *best_core(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    if (__builtin_cpu_supports("avx"))
        return "Sandybridge";
#endif
    return NULL;
}

// OpenBLAS's gemm in Backprop's row-major signature.
static void openblas_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb,
                           float beta, float *c, int ldc) {
    p_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans,
            m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void openblas_dgemm(int transA, int transB, int m, int n, int k, double alpha,
                           const double *a, int lda, const double *b, int ldb,
                           double beta, double *c, int ldc) {
    p_dgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans,
            m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void load(void) {
    const char *core = best_core();
    int set_here = 0;
    if (getenv("OPENBLAS_CORETYPE") == NULL && core != NULL) {
        setenv("OPENBLAS_CORETYPE", core, 0);
        set_here = 1;
        chosen = 1;
    }
    // The thread count the user asked for is ours to honour (product_split.c); OpenBLAS
    // itself must start no thread pool: its idle workers poll with sched_yield and took
    // a core from ours (three runnable threads on two CPUs).
    const char *names[] = {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"};
    int threads = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names && threads < 1; i++) {
        const char *value = getenv(names[i]);
        if (value) threads = atoi(value);
    }
    char *user_threads = getenv("OPENBLAS_NUM_THREADS") ? strdup(getenv("OPENBLAS_NUM_THREADS")) : NULL;
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    const char *override = getenv("BACKPROP_OPENBLAS");
    const char *candidates[] = {
        override,
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
        "libopenblas.so",
        "libopenblas.dylib",
    };
    void *handle = NULL;
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !handle; i++) {
        if (candidates[i] == NULL) continue;
        handle = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
        if (handle) snprintf(loaded_path, sizeof loaded_path, "%s", candidates[i]);
    }
    // OpenBLAS reads the variable only while loading; children of this process
    // (a NumPy reference run, say) should see the environment the user gave.
    if (set_here) unsetenv("OPENBLAS_CORETYPE");
    if (user_threads) setenv("OPENBLAS_NUM_THREADS", user_threads, 1); else unsetenv("OPENBLAS_NUM_THREADS");
    free(user_threads);
    if (!handle) {
        snprintf(load_error, sizeof load_error,
                 "OpenBLAS could not be loaded (%s). Install it with: "
                 "sudo apt-get install libopenblas-dev  (or set BACKPROP_OPENBLAS "
                 "to the path of libopenblas.so.0)", dlerror());
        return;
    }
    p_sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    p_dgemm = (dgemm_fn)dlsym(handle, "cblas_dgemm");
    p_corename = (str_fn)dlsym(handle, "openblas_get_corename");
    p_config = (str_fn)dlsym(handle, "openblas_get_config");
    p_set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    // OpenBLAS itself runs one thread; a product is split between threads by
    // product_split.c instead (bit-identical whatever the count, and it degrades to one
    // thread instead of waiting when another process has a core). The count is the user's
    // OPENBLAS_NUM_THREADS (or GOTO_NUM_THREADS, OMP_NUM_THREADS) when set, else the
    // number of CPUs this process may run on, at most 8. See Docs/Performance.md.
    if (p_set_threads) p_set_threads(1);
    bp_parallel_set_threads(threads >= 1 ? threads : bp_parallel_default_threads());
    if (!p_sgemm || !p_dgemm) {
        snprintf(load_error, sizeof load_error,
                 "%s has no cblas_sgemm/cblas_dgemm; it is not OpenBLAS", loaded_path);
        p_sgemm = NULL;
        p_dgemm = NULL;
        return;
    }
    sgemm = openblas_sgemm;
    dgemm = openblas_dgemm;
    if (bp_check_kernels(sgemm, dgemm, check_failure, sizeof check_failure) != 0) {
        sgemm = bp_plain_sgemm;
        dgemm = bp_plain_dgemm;
    }
}

int bp_blas_load(char *error, int errorLength) {
    pthread_once(&once, load);
    if (p_sgemm) return 0;
    if (error && errorLength > 0) snprintf(error, (size_t)errorLength, "%s", load_error);
    return -1;
}

static void ensure(void) {
    pthread_once(&once, load);
    if (!p_sgemm) {
        fprintf(stderr, "error: %s\n", load_error);
        abort();
    }
}

const char *bp_blas_corename(void) {
    pthread_once(&once, load);
    return p_corename ? p_corename() : "";
}
const char *bp_blas_config(void) {
    pthread_once(&once, load);
    return p_config ? p_config() : "";
}
const char *bp_blas_path(void) { pthread_once(&once, load); return loaded_path; }
int bp_blas_core_was_chosen(void) { pthread_once(&once, load); return chosen; }
int bp_blas_num_threads(void) {
    pthread_once(&once, load);
    return bp_parallel_threads();
}
void bp_blas_set_num_threads(int threads) {
    pthread_once(&once, load);
    bp_parallel_set_threads(threads);
}

const char *bp_blas_check_failure(void) { pthread_once(&once, load); return check_failure; }

void bp_sgemm(int transA, int transB, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc) {
    ensure();
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void bp_dgemm(int transA, int transB, int m, int n, int k, double alpha,
              const double *a, int lda, const double *b, int ldb,
              double beta, double *c, int ldc) {
    ensure();
    dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
