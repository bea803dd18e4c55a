// Reductions over one axis or the whole array, with NumPy's keepdims.
extension NDArray {
    /// Splits the shape around `axis` into (outer, size, inner) for a strided reduction.
    @inlinable
    func axisSplit(_ axis: Int, op: String) -> (outer: Int, size: Int, inner: Int, axis: Int) {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "\(op): axis \(axis) is out of range for shape \(shapeText(shape))")
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        return (outer, shape[a], inner, a)
    }

    @inlinable
    func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
        var s = shape
        if keepDims { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Folds `combine` along `axis`, starting every output from the first element.
    @inlinable
    func fold(axis: Int, keepDims: Bool, op: String, _ combine: (Scalar, Scalar) -> Scalar) -> NDArray {
        let (outer, size, inner, a) = axisSplit(axis, op: op)
        precondition(size > 0, "\(op): axis \(a) of shape \(shapeText(shape)) is empty")
        var out = [Scalar](repeating: 0, count: outer * inner)
        storage.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<outer {
                    let base = p * size * inner
                    for i in 0..<inner { o[p * inner + i] = x[base + i] }
                    for k in 1..<Swift.max(size, 1) {
                        let row = base + k * inner
                        for i in 0..<inner { o[p * inner + i] = combine(o[p * inner + i], x[row + i]) }
                    }
                }
            }
        }
        return NDArray(out, shape: reducedShape(a, keepDims: keepDims))
    }

    /// The sum along `axis` (negative counts from the end).
    ///
    /// ```swift
    /// NDArray<Float>([1, 2, 3, 4], shape: [2, 2]).sum(axis: 0)   // [4, 6]
    /// ```
    @inlinable
    public func sum(axis: Int, keepDims: Bool = false) -> NDArray {
        let (_, size, _, a) = axisSplit(axis, op: "sum")
        if size == 0 { return .zeros(reducedShape(a, keepDims: keepDims)) }
        return fold(axis: axis, keepDims: keepDims, op: "sum", +)
    }

    /// The mean along `axis`.
    @inlinable
    public func mean(axis: Int, keepDims: Bool = false) -> NDArray {
        let (_, size, _, _) = axisSplit(axis, op: "mean")
        return sum(axis: axis, keepDims: keepDims) / Scalar(size)
    }

    /// The largest element along `axis` (NaN propagates).
    @inlinable
    public func max(axis: Int, keepDims: Bool = false) -> NDArray {
        fold(axis: axis, keepDims: keepDims, op: "max") { a, b in a.isNaN || a >= b ? a : b }
    }

    /// The smallest element along `axis` (NaN propagates).
    @inlinable
    public func min(axis: Int, keepDims: Bool = false) -> NDArray {
        fold(axis: axis, keepDims: keepDims, op: "min") { a, b in a.isNaN || a <= b ? a : b }
    }

    /// The index of the largest element along `axis` (first one on ties, first NaN if
    /// any, as NumPy), in row-major order of the remaining axes: for a matrix and
    /// `axis: 1`, one class per row.
    @inlinable
    public func argmax(axis: Int) -> [Int] {
        let (outer, size, inner, a) = axisSplit(axis, op: "argmax")
        precondition(size > 0, "argmax: axis \(a) of shape \(shapeText(shape)) is empty")
        var best = [Int](repeating: 0, count: outer * inner)
        storage.withUnsafeBufferPointer { x in
            for p in 0..<outer {
                for i in 0..<inner {
                    var bestIndex = 0, bestValue = x[p * size * inner + i]
                    for k in 1..<Swift.max(size, 1) {
                        let v = x[(p * size + k) * inner + i]
                        // The first NaN counts as the largest, as in numpy.argmax.
                        if v > bestValue || (v.isNaN && !bestValue.isNaN) { bestValue = v; bestIndex = k }
                    }
                    best[p * inner + i] = bestIndex
                }
            }
        }
        return best
    }

    /// The sum of all elements.
    @inlinable public func sum() -> Scalar { storage.reduce(0, +) }
    /// The mean of all elements (NaN for an empty array, as NumPy).
    @inlinable public func mean() -> Scalar { sum() / Scalar(count) }
    /// The largest element.
    @inlinable public func max() -> Scalar {
        precondition(count > 0, "max: the array of shape \(shapeText(shape)) is empty")
        return storage.dropFirst().reduce(storage[0]) { a, b in a.isNaN || a >= b ? a : b }
    }
    /// The smallest element.
    @inlinable public func min() -> Scalar {
        precondition(count > 0, "min: the array of shape \(shapeText(shape)) is empty")
        return storage.dropFirst().reduce(storage[0]) { a, b in a.isNaN || a <= b ? a : b }
    }
    /// The flat index of the largest element (the first NaN if there is one, as NumPy).
    @inlinable public func argmax() -> Int {
        precondition(count > 0, "argmax: the array of shape \(shapeText(shape)) is empty")
        var best = 0
        for i in 1..<count where storage[i] > storage[best] || (storage[i].isNaN && !storage[best].isNaN) {
            best = i
        }
        return best
    }
}
