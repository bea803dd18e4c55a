import RealModule

// Softmax, log-softmax and the fused softmax cross-entropy with its gradient: one
// implementation for the hand-written layers (Layers/Softmax.swift,
// Layers/SoftmaxCrossEntropy.swift) and AutoGrad's ops (Ops/Softmax.swift).
//
// The row maximum is subtracted before exponentiating (softmax is unchanged by a shift of
// its row), so the largest exponent is e⁰ = 1: no overflow for logits of 1e4, and the
// denominator is at least 1, so no division by zero and no log of 0.
extension NDArray {
    /// The softmax of each row of a matrix into `y` (reused when it has `x`'s shape).
    ///
    /// ```swift
    /// var p = NDArray<Double>.zeros([1, 3])
    /// NDArray.softmaxRows(NDArray([1e4, -1e4, 0], shape: [1, 3]), into: &p)   // [[1, 0, 0]]
    /// ```
    @inlinable
    public static func softmaxRows(_ x: NDArray, into y: inout NDArray) {
        precondition(x.rank == 2 && x.shape[1] >= 1, "softmaxRows: needs a (rows, classes ≥ 1) matrix, got \(shapeText(x.shape))")
        if y.shape != x.shape { y = .zeros(x.shape) }
        let width = x.shape[1]
        y.withUnsafeMutableBufferPointer { y in
            x.withUnsafeBufferPointer { x in
                for row in 0..<x.count / width { _ = softmaxRow(x, into: y, base: row * width, width: width) }
            }
        }
    }

    /// The softmax's backward pass (Derivations 2.c.i): `dX = Y ∘ (dY − (dY ∘ Y) 1 1ᵀ)`, each
    /// row of dY less its Y-weighted mean, times Y. The Jacobian diag(y) − y yᵀ is never formed.
    @inlinable
    public static func softmaxRowsBackward(output y: NDArray, gradient dy: NDArray, into dx: inout NDArray) {
        precondition(dy.shape == y.shape,
                     "softmaxRowsBackward: gradient \(shapeText(dy.shape)) does not match the output \(shapeText(y.shape))")
        if dx.shape != y.shape { dx = .zeros(y.shape) }
        let (rows, width) = (y.shape[0], y.shape[1])
        dx.withUnsafeMutableBufferPointer { dx in
            y.withUnsafeBufferPointer { y in
                dy.withUnsafeBufferPointer { dy in
                    for row in 0..<rows {
                        let base = row * width
                        var weighted: Scalar = 0
                        for j in base..<(base + width) { weighted += dy[j] * y[j] }
                        for j in base..<(base + width) { dx[j] = y[j] * (dy[j] - weighted) }
                    }
                }
            }
        }
    }

    /// `log(softmax(x))` along `axis`, computed as `x − max − log Σ exp(x − max)`.
    ///
    /// ```swift
    /// let logProbabilities = logits.logSoftmax(axis: 1)
    /// ```
    @inlinable
    public func logSoftmax(axis: Int = -1) -> NDArray {
        let (outer, size, inner, a) = axisSplit(axis, op: "logSoftmax")
        precondition(size > 0, "logSoftmax: axis \(a) of shape \(shapeText(shape)) is empty")
        var y = self
        y.withUnsafeMutableBufferPointer { y in
            for p in 0..<outer {
                for i in 0..<inner {
                    let base = p * size * inner + i
                    var m = y[base]
                    for k in 1..<size { m = Swift.max(m, y[base + k * inner]) }
                    var s: Scalar = 0
                    for k in 0..<size { s += .exp(y[base + k * inner] - m) }
                    let logNormalizer = m + .log(s)
                    for k in 0..<size { y[base + k * inner] -= logNormalizer }
                }
            }
        }
        return y
    }

    /// The log-softmax's backward pass in place: `g ← g − softmax · Σ g` along `axis`, with
    /// softmax = exp(`output`); it never divides by a probability.
    @inlinable
    public static func logSoftmaxBackward(output y: NDArray, axis: Int, gradient g: inout NDArray) {
        precondition(g.shape == y.shape,
                     "logSoftmaxBackward: gradient \(shapeText(g.shape)) does not match the output \(shapeText(y.shape))")
        let (outer, size, inner, _) = y.axisSplit(axis, op: "logSoftmaxBackward")
        g.withUnsafeMutableBufferPointer { g in
            y.withUnsafeBufferPointer { y in
                for p in 0..<outer {
                    for i in 0..<inner {
                        let base = p * size * inner + i
                        var total: Scalar = 0
                        for k in 0..<size { total += g[base + k * inner] }
                        for k in 0..<size { g[base + k * inner] -= .exp(y[base + k * inner]) * total }
                    }
                }
            }
        }
    }

