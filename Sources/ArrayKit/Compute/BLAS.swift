import CBLAS

/// OpenBLAS, loaded on first use with the kernel that gives the same numbers on every CPU.
///
/// The loader (Sources/CBLAS/blas_loader.c) names the kernel in `OPENBLAS_CORETYPE` before
/// the library initialises, unless the user set it: Haswell on every x86-64 CPU with AVX2
/// and FMA, AVX-512 ones included, so that every such CPU computes a product to the same
/// bits. Before the first product, a small product of every kind is checked against plain
/// loops; a kernel that gets one wrong is not used (``kernelCheckFailure``).
///
/// OpenBLAS itself runs one thread. A large product is cut into blocks of rows chosen from
/// its shape alone (``productBlocks(m:n:k:)``), which ``threads`` threads claim in turn
/// (``Parallel``, Sources/CBLAS/product_split.c); one thread computes the same blocks, so
/// results are the same, bit for bit, for any thread count and any load. The count is
/// `OPENBLAS_NUM_THREADS` (or `GOTO_NUM_THREADS`, `OMP_NUM_THREADS`) when set, otherwise
/// the number of CPUs the process may use (at most 8); ``threads`` changes it in code.
///
/// ```swift
/// print(BLAS.summary)   // "BLAS: OpenBLAS 0.3.21, core Haswell, 2 threads"
/// ```
public enum BLAS {
    /// An error loading the BLAS library; its text says what to install.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads OpenBLAS now, throwing if it cannot be found. Every matrix product loads it
    /// on demand, but a program that wants a clean error calls this first.
    public static func load() throws {
        var message = [CChar](repeating: 0, count: 512)
        if bp_blas_load(&message, Int32(message.count)) != 0 {
            throw LoadError(description: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// The kernel OpenBLAS runs, e.g. `"Haswell"`.
    public static var coreName: String { String(cString: bp_blas_corename()) }
    /// The OpenBLAS build line, e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ..."`.
    public static var configuration: String { String(cString: bp_blas_config()) }
    /// The library file that was loaded.
    public static var libraryPath: String { String(cString: bp_blas_path()) }
    /// Whether Backprop chose the kernel (false when `OPENBLAS_CORETYPE` was set by the user).
    public static var coreWasChosen: Bool { bp_blas_core_was_chosen() != 0 }

    /// The threads a large product (and a ``Parallel`` loop) runs on, 1–8.
    public static var threads: Int {
        get { Int(bp_blas_num_threads()) }
        set { bp_blas_set_num_threads(Int32(newValue)) }
    }

    /// How many blocks of rows an `m × n × k` product is cut into (1: one call). It depends on
    /// the shape alone: the same blocks are computed whatever the thread count.
    public static func productBlocks(m: Int, n: Int, k: Int) -> Int {
        Int(bp_product_blocks(Int32(m), Int32(n), Int32(k)))
    }

    /// Why the kernel failed its start-up check, or `nil` if it passed. After a failure every
    /// product runs on plain loops: right, but many times slower.
    public static var kernelCheckFailure: String? {
        let message = String(cString: bp_blas_check_failure())
        return message.isEmpty ? nil : message
    }

    /// One line for run headers: `BLAS: OpenBLAS 0.3.21, core Haswell, 2 threads`.
    public static var summary: String {
        do { try load() } catch { return "BLAS: unavailable (\(error))" }
        let words = configuration.split(separator: " ")
        let version = words.count >= 2 ? "\(words[0]) \(words[1])" : "OpenBLAS"
        let kernel = kernelCheckFailure.map { "core \(coreName) failed its check (\($0)), so plain loops (slow)" }
            ?? "core \(coreName)"
        return "BLAS: \(version), \(kernel), \(threads) thread\(threads == 1 ? "" : "s")"
    }
}

extension NDArray {
    /// The matrix product `op(a) · op(b)` through BLAS gemm, where `op` transposes when
    /// its flag is set. A transposed operand is read in place, never copied.
    ///
    /// ```swift
    /// let y = NDArray.matmul(x, w, transposeB: true)   // X Wᵀ: (S, in) × (out, in)ᵀ
    /// ```
    @inlinable
    public static func matmul(_ a: NDArray, _ b: NDArray,
                              transposeA: Bool = false, transposeB: Bool = false) -> NDArray {
        let (m, n, _) = productShape(a, b, transposeA, transposeB)
        // No zero fill: with beta = 0 gemm overwrites every element without reading it
        // (an (S, 784) gradient is 400 KB to clear, every step). OpenBLAS 0.3.21 stores
        // zeros in C before it accumulates (its gemm_beta writes 0 for beta = 0, it does
        // not multiply), so garbage, NaN included, never reaches the result.
        var c = NDArray.unfilled([m, n])
        gemm(a, b, into: &c, transposeA: transposeA, transposeB: transposeB)
        return c
    }

    /// `c = alpha · op(a) · op(b) + beta · c` in place, reusing `c`'s storage.
    public static func gemm(_ a: NDArray, _ b: NDArray, into c: inout NDArray,
                            transposeA: Bool = false, transposeB: Bool = false,
                            alpha: Scalar = 1, beta: Scalar = 0) {
        let (m, n, k) = productShape(a, b, transposeA, transposeB)
        precondition(c.isMatrix(m, n),
                     "gemm: result has shape \(shapeText(c.shape)), the product needs \(shapeText([m, n]))")
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            // BLAS semantics: beta = 0 overwrites C without reading it (NaN·0 would stay NaN).
            if beta == 0 { c.formMap { _ in 0 } } else { c *= beta }
            return
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    Scalar.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                alpha: alpha, a: pa.baseAddress!, lda: a.shape[1],
                                b: pb.baseAddress!, ldb: b.shape[1],
                                beta: beta, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// `self · other` for matrices.
    @inlinable
    public func matmul(_ other: NDArray) -> NDArray { NDArray.matmul(self, other) }

    @usableFromInline
    static func productShape(_ a: NDArray, _ b: NDArray, _ ta: Bool, _ tb: Bool) -> (Int, Int, Int) {
        precondition(a.rank == 2 && b.rank == 2,
                     "matmul: needs two matrices, got \(shapeText(a.shape)) and \(shapeText(b.shape))")
        let (m, ka) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = tb ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        // The operands' text is built only for the message: building it eagerly cost two
        // string allocations per product.
        precondition(ka == kb, "matmul: \(shapeText(a.shape))\(ta ? "ᵀ" : "") × \(shapeText(b.shape))\(tb ? "ᵀ" : "")"
                     + " — inner dimensions \(ka) and \(kb) differ")
        return (m, n, ka)
    }
}
