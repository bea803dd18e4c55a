// The start-up check of the loaded kernel, and the plain loops it is checked against and
// falls back to. See include/CBLAS.h.
//
// A kernel can be wrong on a CPU it was not written for: OpenBLAS builds with the direct
// sgemm path call an empty function for small row-major products when a non-AVX-512 kernel
// runs on an AVX-512 CPU, leaving C untouched. So before the first product, one small
// product of every kind (both types, every transposition, beta 0 and not, sizes that take
// the small-matrix paths) is compared with plain loops.
#include "CBLAS.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

// The loops are written once for both types; the accumulator is double either way.
#define PLAIN_GEMM(NAME, T)                                                                     \
    void NAME(int transA, int transB, int m, int n, int k, T alpha, const T *a, int lda,       \
              const T *b, int ldb, T beta, T *c, int ldc) {                                     \
        for (int i = 0; i < m; i++) {                                                          \
            for (int j = 0; j < n; j++) {                                                      \
                double sum = 0;                                                                \
                for (int p = 0; p < k; p++) {                                                  \
                    double x = transA ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];       \
                    double y = transB ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];       \
                    sum += x * y;                                                              \
                }                                                                              \
                T *out = &c[(size_t)i * ldc + j];                                              \
                /* beta = 0 overwrites C without reading it, as BLAS does (NaN·0 is NaN) */   \
                *out = (T)(alpha * sum + (beta == 0 ? 0 : (double)beta * *out));               \
            }                                                                                  \
        }                                                                                      \
    }
PLAIN_GEMM(bp_plain_sgemm, float)
PLAIN_GEMM(bp_plain_dgemm, double)

// The products checked: small enough for OpenBLAS's small-matrix and direct paths, large
// enough to cover a whole tile and its edges.
static const int Shapes[][3] = {{5, 9, 7}, {33, 16, 40}};  // m, n, k
enum { MaxElements = 40 * 40 };

static double filled(unsigned *state) {  // a fixed pseudo-random value in [-1, 1)
    *state = *state * 1664525u + 1013904223u;
    return (double)(*state >> 8) / (1 << 24) * 2 - 1;
}

int bp_check_kernels(bp_sgemm_fn sgemm, bp_dgemm_fn dgemm, char *message, int length) {
    static const double Tolerance[2] = {1e-5, 1e-12};  // float, double; k ≤ 40 here
    for (int is_double = 0; is_double < 2; is_double++)
    for (size_t shape = 0; shape < sizeof Shapes / sizeof *Shapes; shape++)
    for (int variant = 0; variant < 8; variant++) {
        int m = Shapes[shape][0], n = Shapes[shape][1], k = Shapes[shape][2];
        int trans_a = variant & 1, trans_b = (variant >> 1) & 1, accumulate = variant >> 2;
        int lda = trans_a ? m : k, ldb = trans_b ? k : n;
        double alpha = accumulate ? -0.5 : 1, beta = accumulate ? 1.5 : 0;
        double a[MaxElements], b[MaxElements], start[MaxElements], c[MaxElements], expected[MaxElements];
        float af[MaxElements], bf[MaxElements], cf[MaxElements];
        unsigned state = 12345;
        for (int i = 0; i < m * k; i++) af[i] = (float)(a[i] = (float)filled(&state));
        for (int i = 0; i < k * n; i++) bf[i] = (float)(b[i] = (float)filled(&state));
        for (int i = 0; i < m * n; i++) cf[i] = (float)(start[i] = c[i] = expected[i] = (float)filled(&state));
        bp_plain_dgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, expected, n);
        if (is_double) dgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
        else sgemm(trans_a, trans_b, m, n, k, (float)alpha, af, lda, bf, ldb, (float)beta, cf, n);
        for (int i = 0; i < m * n; i++) {
            double got = is_double ? c[i] : cf[i];
            // The bound: a few roundings of every term's magnitude.
            double scale = fabs(beta * start[i]);
            for (int p = 0; p < k; p++) {
                int row = i / n, column = i % n;
                double x = trans_a ? a[p * lda + row] : a[row * lda + p];
                double y = trans_b ? b[column * ldb + p] : b[p * ldb + column];
                scale += fabs(alpha * x * y);
            }
            if (!(fabs(got - expected[i]) <= Tolerance[is_double] * scale)) {
                snprintf(message, (size_t)length,
                         "%cgemm %c%c %d×%d×%d (alpha %g, beta %g) gave C[%d, %d] = %g where plain "
                         "loops give %g", is_double ? 'd' : 's', trans_a ? 'T' : 'N',
                         trans_b ? 'T' : 'N', m, n, k, alpha, beta, i / n, i % n, got, expected[i]);
                return -1;
            }
        }
    }
    return 0;
}
