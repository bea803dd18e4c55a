/// NumPy broadcasting: shapes are aligned on their last axis; two sizes agree when they
/// are equal or one of them is 1 (a missing axis counts as 1).
///
/// ```swift
/// broadcastShapes([3, 1], [1, 4])   // [3, 4]
/// ```
public func broadcastShapes(_ a: [Int], _ b: [Int], op: String = "broadcast") -> [Int] {
    let rank = Swift.max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(da == db || da == 1 || db == 1,
                     "\(op): shapes \(shapeText(a)) and \(shapeText(b)) cannot be broadcast — "
                     + "axis \(i) has sizes \(da) and \(db)")
        result[i] = da == 1 ? db : da
    }
    return result
}

/// `(128, 784)`-style text for messages.
public func shapeText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

extension NDArray {
    /// Strides that read this array as if it had the larger shape `target` (0 on
    /// broadcast axes).
    @inlinable
    func broadcastStrides(to target: [Int]) -> [Int] {
        let own = NDArray.strides(for: shape)
        let offset = target.count - rank
        return (0..<target.count).map { axis in
            axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
        }
    }

    /// Applies `f` elementwise to `self` and `other` after broadcasting them.
    @inlinable
    public func zipWith(_ other: NDArray, op: String = "elementwise",
                        _ f: (Scalar, Scalar) -> Scalar) -> NDArray {
        if shape == other.shape {
            // Fresh storage, as in `map`: no copy first, and selects stay vectorizable.
            let out = storage.withUnsafeBufferPointer { a in
                other.storage.withUnsafeBufferPointer { b in
                    [Scalar](unsafeUninitializedCapacity: a.count) { o, initialized in
                        for i in 0..<a.count { o[i] = f(a[i], b[i]) }
                        initialized = a.count
                    }
                }
            }
            return NDArray(out, shape: shape)
        }
        let outShape = broadcastShapes(shape, other.shape, op: op)
        if other.count == 1 && outShape == shape {
            let b = other.storage[0]
            return NDArray(storage.map { f($0, b) }, shape: shape)
        }
        if count == 1 && outShape == other.shape {
            let a = storage[0]
            return NDArray(other.storage.map { f(a, $0) }, shape: other.shape)
        }
        let n = outShape.reduce(1, *)
        guard n > 0 else { return NDArray([], shape: outShape) }
        let sa = broadcastStrides(to: outShape), sb = other.broadcastStrides(to: outShape)
        let rank = outShape.count
        let inner = outShape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
        var out = [Scalar](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: rank)
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    var oa = 0, ob = 0, position = 0
                    while position < n {
                        for j in 0..<inner { o[position + j] = f(a[oa + j * ia], b[ob + j * ib]) }
                        position += inner
                        // Advance the odometer over all axes but the last.
                        var axis = rank - 2
                        while axis >= 0 {
                            index[axis] += 1
                            oa += sa[axis]; ob += sb[axis]
                            if index[axis] < outShape[axis] { break }
                            oa -= sa[axis] * outShape[axis]; ob -= sb[axis] * outShape[axis]
                            index[axis] = 0
                            axis -= 1
                        }
                    }
                }
            }
        }
        return NDArray(out, shape: outShape)
    }

    /// This array repeated along broadcast axes to `target`, as `numpy.broadcast_to`.
    @inlinable
    public func broadcast(to target: [Int]) -> NDArray {
        let result = broadcastShapes(shape, target, op: "broadcast(to:)")
        precondition(result == target,
                     "broadcast(to:): \(shapeText(shape)) cannot be broadcast to \(shapeText(target))")
        return NDArray.zeros(target).zipWith(self, op: "broadcast(to:)") { _, x in x }
    }

    /// Sums a gradient that was computed for a broadcast result back to `target`, the
    /// shape of the operand that was broadcast. Both backends use this for the gradient
    /// of any broadcasting op.
    ///
    /// ```swift
    /// let g = NDArray<Float>.ones([4, 3])
    /// g.reduced(toShape: [3])      // [4, 4, 4]: a bias gradient
    /// ```
    @inlinable
    public func reduced(toShape target: [Int]) -> NDArray {
        if shape == target { return self }
        precondition(broadcastShapes(target, shape, op: "reduced(toShape:)") == shape,
                     "reduced(toShape:): \(shapeText(shape)) is not a broadcast of \(shapeText(target))")
        var result = self
        let extra = rank - target.count
        for _ in 0..<extra { result = result.sum(axis: 0) }
        for axis in 0..<target.count where target[axis] == 1 && result.shape[axis] != 1 {
            result = result.sum(axis: axis, keepDims: true)
        }
        return result.reshaped(target)
    }
}
