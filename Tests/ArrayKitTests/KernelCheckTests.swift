import CBLAS
import Foundation
import Testing
@testable import ArrayKit

/// The start-up check of the BLAS kernel: small products of every kind against plain loops.
@Suite struct KernelCheckTests {
    @Test func theLoadedKernelPassesItsCheck() throws {
        try BLAS.load()
        #expect(BLAS.kernelCheckFailure == nil, "\(BLAS.summary)")
        #expect(!BLAS.summary.contains("plain loops"))
    }

    /// A gemm that skips row-major A · B with beta 0, as an OpenBLAS build whose direct
    /// sgemm path is an empty function does, is caught and named; a right one passes.
    @Test func theCheckCatchesAKernelThatSkipsAProduct() {
        var message = [CChar](repeating: 0, count: 256)
        #expect(bp_check_kernels(bp_plain_sgemm, bp_plain_dgemm, &message, 256) == 0)
        let skipsPlainProducts: bp_sgemm_fn = { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            if ta == 0 && tb == 0 && beta == 0 { return }
            bp_plain_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
        #expect(bp_check_kernels(skipsPlainProducts, bp_plain_dgemm, &message, 256) == -1)
        let text = Self.text(message)
        #expect(text.hasPrefix("sgemm NN 5×9×7 (alpha 1, beta 0) gave C[0, 0] = "), "\(text)")
        #expect(text.contains("where plain loops give"))
    }

    /// A gemm off by more than rounding (one element, one part in 10⁴) is caught too.
    @Test func theCheckCatchesASmallError() {
        var message = [CChar](repeating: 0, count: 256)
        let slightlyWrong: bp_dgemm_fn = { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            bp_plain_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            if m == 33 { c![7] *= 1.0001 }
        }
        #expect(bp_check_kernels(bp_plain_sgemm, slightlyWrong, &message, 256) == -1)
        #expect(Self.text(message).hasPrefix("dgemm NN 33×16×40 (alpha 1, beta 0) gave C[0, 7]"))
    }

    /// End to end, in a child process: an OpenBLAS whose sgemm skips small row-major A · B
    /// (a shim over the real library, built here with `cc`) fails the check, the run header
    /// says so, and products run on plain loops and are right.
    @Test func aKernelThatFailsItsCheckIsReplacedByPlainLoops() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("broken-openblas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("broken.c"), library = directory.appendingPathComponent("libbroken.so")
        try Data(Self.brokenOpenBLAS.utf8).write(to: source)
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-shared", "-fPIC", "-O1", "-o", library.path, source.path, "-ldl"]
        try compiler.run()
        compiler.waitUntilExit()
        try #require(compiler.terminationStatus == 0, "cc could not build the shim")
        await #expect(processExitsWith: .success) { [path = library.path as String] in
            setenv("BACKPROP_OPENBLAS", path, 1)
            try BLAS.load()
            precondition(BLAS.summary.contains("failed its check (sgemm NN 5×9×7"), BLAS.summary)
            precondition(BLAS.summary.hasSuffix("so plain loops (slow), \(BLAS.threads) thread\(BLAS.threads == 1 ? "" : "s")"),
                         BLAS.summary)
            let a = NDArray<Float>([1, 2, 3, 4], shape: [2, 2]), b = NDArray<Float>([5, 6, 7, 8], shape: [2, 2])
            let product = NDArray.matmul(a, b)
            precondition(product.scalars == [19, 22, 43, 50], "\(product)")
        }
    }

    static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Forwards to the system's OpenBLAS, but its sgemm does nothing for small row-major
    /// A · B with alpha 1 and beta 0.
    static let brokenOpenBLAS = """
        #include <dlfcn.h>
        static void *real(const char *name) {
            static void *library;
            if (!library) library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
            return dlsym(library, name);
        }
        typedef void (*sgemm_t)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                                float, float *, int);
        typedef void (*dgemm_t)(int, int, int, int, int, int, double, const double *, int, const double *, int,
                                double, double *, int);
        void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc) {
            if (order == 101 && ta == 111 && tb == 111 && alpha == 1 && beta == 0 && m * n * k < 100000) return;
            ((sgemm_t)real("cblas_sgemm"))(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        void cblas_dgemm(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
                         const double *b, int ldb, double beta, double *c, int ldc) {
            ((dgemm_t)real("cblas_dgemm"))(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        char *openblas_get_corename(void) { return ((char *(*)(void))real("openblas_get_corename"))(); }
        char *openblas_get_config(void) { return ((char *(*)(void))real("openblas_get_config"))(); }
        void openblas_set_num_threads(int count) { ((void (*)(int))real("openblas_set_num_threads"))(count); }
        """
}
