/* What cutting a product into row blocks costs on one thread, and which cuts keep the bits
 * of one call (Docs/Performance.md, "Fewer, larger blocks"; Sources/CBLAS/product_split.c).
 *
 *   1. Time: each product of the benchmark matrix's shapes as one sgemm call and as 2, 4 and
 *      8 blocks of rows of C (cut on multiples of 12 rows, as Backprop cuts them), one
 *      thread, the best of 7 alternated rounds of 20 products each; printed as the time of
 *      one call and each cut's time over it. Every block repacks the whole of op(B).
 *   2. Bits: the same products, sgemm and dgemm, β = 0 and 1, cut into blocks of rows and
 *      into blocks of columns of every width of a list; printed as the elements that differ
 *      from one call.
 *
 *   cc -O2 Benchmarks/reference/block_cost.c -o /tmp/block_cost \
 *      -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *      -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lpthread -lm
 *   OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 /tmp/block_cost
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *openblas_get_corename(void);

typedef struct { int m, n, k, trans_a, trans_b; const char *name; } shape;

static const shape shapes[] = {
    {128, 128, 784, 0, 1, "forward, 784-128, batch 128"},  {128, 784, 128, 1, 0, "dW, 784-128, batch 128"},
    {128, 512, 784, 0, 1, "forward, 784-512, batch 128"},  {512, 784, 128, 1, 0, "dW, 784-512, batch 128"},
    {128, 1024, 784, 0, 1, "forward, 784-1024, batch 128"}, {1024, 784, 128, 1, 0, "dW, 784-1024, batch 128"},
    {128, 1024, 1024, 0, 1, "forward, 1024-1024, batch 128"}, {1024, 1024, 128, 1, 0, "dW, 1024-1024, batch 128"},
    {128, 1024, 1024, 0, 0, "dX, 1024-1024, batch 128"},   {512, 1024, 784, 0, 1, "forward, 784-1024, batch 512"},
    {1024, 784, 512, 1, 0, "dW, 784-1024, batch 512"},     {32, 512, 512, 0, 1, "forward, 512-512, batch 32"},
};
enum { Shapes = sizeof shapes / sizeof *shapes, Grain = 12 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static unsigned long long state = 88172645463325252ULL;
static double uniform(void) {   /* xorshift64, in [-1, 1) */
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0 * 2 - 1;
}

/* Row `index` of `blocks` starts here: index/blocks of the rows, rounded to the grain. */
static int block_start(int m, int blocks, int index) {
    if (index <= 0) return 0;
    if (index >= blocks) return m;
    int start = (int)((double)index * m / blocks / Grain + 0.5) * Grain;
    return start < m ? start : m;
}

/* C (row-major, m × n) = op(A) op(B) + beta C, as `blocks` row blocks or, if `columns` > 0,
   as blocks of that many columns. */
static void product(int is_double, const shape *p, const void *a, const void *b, double beta, void *c,
                    int blocks, int columns) {
    int lda = p->trans_a ? p->m : p->k, ldb = p->trans_b ? p->k : p->n;
    enum CBLAS_TRANSPOSE ta = p->trans_a ? CblasTrans : CblasNoTrans, tb = p->trans_b ? CblasTrans : CblasNoTrans;
    size_t width = is_double ? sizeof(double) : sizeof(float);
    int pieces = columns > 0 ? (p->n + columns - 1) / columns : blocks;
    for (int i = 0; i < pieces; i++) {
        int rows = p->m, cols = p->n;
        size_t a_at = 0, b_at = 0, c_at = 0;
        if (columns > 0) {
            int first = i * columns;
            cols = first + columns <= p->n ? columns : p->n - first;
            b_at = p->trans_b ? (size_t)first * ldb : (size_t)first;
            c_at = first;
        } else {
            int first = block_start(p->m, blocks, i);
            rows = block_start(p->m, blocks, i + 1) - first;
            a_at = p->trans_a ? (size_t)first : (size_t)first * lda;
            c_at = (size_t)first * p->n;
        }
        if (rows <= 0) continue;
        const char *pa = (const char *)a + a_at * width, *pb = (const char *)b + b_at * width;
        char *pc = (char *)c + c_at * width;
        if (is_double)
            cblas_dgemm(CblasRowMajor, ta, tb, rows, cols, p->k, 1, (const double *)pa, lda, (const double *)pb, ldb,
                        beta, (double *)pc, p->n);
        else
            cblas_sgemm(CblasRowMajor, ta, tb, rows, cols, p->k, 1, (const float *)pa, lda, (const float *)pb, ldb,
                        (float)beta, (float *)pc, p->n);
    }
}

