// Splits one large matrix product between Backprop's threads (parallel.c). See
// include/CBLAS.h.
//
// OpenBLAS runs one thread per call here (blas_loader.c); a product large enough is cut
// into blocks of rows of C, one single-threaded gemm call per block.
//
// Results do not depend on the number of threads: each element of C is still computed
// over the whole of k by the same kernel code, as long as the blocks start on the
// kernel's own tiles. Those are not documented and differ between kernels (Haswell's
// sgemm tiles rows by 12: a split at row 64 changes about 5 % of the elements in the
// last bit, one at row 60 none), so the first split measures them: `row_alignment`
// tries candidate alignments on a test product and keeps the first whose blocks give
// exactly the result of one call. If none does, products are not split.
#include "CBLAS.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// A product worth splitting: below this many multiply-adds the hand-off costs more than
// the second core saves (a 128 x 128 x 784 product is 12.8 million).
static const double MinimumWork = 2.0e6;

typedef struct {
    int is_double, blocks, alignment;
    int trans_a, trans_b, m, n, k, lda, ldb, ldc;
    double alpha, beta;
    const void *a, *b;
    void *c;
} product;

static void gemm(int is_double, int trans_a, int trans_b, int m, int n, int k, double alpha,
                 const void *a, int lda, const void *b, int ldb, double beta, void *c, int ldc) {
    if (is_double)
        bp_dgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        bp_sgemm(trans_a, trans_b, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc);
}

// Rows first..<first+rows of op(A) and of C.
static void gemm_rows(const product *p, int first, int rows) {
    size_t width = p->is_double ? sizeof(double) : sizeof(float);
    const char *a = (const char *)p->a + (size_t)first * (p->trans_a ? 1 : (size_t)p->lda) * width;
    char *c = (char *)p->c + (size_t)first * (size_t)p->ldc * width;
    gemm(p->is_double, p->trans_a, p->trans_b, rows, p->n, p->k, p->alpha, a, p->lda, p->b, p->ldb,
         p->beta, c, p->ldc);
}

// Does a product computed in blocks of `alignment` rows equal the one-call result, bit for
// bit, for every transposition of A and B?
static int blocks_agree(int is_double, int alignment) {
    const int k = 37, n = 29, m = 3 * alignment + 5;  // three whole blocks and a partial one
    size_t width = is_double ? sizeof(double) : sizeof(float);
    size_t a_size = (size_t)m * k, b_size = (size_t)k * n, c_size = (size_t)m * n;
    char *memory = malloc(width * (a_size + b_size + 3 * c_size));
    if (!memory) return 0;
    char *a = memory, *b = a + width * a_size, *start = b + width * b_size;
    char *whole = start + width * c_size, *blocked = whole + width * c_size;
    uint32_t state = 12345;  // a fixed pseudo-random fill of A, B and C in [-1, 1)
    for (size_t i = 0; i < a_size + b_size + c_size; i++) {
        state = state * 1664525u + 1013904223u;
        double value = (double)(state >> 8) / (1 << 24) * 2 - 1;
        if (is_double) ((double *)memory)[i] = value; else ((float *)memory)[i] = (float)value;
    }
    int agree = 1;
    for (int variant = 0; variant < 4 && agree; variant++) {
        product p = {is_double, 0, alignment, variant & 1, variant >> 1, m, n, k,
                     variant & 1 ? m : k, variant >> 1 ? k : n, n, 1, 1, a, b, whole};
        memcpy(whole, start, width * c_size);
        memcpy(blocked, start, width * c_size);
        gemm_rows(&p, 0, m);
        p.c = blocked;
        for (int first = 0; first < m; first += alignment)
            gemm_rows(&p, first, m - first < alignment ? m - first : alignment);
        agree = memcmp(whole, blocked, width * c_size) == 0;
    }
    free(memory);
    return agree;
}

static int alignments[2];
static pthread_once_t measured[2] = {PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};

static void measure(int is_double) {
    static const int candidates[] = {4, 8, 12, 16, 24, 32, 48, 64, 96};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        if (blocks_agree(is_double, candidates[i])) {
            alignments[is_double] = candidates[i];
            return;
        }
    }
}
static void measure_float(void) { measure(0); }
static void measure_double(void) { measure(1); }

int bp_product_row_alignment(int is_double) {
    is_double = is_double != 0;
    pthread_once(&measured[is_double], is_double ? measure_double : measure_float);
    return alignments[is_double];
}

// Block `index` starts at index/blocks of the rows, rounded to the alignment.
static int block_start(const product *p, int index) {
    if (index >= p->blocks) return p->m;
    int tiles = (int)((double)index * p->m / p->blocks / p->alignment + 0.5);
    return tiles * p->alignment < p->m ? tiles * p->alignment : p->m;
}

static void run_block(void *context, int index) {
    const product *p = context;
    // Last block first: the caller claims piece 0 before a worker can, and rounding to
    // the alignment leaves the last block the largest (60 + 68 rows for 128).
    index = p->blocks - 1 - index;
    int first = block_start(p, index), rows = block_start(p, index + 1) - first;
    if (rows > 0) gemm_rows(p, first, rows);
}

static void gemm_split(int is_double, int trans_a, int trans_b, int m, int n, int k,
                       double alpha, const void *a, int lda, const void *b, int ldb,
                       double beta, void *c, int ldc) {
    int threads = bp_blas_num_threads();  // loads OpenBLAS, which sets the count
    int alignment = 0;
    if (threads >= 2 && (double)m * n * k >= MinimumWork)
        alignment = bp_product_row_alignment(is_double);
    if (alignment == 0 || m / alignment < 2) {
        gemm(is_double, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    product p = {is_double, threads < m / alignment ? threads : m / alignment, alignment,
                 trans_a, trans_b, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c};
    bp_parallel_for(p.blocks, run_block, &p);
}

void bp_sgemm_split(int transA, int transB, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb,
                    float beta, float *c, int ldc) {
    gemm_split(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void bp_dgemm_split(int transA, int transB, int m, int n, int k, double alpha,
                    const double *a, int lda, const double *b, int ldb,
                    double beta, double *c, int ldc) {
    gemm_split(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
