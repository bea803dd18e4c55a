/* The two rates the benchmark matrix's floors divide by (Docs/Performance.md, "The matrix"),
 * measured on this machine and printed as one JSON object for matrix.py:
 *
 *   1. sgemm GFLOP/s (OpenBLAS, single-threaded calls) at the matrix's product shapes, on
 *      1 thread and on 2; two threads each run one call on half the rows of C, as Backprop's
 *      products are split (Sources/CBLAS/product_split.c);
 *   2. memory bandwidth, GB/s, of a STREAM-like triad a[i] = b[i] + s·c[i] over working sets
 *      of 1 MB to 256 MB (the three arrays together), on 1 thread and on 2 (each thread its
 *      half of the arrays); bytes counted as STREAM counts them: 12 per element.
 *
 * Each figure is the best of `rounds` rounds (default 5), the rounds alternating over every
 * case, and a round repeats its case for at least 20 ms: noise from other processes only
 * adds time. Every rate is printed twice: by wall clock ("gflops", "gbs") and by the CPU time
 * the threads held ("gflops_cpu", "gbs_cpu": work ÷ CPU seconds per thread), the figure a
 * loaded machine hardly changes.
 *
 *   cc -O3 -mavx2 -mfma Benchmarks/reference/machine_limits.c -o /tmp/machine_limits \
 *      -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *      -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lpthread -lm
 *   OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 /tmp/machine_limits [rounds]
 */
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *openblas_get_corename(void);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- work split over threads ---------------------------------------------------------- */

typedef struct { void (*run)(void *, int, int); void *job; int part, parts; long calls; } Share;

static void *run_share(void *p) {
    Share *s = p;
    for (long i = 0; i < s->calls; i++) s->run(s->job, s->part, s->parts);
    return NULL;
}

typedef struct { double wall, cpu; } Seconds;

/* Seconds per call of run over `threads` parts: each thread repeats its own part, with no
   synchronisation between calls (so two threads are timed at their best), for at least
   20 ms of work. `cpu` is the process's CPU time per call and thread: the time the work
   took while it held a core, which other processes' load hardly changes. */
static Seconds time_calls(void (*run)(void *, int, int), void *job, int threads) {
    long calls = 1;
    double start = cpu_now();
    run(job, 0, 1);
    double one = cpu_now() - start;
    if (one < 0.02) calls = (long)(0.02 / (one > 1e-7 ? one : 1e-7)) + 1;
    pthread_t t[2];
    Share s[2];
    double wall = now(), cpu = cpu_now();
    for (int i = 1; i < threads; i++) {
        s[i] = (Share){run, job, i, threads, calls};
        pthread_create(&t[i], NULL, run_share, &s[i]);
    }
    s[0] = (Share){run, job, 0, threads, calls};
    run_share(&s[0]);
    for (int i = 1; i < threads; i++) pthread_join(t[i], NULL);
    return (Seconds){(now() - wall) / calls, (cpu_now() - cpu) / threads / calls};
}

/* ---- 1. sgemm --------------------------------------------------------------------------- */

/* A forward product X Wᵀ: (batch, in) × (out, in)ᵀ, or a weight gradient dYᵀ X:
   (batch, out)ᵀ × (batch, in). */
typedef struct { int batch, in, out, gradient; float *a, *b, *c; } Product;

static void run_product(void *p, int part, int parts) {
    Product *g = p;
    if (!g->gradient) { /* C (batch, out): rows are samples */
        int lo = g->batch * part / parts, hi = g->batch * (part + 1) / parts;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, hi - lo, g->out, g->in, 1, g->a + (long)lo * g->in,
                    g->in, g->b, g->in, 0, g->c + (long)lo * g->out, g->out);
    } else {            /* C (out, in): rows are output units */
        int lo = g->out * part / parts, hi = g->out * (part + 1) / parts;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, g->in, g->batch, 1, g->a + lo, g->out,
                    g->b, g->in, 0, g->c + (long)lo * g->in, g->in);
    }
}

