import ArrayKit

/// Shared inputs for the layer tests, kept in one namespace so they cannot clash with
/// helpers of other test files in this target.
enum LayerFixtures {
    /// A random (batch, features, classes) with batch in 1...64 and classes in 1...10.
    struct Shape: CustomStringConvertible {
        let batch: Int, features: Int, classes: Int
        var description: String { "batch \(batch), features \(features), classes \(classes)" }
    }

    static func shape(seed: UInt64) -> Shape {
        var rng = SplitMix64(seed: 1_000 + seed)
        return Shape(batch: 1 + rng.nextInt(below: 64), features: 1 + rng.nextInt(below: 8),
                     classes: 1 + rng.nextInt(below: 10))
    }

    static func normal(_ shape: [Int], std: Double = 1, seed: UInt64) -> NDArray<Double> {
        var rng = SplitMix64(seed: seed)
        return .randomNormal(shape, std: std, using: &rng)
    }

    /// Normal draws moved at least 0.02 away from 0, so no central difference straddles
    /// the kink of ReLU (or ELU's second derivative jump).
    static func awayFromZero(_ shape: [Int], seed: UInt64) -> NDArray<Double> {
        normal(shape, seed: seed).map { Swift.abs($0) < 0.02 ? ($0 < 0 ? $0 - 0.02 : $0 + 0.02) : $0 }
    }

    static func labels(_ count: Int, classes: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed &+ 77)
        return (0..<count).map { _ in rng.nextInt(below: classes) }
    }

    /// Rows of positive numbers summing to 1, bounded away from 0 (probabilities a
    /// softmax could produce), for checking CrossEntropy on its own.
    static func probabilities(_ rows: Int, _ classes: Int, seed: UInt64) -> NDArray<Double> {
        var rng = SplitMix64(seed: seed)
        let raw = NDArray<Double>.randomUniform([rows, classes], low: 0.1, high: 1, using: &rng)
        return raw / raw.sum(axis: 1, keepDims: true)
    }

    /// ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞), the normwise relative difference; 0 for two zero arrays.
    static func relativeDifference<A: NDScalar, B: NDScalar>(_ a: NDArray<A>, _ b: NDArray<B>) -> Double {
        precondition(a.shape == b.shape, "relativeDifference: \(a.shape) vs \(b.shape)")
        var difference = 0.0, scale = 0.0
        for (x, y) in zip(a.scalars, b.scalars) {
            difference = Swift.max(difference, Swift.abs(Double(x) - Double(y)))
            scale = Swift.max(scale, Swift.abs(Double(x)), Swift.abs(Double(y)))
        }
        if difference.isNaN || scale.isNaN { return .nan }
        return scale == 0 ? 0 : difference / scale
    }
}