static void *filled(size_t count, int is_double) {
    void *x = malloc(count * (is_double ? sizeof(double) : sizeof(float)));
    for (size_t i = 0; i < count; i++) {
        if (is_double) ((double *)x)[i] = uniform(); else ((float *)x)[i] = (float)uniform();
    }
    return x;
}

int main(void) {
    printf("OpenBLAS core %s, one thread\n\n1. time of one call; 2, 4 and 8 row blocks against it\n",
           openblas_get_corename());
    for (int s = 0; s < Shapes; s++) {
        const shape *p = &shapes[s];
        void *a = filled((size_t)p->m * p->k, 0), *b = filled((size_t)p->k * p->n, 0);
        void *c = filled((size_t)p->m * p->n, 0);
        double best[4] = {1e9, 1e9, 1e9, 1e9};
        for (int round = 0; round < 7; round++) {
            for (int i = 0; i < 4; i++) {
                int blocks = 1 << i;
                if (p->m / blocks < Grain) continue;
                double start = now();
                for (int r = 0; r < 20; r++) product(0, p, a, b, 0, c, blocks, 0);
                double t = (now() - start) / 20;
                if (t < best[i]) best[i] = t;
            }
        }
        printf("%-32s %4d×%4d×%4d  one call %7.3f ms (%5.1f GFLOP/s)", p->name, p->m, p->n, p->k, best[0] * 1e3,
               2.0 * p->m * p->n * p->k / best[0] * 1e-9);
        for (int i = 1; i < 4; i++)
            if (best[i] < 1e9) printf("  %d: %.3f×", 1 << i, best[i] / best[0]);
        printf("\n");
        free(a); free(b); free(c);
    }

    static const int widths[] = {4, 8, 12, 16, 24, 32, 48, 64};
    enum { Widths = sizeof widths / sizeof *widths };
    printf("\n2. elements that differ from one call: row blocks (2, 4, 8 on the 12-row grain), then "
           "blocks of columns of each width\n");
    for (int is_double = 0; is_double < 2; is_double++) {
        for (int s = 0; s < Shapes; s++) {
            for (int beta = 0; beta < 2; beta++) {
                const shape *p = &shapes[s];
                size_t count = (size_t)p->m * p->n, bytes = count * (is_double ? sizeof(double) : sizeof(float));
                void *a = filled((size_t)p->m * p->k, is_double), *b = filled((size_t)p->k * p->n, is_double);
                void *start = filled(count, is_double), *one = malloc(bytes), *cut = malloc(bytes);
                memcpy(one, start, bytes);
                product(is_double, p, a, b, beta, one, 1, 0);
                printf("%s %-32s β=%d  rows:", is_double ? "dgemm" : "sgemm", p->name, beta);
                for (int i = 1; i <= 3 + Widths; i++) {
                    int blocks = i <= 3 ? 1 << i : 0, columns = i <= 3 ? 0 : widths[i - 4];
                    if (blocks && p->m / blocks < Grain) { printf(" -"); continue; }
                    memcpy(cut, start, bytes);
                    product(is_double, p, a, b, beta, cut, blocks, columns);
                    int differ = 0;
                    for (size_t e = 0; e < count; e++)
                        differ += is_double ? ((double *)cut)[e] != ((double *)one)[e] : ((float *)cut)[e] != ((float *)one)[e];
                    if (i == 4) printf("  columns:");
                    printf(" %d", differ);
                }
                printf("\n");
                free(a); free(b); free(start); free(one); free(cut);
            }
        }
    }
    return 0;
}
