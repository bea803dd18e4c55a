// Splits one large matrix product between Backprop's threads (parallel.c). See
// include/CBLAS.h.
//
// OpenBLAS runs one thread per call here (blas_loader.c); a product large enough is cut
// into blocks of rows of C, one single-threaded gemm call per block.
//
// The blocks are chosen from the product's shape alone, and every block is computed by the
// same call whether 1 thread runs them all or 8 share them, so a result depends on the
// shapes and the data only: never on the thread count, on which thread was free, or on
// how a kernel happens to sum at one row offset and not at another. The row grain of 12 is
// the Haswell sgemm kernel's own tile (its dgemm's is 4): with that kernel, which the loader
// picks on every x86-64 CPU with AVX2, the blocks also give exactly the result of one call.
// That is a bonus measured on that kernel, not the guarantee; other kernels (SkylakeX sums
// small blocks with different code) give results that differ from one call in the last
// bits, but still the same for any thread count.
#include "CBLAS.h"
#include <stddef.h>

// Below this many multiply-adds a product is one call: the hand-off costs more than a
// second core saves.
static const double MinimumWork = 2.0e6;
// Larger products get 4 or 8 blocks while each block keeps at least BlockRows rows and
// BlockWork multiply-adds. Every block repacks the whole of op(B), so the cost of a block
// grows as its rows shrink. One thread, OpenBLAS Haswell, AMD EPYC Zen 4 (AVX-512 hidden),
// blocks of rows against one call, two runs (Docs/Performance.md, "Fewer, larger blocks";
// Benchmarks/reference/block_cost.c): 128×784·784×1024 (a 1024-wide layer's forward)
// 1.05–1.09, 1.19–1.27 and 1.46–1.53× as 2, 4 and 8 blocks of 64, 32 and 16 rows;
// 1024×128·128×784 (its dW) 1.00–1.02, 1.01–1.04 and 1.05× (512 to 128 rows).
// Two blocks still let two threads share a batch-128 product; eight keep eight threads busy
// only where rows are plenty.
static const double BlockWork = 6.0e6;
enum { MaxBlocks = 8, RowGrain = 12, BlockRows = 128 };

typedef struct {
    int is_double, blocks;
    int trans_a, trans_b, m, n, k, lda, ldb, ldc;
    double alpha, beta;
    const void *a, *b;
    void *c;
} product;

int bp_product_blocks(int m, int n, int k) {
    double work = (double)m * n * k;
    if (work < MinimumWork || m < 2 * RowGrain) return 1;
    int blocks = 2;
    while (blocks < MaxBlocks && m / (2 * blocks) >= BlockRows && work / (2 * blocks) >= BlockWork) blocks *= 2;
    return blocks;
}

// Block `index` starts at index/blocks of the rows, rounded to the grain.
int bp_product_block_start(int m, int blocks, int index) {
    if (index <= 0) return 0;
    if (index >= blocks) return m;
    int grains = (int)((double)index * m / blocks / RowGrain + 0.5);
    return grains * RowGrain < m ? grains * RowGrain : m;
}

static void gemm(int is_double, int trans_a, int trans_b, int m, int n, int k, double alpha,
                 const void *a, int lda, const void *b, int ldb, double beta, void *c, int ldc) {
    if (is_double)
        bp_dgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        bp_sgemm(trans_a, trans_b, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc);
}

static void run_block(void *context, int index) {
    const product *p = context;
    // Last block first: the caller claims piece 0 before a worker can, and rounding to
    // the grain leaves the last block the largest (60 + 68 rows for 128).
    index = p->blocks - 1 - index;
    int first = bp_product_block_start(p->m, p->blocks, index);
    int rows = bp_product_block_start(p->m, p->blocks, index + 1) - first;
    if (rows <= 0) return;
    size_t width = p->is_double ? sizeof(double) : sizeof(float);
    const char *a = (const char *)p->a + (size_t)first * (p->trans_a ? 1 : (size_t)p->lda) * width;
    char *c = (char *)p->c + (size_t)first * (size_t)p->ldc * width;
    gemm(p->is_double, p->trans_a, p->trans_b, rows, p->n, p->k, p->alpha, a, p->lda, p->b, p->ldb,
         p->beta, c, p->ldc);
}

static void gemm_split(int is_double, int trans_a, int trans_b, int m, int n, int k,
                       double alpha, const void *a, int lda, const void *b, int ldb,
                       double beta, void *c, int ldc) {
    product p = {is_double, bp_product_blocks(m, n, k), trans_a, trans_b, m, n, k, lda, ldb, ldc,
                 alpha, beta, a, b, c};
    if (p.blocks == 1) {
        gemm(is_double, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
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
