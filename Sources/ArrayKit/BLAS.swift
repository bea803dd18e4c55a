import CBLAS

/// OpenBLAS, loaded on first use with the best kernel for this CPU.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and would run its generic
/// "Prescott" kernel; the loader (Sources/CBLAS/blas_loader.c) names the right one in
/// `OPENBLAS_CORETYPE` before the library initialises, unless the user set it.
///
/// OpenBLAS itself runs one thread. A large product is cut into blocks of rows that
/// ``threads`` threads compute at once (``Parallel``, Sources/CBLAS/product_split.c),
/// and the blocks start on the kernel's own tiles, so every element is computed exactly
/// as in one call: results are the same, bit for bit, for any thread count. The count is
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

    /// The row multiple at which a product of `Scalar`s is cut between threads: blocks
    /// starting on multiples of it give exactly the one-call result. Measured on first use
    /// by comparing both on a test product; 0 if no candidate agreed, and then products
    /// run on one thread.
    public static func splitAlignment<Scalar: NDScalar>(for _: Scalar.Type) -> Int {
        Int(bp_product_row_alignment(Scalar.self == Double.self ? 1 : 0))
    }

    /// One line for run headers: `BLAS: OpenBLAS 0.3.21, core Haswell, 2 threads`.
    public static var summary: String {
        do { try load() } catch { return "BLAS: unavailable (\(error))" }
        let words = configuration.split(separator: " ")
        let version = words.count >= 2 ? "\(words[0]) \(words[1])" : "OpenBLAS"
        return "BLAS: \(version), core \(coreName), \(threads) thread\(threads == 1 ? "" : "s")"
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
        // (an (S, 784) gradient is 400 KB to clear, every step).
        let storage = [Scalar](unsafeUninitializedCapacity: m * n) { _, initialized in initialized = m * n }
        var c = NDArray(storage, shape: [m, n])
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
