/* How close the MLP's two large products can get to this CPU's arithmetic peak.
 *
 * Docs/Performance.md argues that ArrayKit ≤ 0.6 × NumPy needs products faster than the
 * OpenBLAS kernel both sides call. This program measures the three numbers that argument
 * rests on, each as the best of several alternated rounds (noise only ever adds time):
 *
 *   1. the FMA peak: 12 independent chains of 8-wide fused multiply-adds held in registers,
 *      on one thread and on two (no memory traffic at all, so no product can beat it);
 *   2. OpenBLAS's single-threaded sgemm at the training step's two shapes
 *      (forward X Wᵀ: (128, 784) × (128, 784)ᵀ, and dW = dYᵀ X: (128, 128)ᵀ × (128, 784));
 *   3. a straightforward 6×16 AVX2 kernel of our own at the same shapes (B packed into
 *      16-column panels where it is transposed, A read in place), the first step of the
 *      "own kernel" path, with its largest difference from OpenBLAS's result.
 *
 *   cc -O3 -mavx2 -mfma Benchmarks/reference/kernel_limits.c -o /tmp/kernel_limits \
 *      -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *      -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lpthread -lm
 *   OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 /tmp/kernel_limits
 */
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *openblas_get_corename(void);

enum { BATCH = 128, IN = 784, HIDDEN = 128, REPS = 429, ROUNDS = 5 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- 1. FMA peak ---------------------------------------------------------------------- */

enum { PEAK_LOOPS = 20000000 };

static void *fma_chains(void *seed) {
    float s = (float)(long)seed;
    __m256 x = _mm256_set1_ps(0.9999999f), y = _mm256_set1_ps(1e-7f);
    /* twelve named registers with distinct values, so the compiler neither merges them nor
       keeps them in memory */
    __m256 a0 = _mm256_set1_ps(s), a1 = _mm256_set1_ps(s + 1), a2 = _mm256_set1_ps(s + 2),
           a3 = _mm256_set1_ps(s + 3), a4 = _mm256_set1_ps(s + 4), a5 = _mm256_set1_ps(s + 5),
           a6 = _mm256_set1_ps(s + 6), a7 = _mm256_set1_ps(s + 7), a8 = _mm256_set1_ps(s + 8),
           a9 = _mm256_set1_ps(s + 9), a10 = _mm256_set1_ps(s + 10), a11 = _mm256_set1_ps(s + 11);
    for (long n = 0; n < PEAK_LOOPS; n++) {
        a0 = _mm256_fmadd_ps(a0, x, y); a1 = _mm256_fmadd_ps(a1, x, y); a2 = _mm256_fmadd_ps(a2, x, y);
        a3 = _mm256_fmadd_ps(a3, x, y); a4 = _mm256_fmadd_ps(a4, x, y); a5 = _mm256_fmadd_ps(a5, x, y);
        a6 = _mm256_fmadd_ps(a6, x, y); a7 = _mm256_fmadd_ps(a7, x, y); a8 = _mm256_fmadd_ps(a8, x, y);
        a9 = _mm256_fmadd_ps(a9, x, y); a10 = _mm256_fmadd_ps(a10, x, y); a11 = _mm256_fmadd_ps(a11, x, y);
    }
    __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                               _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, sum);
    return (void *)(long)(out[0] > 1e30f); /* keeps the loop alive */
}

static double peak_gflops(int threads) {
    pthread_t t[2];
    double start = now();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, fma_chains, (void *)(long)(i + 1));
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    return threads * (double)PEAK_LOOPS * 12 * 8 * 2 / (now() - start) / 1e9;
}

/* ---- 3. the trial kernel -------------------------------------------------------------- */

/* C[0..mr)[0..16) = Σₖ A(i, k) B(k, 0..16), A(i, k) at a[i·rsa + k·csa], B rows ldb apart. */
#define ROW(r, lo, hi)                                                                   \
    if (mr > r) {                                                                        \
        __m256 x = _mm256_broadcast_ss(ak + r * rsa);                                    \
        lo = _mm256_fmadd_ps(x, b0, lo);                                                 \
        hi = _mm256_fmadd_ps(x, b1, hi);                                                 \
    }
#define STORE(r, lo, hi)                                                                 \
    if (mr > r) {                                                                        \
        _mm256_storeu_ps(c + r * ldc, lo);                                               \
        _mm256_storeu_ps(c + r * ldc + 8, hi);                                           \
    }

static inline __attribute__((always_inline)) void
tile(int mr, long k, const float *a, long rsa, long csa, const float *b, long ldb, float *c, long ldc) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (long p = 0; p < k; p++) {
        __m256 b0 = _mm256_loadu_ps(b + p * ldb), b1 = _mm256_loadu_ps(b + p * ldb + 8);
        const float *ak = a + p * csa;
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21) ROW(3, c30, c31) ROW(4, c40, c41) ROW(5, c50, c51)
    }
    STORE(0, c00, c01) STORE(1, c10, c11) STORE(2, c20, c21) STORE(3, c30, c31) STORE(4, c40, c41) STORE(5, c50, c51)
}