    /// Softmax followed by cross-entropy, fused, on logits (S, C) against integer labels, as
    /// PyTorch's `cross_entropy`: returns the mean of `log Σ_k e^(x_k − m) − (x_label − m)`
    /// over the rows, finite for any finite logits, and leaves the softmax probabilities in
    /// `probabilities` (reused when it has the logits' shape) for the gradient.
    ///
    /// ```swift
    /// var p = NDArray<Float>.zeros([0, 0])
    /// let loss = NDArray.softmaxCrossEntropy(logits: z, labels: [3, 0, 7], probabilities: &p)
    /// ```
    @inlinable
    public static func softmaxCrossEntropy(logits x: NDArray, labels: [Int], probabilities: inout NDArray) -> Scalar {
        precondition(x.rank == 2, "softmaxCrossEntropy: logits must be (batch, classes), got \(shapeText(x.shape))")
        let width = x.shape[1]
        precondition(labels.count == x.shape[0],
                     "softmaxCrossEntropy: \(labels.count) labels for logits \(shapeText(x.shape)) — one per row needed")
        precondition(x.count > 0, "softmaxCrossEntropy: logits \(shapeText(x.shape)) are empty")
        if probabilities.shape != x.shape { probabilities = .zeros(x.shape) }
        var total: Scalar = 0
        probabilities.withUnsafeMutableBufferPointer { y in
            x.withUnsafeBufferPointer { x in
                for (row, label) in labels.enumerated() {
                    precondition(label >= 0 && label < width,
                                 "softmaxCrossEntropy: label \(label) of row \(row) is outside 0..<\(width)")
                    let base = row * width
                    let (largest, sum) = softmaxRow(x, into: y, base: base, width: width)
                    // L_i = log Σ_k e^(x_k − m) − (x_label − m)
                    total += Scalar.log(sum) - (x[base + label] - largest)
                }
            }
        }
        return total / Scalar(labels.count)
    }

    /// The gradient of the fused loss times `scale`: `dX = scale · (softmax(X) − onehot(labels))`
    /// (Derivations 2.c.i and 2.c.ii combined); `scale` is 1/S for the mean loss. `dx` is
    /// reused when it has the probabilities' shape.
    @inlinable
    public static func softmaxCrossEntropyGradient(probabilities p: NDArray, labels: [Int], scale: Scalar,
                                                   into dx: inout NDArray) {
        precondition(p.rank == 2 && labels.count == p.shape[0],
                     "softmaxCrossEntropyGradient: \(labels.count) labels for probabilities \(shapeText(p.shape))")
        if dx.shape != p.shape { dx = .zeros(p.shape) }
        let width = p.shape[1]
        dx.withUnsafeMutableBufferPointer { dx in
            p.withUnsafeBufferPointer { p in
                for i in 0..<dx.count { dx[i] = p[i] * scale }
                // p − 1 first: exact for p ≥ ½, where p · scale − scale would cancel.
                for (row, label) in labels.enumerated() { dx[row * width + label] = (p[row * width + label] - 1) * scale }
            }
        }
    }
}

/// The softmax of one row (`width` elements from `base`) with the max trick; returns the
/// row's maximum and Σ e^(x − max), from which the fused loss takes its log-sum-exp.
@inlinable
func softmaxRow<Scalar: NDScalar>(_ x: UnsafeBufferPointer<Scalar>, into y: UnsafeMutableBufferPointer<Scalar>,
                                  base: Int, width: Int) -> (largest: Scalar, sum: Scalar) {
    var largest = x[base]
    for j in base..<(base + width) where x[j] > largest { largest = x[j] }
    var total: Scalar = 0
    for j in base..<(base + width) {
        let e = Scalar.exp(x[j] - largest)
        y[j] = e
        total += e
    }
    let scale = 1 / total
    for j in base..<(base + width) { y[j] *= scale }
    return (largest, total)
}
