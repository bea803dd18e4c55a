import RealModule

/// The one seeded generator of the package: SplitMix64 (Steele, Lea & Flood 2014), a
/// 64-bit state advanced by a Weyl step and scrambled by two multiply-xorshift rounds.
/// Its whole state is one `UInt64`, so a checkpoint can save and restore it. Both
/// backends draw initial weights, shuffles and dropout masks from it, so the same seed
/// gives the same numbers everywhere.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let w = NDArray<Float>.randomNormal([128, 784], std: 0.05, using: &rng)
/// let order = rng.permutation(60_000)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The complete generator state.
    public var state: UInt64

    /// A generator whose state is `seed`: the same seed gives the same sequence.
    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in `[0, 1)` from the top 53 bits.
    @inlinable
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound`, unbiased (Lemire's multiply-and-reject), the
    /// same on every platform and Swift version.
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:): bound must be positive, got \(bound)")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// A standard normal draw by the Box–Muller transform (one draw per two uniforms,
    /// so the stream does not depend on a cached spare).
    @inlinable
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUnit()          // (0, 1]: log is finite
        let u2 = nextUnit()
        return Double.sqrt(-2 * Double.log(u1)) * Double.cos(2 * Double.pi * u2)
    }

    /// A random permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            p.swapAt(i, nextInt(below: i + 1))
        }
        return p
    }
}

extension NDArray {
    /// Normal draws with mean `mean` and standard deviation `std`.
    public static func randomNormal(_ shape: [Int], mean: Scalar = 0, std: Scalar = 1,
                                    using generator: inout SplitMix64) -> NDArray {
        precondition(shape.allSatisfy { $0 >= 0 }, "randomNormal: negative dimension in shape \(shapeText(shape))")
        let n = shape.reduce(1, *)
        return NDArray((0..<n).map { _ in mean + std * Scalar(generator.nextNormal()) }, shape: shape)
    }

    /// Uniform draws in `[low, high)`.
    public static func randomUniform(_ shape: [Int], low: Scalar = 0, high: Scalar = 1,
                                     using generator: inout SplitMix64) -> NDArray {
        precondition(shape.allSatisfy { $0 >= 0 }, "randomUniform: negative dimension in shape \(shapeText(shape))")
        precondition(low <= high, "randomUniform: low \(low) is above high \(high)")
        let n = shape.reduce(1, *)
        return NDArray((0..<n).map { _ in
            // A unit draw just below 1 rounds up to 1 in Float (and the affine map can round
            // up too); keep the documented open upper bound.
            let x = low + (high - low) * Scalar(generator.nextUnit())
            return x < high || low == high ? x : high.nextDown
        }, shape: shape)
    }
}

extension NDArray {
    /// A dropout mask: each element is 0 with probability `p` and `1/(1 − p)` otherwise, so
    /// that multiplying by it keeps the expected value (as `torch.nn.Dropout` scales the
    /// survivors). One uniform draw per element, in order, from `generator`.
    ///
    /// ```swift
    /// var rng = SplitMix64(seed: 7)
    /// let mask = NDArray<Float>.dropoutMask([128, 256], p: 0.2, using: &rng)
    /// ```
    public static func dropoutMask(_ shape: [Int], p: Double, using generator: inout SplitMix64) -> NDArray {
        precondition(p >= 0 && p <= 1, "dropoutMask: p must be in [0, 1], got \(p)")
        let keep = p < 1 ? Scalar(1 / (1 - p)) : 0
        var mask = NDArray.zeros(shape)
        mask.withUnsafeMutableBufferPointer { m in
            for i in 0..<m.count { m[i] = generator.nextUnit() < p ? 0 : keep }
        }
        return mask
    }
}
