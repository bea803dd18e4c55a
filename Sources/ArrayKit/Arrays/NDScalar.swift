import CBLAS
import RealModule

/// The element types an ``NDArray`` holds: `Float` for training (as PyTorch does) and
/// `Double` for gradient checks.
public protocol NDScalar: Real, BinaryFloatingPoint, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// The name NumPy gives this type (`"<f4"` or `"<f8"`).
    static var numpyDescriptor: String { get }

    /// Row-major `C = alpha · op(A) · op(B) + beta · C` through BLAS.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `x.squareRoot()`, bit for bit, in a form element loops can vectorize (see `bp_sqrtf`
    /// in Sources/CBLAS/include/CBLAS.h).
    static func vectorizableSquareRoot(_ x: Self) -> Self
}

/// `Float` as an element type: single-precision BLAS (`sgemm`), NumPy's `"<f4"`.
extension Float: NDScalar {
    public static var numpyDescriptor: String { "<f4" }

    @inlinable
    public static func vectorizableSquareRoot(_ x: Float) -> Float { bp_sqrtf(x) }

    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        bp_sgemm_split(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k),
                 alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// `Double` as an element type: double-precision BLAS (`dgemm`), NumPy's `"<f8"`.
extension Double: NDScalar {
    public static var numpyDescriptor: String { "<f8" }

    @inlinable
    public static func vectorizableSquareRoot(_ x: Double) -> Double { bp_sqrt(x) }

    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        bp_dgemm_split(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k),
                 alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
