import ArrayKit
import RealModule

// The numerically delicate ops get fused rules instead of being composed from exp, sum
// and log: the max trick keeps every exponent ≤ 0, and the backward passes use the
// closed forms softmax − onehot and g − softmax·Σg, which never divide by a probability.
extension Tensor {
    /// `log(softmax(x))` along `axis`, computed as `x − max − log Σ exp(x − max)`.
    ///
    /// ```swift
    /// let logProbabilities = logits.logSoftmax(axis: 1)
    /// ```
    @inlinable
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let x = data
        let a = Tensor.normalized(axis: axis, rank: x.rank, op: "logSoftmax")
        let outer = x.shape[..<a].reduce(1, *), size = x.shape[a], inner = x.shape[(a + 1)...].reduce(1, *)
        precondition(size > 0, "logSoftmax: axis \(a) of shape \(shapeText(x.shape)) is empty")
        var y = x
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
        return Tensor.result(of: "logSoftmax", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
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
            return [g]
        }
    }
}

/// The mean cross-entropy of `logits` (S, C) against integer class `labels` (S of them),
/// as `torch.nn.functional.cross_entropy`: `mean_i (log Σ_k exp(x_ik) − x_i,label_i)`.
/// Fused with log-softmax; its gradient is `(softmax(x) − onehot(labels)) / S`.
///
/// ```swift
/// let loss = crossEntropy(logits: model(x), labels: [3, 0, 7])
/// loss.backward()
/// ```
@inlinable
public func crossEntropy<Scalar>(logits: Tensor<Scalar>, labels: [Int]) -> Tensor<Scalar> {
    let x = logits.data
    precondition(x.rank == 2, "crossEntropy: logits must be (batch, classes), got \(shapeText(x.shape))")
    let batch = x.shape[0], classes = x.shape[1]
    precondition(labels.count == batch,
                 "crossEntropy: \(labels.count) labels for logits \(shapeText(x.shape)) — one per row needed")
    precondition(batch > 0 && classes > 0, "crossEntropy: logits \(shapeText(x.shape)) are empty")
    var probabilities = x
    var total: Scalar = 0
    probabilities.withUnsafeMutableBufferPointer { p in
        for r in 0..<batch {
            let label = labels[r], row = r * classes
            precondition(label >= 0 && label < classes,
                         "crossEntropy: label \(label) of row \(r) is outside 0..<\(classes) for logits \(shapeText(x.shape))")
            var m = p[row]
            for k in 1..<classes { m = Swift.max(m, p[row + k]) }
            var s: Scalar = 0
            for k in 0..<classes {
                let e = Scalar.exp(p[row + k] - m)
                p[row + k] = e
                s += e
            }
            // loss_r = log Σ exp(x) − x_label, with both sides shifted by m.
            total += Scalar.log(s) - (x[r, label] - m)
            let inverse = 1 / s
            for k in 0..<classes { p[row + k] *= inverse }
        }
    }
    let loss = NDArray(scalar: total / Scalar(batch))
    return Tensor.result(of: "crossEntropy", data: loss, inputs: [logits]) { g in
        var gx = probabilities
        let scale = g.scalar / Scalar(batch)
        gx.withUnsafeMutableBufferPointer { p in
            for r in 0..<batch { p[r * classes + labels[r]] -= 1 }
            for i in 0..<p.count { p[i] *= scale }
        }
        return [gx]
    }
}
