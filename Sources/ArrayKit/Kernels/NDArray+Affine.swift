// The affine map of a linear layer and its bias gradient: one implementation for the
// hand-written layers (Layers/Linear.swift) and AutoGrad's `linear` op.
extension NDArray {
    /// `output = x Wᵀ + b` (Derivations 2.a), `weight` stored `[out, in]` as PyTorch stores it.
    /// `b` goes into every row of `output` first and gemm then adds X Wᵀ on top (beta = 1):
    /// one pass, no temporary for the broadcast, and W read transposed in place. `output`'s
    /// storage is reused when it already has the shape `(samples, out)`.
    ///
    /// ```swift
    /// var y = NDArray<Float>.zeros([128, 10])
    /// NDArray.affine(x, weight: w, bias: b, into: &y)      // (128, in) · (10, in)ᵀ + (10,)
    /// ```
    @inlinable
    public static func affine(_ x: NDArray, weight: NDArray, bias: NDArray?, into output: inout NDArray) {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                     "affine: input \(shapeText(x.shape)) does not fit weight \(shapeText(weight.shape)) — "
                     + "expected (samples, \(weight.rank == 2 ? String(weight.shape[1]) : "in"))")
        let samples = x.shape[0], width = weight.shape[0]
        // A new output is not zeroed: the bias rows, or gemm with beta = 0, write all of it.
        if !output.isMatrix(samples, width) { output = .unfilled([samples, width]) }
        guard let bias else {
            gemm(x, weight, into: &output, transposeB: true)
            return
        }
        precondition(bias.rank == 1 && bias.count == width,
                     "affine: bias \(shapeText(bias.shape)) does not fit weight \(shapeText(weight.shape)) — expected (\(width),)")
        if samples > 0 {
            output.withUnsafeMutableBufferPointer { out in
                bias.withUnsafeBufferPointer { b in
                    for row in 0..<samples {
                        (out.baseAddress! + row * width).update(from: b.baseAddress!, count: width)
                    }
                }
            }
        }
        gemm(x, weight, into: &output, transposeB: true, beta: 1)
    }

    /// The column sums of a matrix, `1ᵀ X`, into `result` (shape `(columns,)`, reused when it
    /// has it): the bias gradient db = 1ᵀ dY (Derivations 2.a), summed row after row.
    ///
    /// ```swift
    /// var db = NDArray<Float>.zeros([10])
    /// NDArray.columnSums(of: dy, into: &db)
    /// ```
    @inlinable
    public static func columnSums(of x: NDArray, into result: inout NDArray) {
        precondition(x.rank == 2, "columnSums: needs a matrix, got \(shapeText(x.shape))")
        let (rows, width) = (x.shape[0], x.shape[1])
        if !(result.rank == 1 && result.count == width) { result = .zeros([width]) }
        result.withUnsafeMutableBufferPointer { sums in
            x.withUnsafeBufferPointer { x in
                // A local: read through the enclosing closure's context, every store to `sums`
                // could alias the pointers, and the column sums would not vectorize.
                let sums = sums
                for j in 0..<width { sums[j] = 0 }
                for row in 0..<rows {
                    let base = row * width
                    for j in 0..<width { sums[j] += x[base + j] }
                }
            }
        }
    }
}