/* ---- 2. triad --------------------------------------------------------------------------- */

typedef struct { long n; float *a, *b, *c; } Triad;

static void run_triad(void *p, int part, int parts) {
    Triad *t = p;
    long lo = t->n * part / parts, hi = t->n * (part + 1) / parts;
    float *restrict a = t->a, *restrict b = t->b, *restrict c = t->c;
    for (long i = lo; i < hi; i++) a[i] = b[i] + 3.0f * c[i];
}

static float *filled(long n) {
    float *p = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
    for (long i = 0; i < n; i++) p[i] = (float)(i % 1000) / 1000.0f - 0.5f;
    return p;
}

enum { SHAPES = 7, SETS = 6 };

static void keep_best(Seconds *best, Seconds s) {
    if (s.wall < best->wall) best->wall = s.wall;
    if (s.cpu < best->cpu) best->cpu = s.cpu;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    const char *core = openblas_get_corename();
    /* the products: forward and gradient at (batch, in, out) */
    static const int shape[SHAPES][3] = {
        {32, 784, 128}, {128, 784, 128}, {512, 784, 128}, {128, 784, 1024}, {512, 784, 1024},
        {128, 1024, 1024}, {512, 1024, 1024}};
    Product products[2 * SHAPES];
    int count = 0;
    for (int s = 0; s < SHAPES; s++)
        for (int gradient = 0; gradient < 2; gradient++) {
            int batch = shape[s][0], in = shape[s][1], out = shape[s][2];
            products[count++] = (Product){batch, in, out, gradient,
                                          filled((long)batch * (gradient ? out : in)),
                                          filled((long)(gradient ? batch : out) * in),
                                          filled((long)(gradient ? out : batch) * (gradient ? in : out))};
        }
    static const long set_mb[SETS] = {1, 4, 16, 32, 64, 256};
    Triad triads[SETS];
    for (int s = 0; s < SETS; s++) {
        long n = set_mb[s] * 1024 * 1024 / 12;
        triads[s] = (Triad){n, filled(n), filled(n), filled(n)};
    }

    Seconds best_product[2][2 * SHAPES], best_triad[2][SETS];
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < count; i++) best_product[t][i] = (Seconds){1e30, 1e30};
        for (int s = 0; s < SETS; s++) best_triad[t][s] = (Seconds){1e30, 1e30};
    }
    for (int round = 0; round < rounds; round++)
        for (int t = 0; t < 2; t++) {
            for (int i = 0; i < count; i++) keep_best(&best_product[t][i], time_calls(run_product, &products[i], t + 1));
            for (int s = 0; s < SETS; s++) keep_best(&best_triad[t][s], time_calls(run_triad, &triads[s], t + 1));
        }

    printf("{\"openblas_core\": \"%s\", \"rounds\": %d,\n \"sgemm\": [", core, rounds);
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < count; i++) {
            Product *g = &products[i];
            double flops = 2.0 * g->batch * g->in * g->out;
            printf("%s\n  {\"threads\": %d, \"product\": \"%s\", \"batch\": %d, \"in\": %d, \"out\": %d, "
                   "\"gflops\": %.2f, \"gflops_cpu\": %.2f}",
                   t + i ? "," : "", t + 1, g->gradient ? "dW" : "forward", g->batch, g->in, g->out,
                   flops / best_product[t][i].wall / 1e9, flops / best_product[t][i].cpu / 1e9);
        }
    printf("],\n \"bandwidth\": [");
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < SETS; s++)
            printf("%s\n  {\"threads\": %d, \"bytes\": %ld, \"gbs\": %.2f, \"gbs_cpu\": %.2f}", t + s ? "," : "",
                   t + 1, triads[s].n * 12, triads[s].n * 12 / best_triad[t][s].wall / 1e9,
                   triads[s].n * 12 / best_triad[t][s].cpu / 1e9);
    printf("]}\n");
    return 0;
}