static void tile_any(int mr, long k, const float *a, long rsa, long csa, const float *b, long ldb, float *c, long ldc) {
    switch (mr) { /* a constant row count per case, so each loop unrolls fully */
    case 6: tile(6, k, a, rsa, csa, b, ldb, c, ldc); break;
    case 5: tile(5, k, a, rsa, csa, b, ldb, c, ldc); break;
    case 4: tile(4, k, a, rsa, csa, b, ldb, c, ldc); break;
    case 3: tile(3, k, a, rsa, csa, b, ldb, c, ldc); break;
    case 2: tile(2, k, a, rsa, csa, b, ldb, c, ldc); break;
    default: tile(1, k, a, rsa, csa, b, ldb, c, ldc); break;
    }
}

/* C (m × n, n a multiple of 16) = A B; B(k, j) is b[j·ldb + k] when transposed (then each
   16-column panel is packed k-major first), else b[k·ldb + j]. */
static void trial_gemm(int m, int n, int k, const float *a, long rsa, long csa,
                       const float *b, long ldb, int transposed, float *c, float *panel) {
    for (int j = 0; j < n; j += 16) {
        const float *bp = b + j;
        long lb = ldb;
        if (transposed) {
            for (int p = 0; p < k; p++)
                for (int q = 0; q < 16; q++) panel[p * 16 + q] = b[(long)(j + q) * ldb + p];
            bp = panel;
            lb = 16;
        }
        for (int i = 0; i < m; i += 6)
            tile_any(m - i < 6 ? m - i : 6, k, a + i * rsa, rsa, csa, bp, lb, c + (long)i * n + j, n);
    }
}

/* ---- 2. and 3. at the training step's shapes ------------------------------------------ */

static float x[BATCH * IN], w[HIDDEN * IN], dy[BATCH * HIDDEN];
static float h_blas[BATCH * HIDDEN], h_own[BATCH * HIDDEN], dw_blas[HIDDEN * IN], dw_own[HIDDEN * IN];
static float panel[IN * 16];

static void forward_blas(void) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BATCH, HIDDEN, IN, 1, x, IN, w, IN, 0, h_blas, HIDDEN);
}
static void forward_own(void) { trial_gemm(BATCH, HIDDEN, IN, x, IN, 1, w, IN, 1, h_own, panel); }
static void gradient_blas(void) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, HIDDEN, IN, BATCH, 1, dy, HIDDEN, x, IN, 0, dw_blas, IN);
}
static void gradient_own(void) { trial_gemm(HIDDEN, IN, BATCH, dy, 1, HIDDEN, x, IN, 0, dw_own, panel); }

static double seconds(void (*product)(void)) {
    double start = now();
    for (int r = 0; r < REPS; r++) product();
    return now() - start;
}

static double max_difference(const float *p, const float *q, int count) {
    double worst = 0;
    for (int i = 0; i < count; i++) worst = fmax(worst, fabs((double)p[i] - q[i]));
    return worst;
}

int main(void) {
    const char *core = openblas_get_corename();
    if (strcmp(core, "Haswell") != 0 && strcmp(core, "Zen") != 0 && strcmp(core, "SkylakeX") != 0) {
        fprintf(stderr, "OpenBLAS chose the '%s' kernel, not the fast one this CPU can run.\n"
                        "Run with OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 in the environment.\n", core);
        return 1;
    }
    srand(1);
    for (int i = 0; i < BATCH * IN; i++) x[i] = rand() / (float)RAND_MAX - 0.5f, w[i] = rand() / (float)RAND_MAX - 0.5f;
    for (int i = 0; i < BATCH * HIDDEN; i++) dy[i] = rand() / (float)RAND_MAX - 0.5f;

    void (*products[4])(void) = {forward_blas, forward_own, gradient_blas, gradient_own};
    double best[4] = {1e9, 1e9, 1e9, 1e9}, peak1 = 0, peak2 = 0;
    for (int round = 0; round < ROUNDS; round++) {
        peak1 = fmax(peak1, peak_gflops(1));
        peak2 = fmax(peak2, peak_gflops(2));
        for (int i = 0; i < 4; i++) best[i] = fmin(best[i], seconds(products[i]));
    }
    double gflop = 2.0 * BATCH * IN * HIDDEN * REPS / 1e9; /* one product kind, one epoch */
    printf("OpenBLAS %s kernel; best of %d rounds\n", core, ROUNDS);
    printf("FMA peak (registers only): %.1f GFLOP/s on 1 thread, %.1f on 2\n", peak1, peak2);
    printf("%-34s %8s %10s %8s\n", "one thread, 429 products", "s", "GFLOP/s", "% peak");
    const char *names[4] = {"forward X Wt, OpenBLAS", "forward X Wt, own 6x16 kernel",
                            "dW = dYt X, OpenBLAS", "dW = dYt X, own 6x16 kernel"};
    for (int i = 0; i < 4; i++)
        printf("%-34s %8.3f %10.1f %7.0f%%\n", names[i], best[i], gflop / best[i], 100 * gflop / best[i] / peak1);
    printf("own kernel vs OpenBLAS, largest |difference|: forward %.2g, dW %.2g\n",
           max_difference(h_blas, h_own, BATCH * HIDDEN), max_difference(dw_blas, dw_own, HIDDEN * IN));
    printf("both products of an epoch at the 2-thread FMA peak: %.3f s\n", 2 * gflop / peak2);
    return 0;
}
