import Foundation
import Testing
import ArrayAssertions
import ArrayKit

/// A zero-mean distribution for Question 5: how to draw from it and its exact variance σ².
struct ZeroMeanDistribution: CustomTestStringConvertible, Sendable {
    let name: String
    let variance: Double
    let draw: @Sendable (inout SplitMix64) -> Double
    var testDescription: String { name }

    /// N(0, 1.5²).
    static let normal = ZeroMeanDistribution(name: "normal", variance: 2.25) { 1.5 * $0.nextNormal() }
    /// U(−2, 2): σ² = a²/3 = 4/3.
    static let uniform = ZeroMeanDistribution(name: "uniform", variance: 4.0 / 3) { 4 * $0.nextUnit() - 2 }
    /// Laplace(0, b = 0.7) as the difference of two Exp(1) draws scaled by b: σ² = 2b².
    static let laplace = ZeroMeanDistribution(name: "laplace", variance: 2 * 0.49) { rng in
        0.7 * (log(1 - rng.nextUnit()) - log(1 - rng.nextUnit()))
    }
    /// Exp(1) − 1: zero mean, σ² = 1, skewed to the right.
    static let shiftedExponential = ZeroMeanDistribution(name: "exp(1) − 1", variance: 1) { rng in
        -log(1 - rng.nextUnit()) - 1
    }
}

/// A distribution on finitely many points, for exact moments.
struct DiscreteDistribution {
    let values: [Double], probabilities: [Double]
    func expectation(_ g: (Double) -> Double) -> Double {
        zip(values, probabilities).reduce(0) { $0 + $1.1 * g($1.0) }
    }
    var mean: Double { expectation { $0 } }
    var variance: Double { expectation { ($0 - mean) * ($0 - mean) } }
    var reluSecondMoment: Double { expectation { Swift.max($0, 0) * Swift.max($0, 0) } }
}

/// Monte Carlo estimate of E[ReLU(f)²] from `count` seeded draws.
func reluSecondMoment(of distribution: ZeroMeanDistribution, count: Int, seed: UInt64) -> Double {
    var rng = SplitMix64(seed: seed)
    var total = 0.0
    for _ in 0..<count {
        let b = Swift.max(distribution.draw(&rng), 0)
        total += b * b
    }
    return total / Double(count)
}

/// Docs/Initialization.md, "Question 5".
@Suite struct ReLUSecondMomentTests {
    static let draws = 1_000_000

    /// For symmetric zero-mean f, E[ReLU(f)²] = σ²/2 (Monte Carlo, 10⁶ draws, within 1%).
    @Test(arguments: [ZeroMeanDistribution.normal, .uniform, .laplace])
    func reluHalvesSecondMomentOfSymmetricDistributions(distribution: ZeroMeanDistribution) {
        let measured = reluSecondMoment(of: distribution, count: Self.draws, seed: 501)
        let expected = distribution.variance / 2
        #expect(Swift.abs(measured - expected) <= 0.01 * expected,
                "\(distribution.name): E[ReLU(f)²] = \(measured), σ²/2 = \(expected)")
        // The table in Initialization.md prints this seed's estimates to four decimals.
        let documented = ["normal": 1.1217, "uniform": 0.6652, "laplace": 0.4889][distribution.name]
        #expect(documented.map { Swift.abs(measured - $0) <= 0.00005 } == true,
                "\(distribution.name): measured \(measured), Initialization.md prints \(documented ?? .nan)")
    }

    /// f = −1 w.p. 2/3, 2 w.p. 1/3: E[f] = 0, σ² = 2, but E[ReLU(f)²] = 4/3 ≠ σ²/2 = 1,
    /// exactly and by Monte Carlo.
    @Test func zeroMeanAloneIsNotEnoughDiscreteCounterExample() {
        let f = DiscreteDistribution(values: [-1, 2], probabilities: [2.0 / 3, 1.0 / 3])
        #expect(Swift.abs(f.mean) <= 1e-15)
        #expect(Swift.abs(f.variance - 2) <= 1e-12)
        #expect(Swift.abs(f.reluSecondMoment - 4.0 / 3) <= 1e-12)
        #expect(Swift.abs(f.reluSecondMoment - f.variance / 2) >= 0.3)

        let sampled = ZeroMeanDistribution(name: "−1 or 2", variance: 2) { $0.nextInt(below: 3) == 0 ? 2 : -1 }
        let measured = reluSecondMoment(of: sampled, count: Self.draws, seed: 502)
        // Standard error: √(Var(ReLU(f)²)/n) = √((16/3 − 16/9)/10⁶) ≈ 0.0019.
        #expect(Swift.abs(measured - 4.0 / 3) <= 0.01)
        #expect(measured - 1 >= 0.3, "σ²/2 = 1 is off by ~170 standard errors, measured \(measured)")
    }

    /// Exp(1) − 1: E[ReLU(f)²] = ∫₁^∞ (x − 1)² e^{−x} dx = 2/e ≈ 0.736, not σ²/2 = 0.5.
    @Test func zeroMeanAloneIsNotEnoughShiftedExponential() {
        let distribution = ZeroMeanDistribution.shiftedExponential
        let measured = reluSecondMoment(of: distribution, count: Self.draws, seed: 503)
        // Standard error √((24/e − 4/e²)/10⁶) ≈ 0.0029, 0.4% of 2/e: 2% is a 5σ band.
        #expect(Swift.abs(measured - 2 / M_E) <= 0.02 * (2 / M_E))
        #expect(measured - distribution.variance / 2 >= 0.2)
    }

    /// The condition the proof really uses, E[f²; f > 0] = E[f²; f < 0], holds for this
    /// asymmetric f (−2 w.p. 3/7, 1 w.p. 3/7, 3 w.p. 1/7), and the result holds exactly.
    @Test func balancedHalvesSufficeWithoutSymmetry() {
        let f = DiscreteDistribution(values: [-2, 1, 3], probabilities: [3.0 / 7, 3.0 / 7, 1.0 / 7])
        #expect(Swift.abs(f.mean) <= 1e-15)
        #expect(Swift.abs(f.variance - 24.0 / 7) <= 1e-12)
        #expect(Swift.abs(f.reluSecondMoment - f.variance / 2) <= 1e-12)
    }

    /// Kaiming: Var(w) = 1/n for the first layer and 2/n after each ReLU keeps E[y²] of the
    /// pre-activations constant through 10 layers; 1/n everywhere halves it at every ReLU.
    @Test func kaimingVarianceKeepsPreActivationSecondMomentAcrossDepth() {
        let (width, batch, depth) = (256, 512, 10)
        func secondMoments(hiddenWeightVariance: Double) -> [Double] {
            var rng = SplitMix64(seed: 504)
            var y = NDArray<Double>.randomNormal([batch, width], using: &rng)   // E[x²] = 1 input
            var moments: [Double] = []
            for layer in 0..<depth {
                let variance = layer == 0 ? 1.0 / Double(width) : hiddenWeightVariance
                let w = NDArray<Double>.randomNormal([width, width], std: variance.squareRoot(), using: &rng)
                let x = layer == 0 ? y : y.maximum(0)
                y = NDArray.matmul(x, w, transposeB: true)
                moments.append(y.squared().mean())
            }
            return moments
        }
        let kaiming = secondMoments(hiddenWeightVariance: 2 / Double(width))
        let lecun = secondMoments(hiddenWeightVariance: 1 / Double(width))
        // The table in Initialization.md prints both rows to three decimals.
        expectEqual(kaiming, [0.990, 0.982, 0.943, 0.918, 0.948, 0.977, 1.105, 1.239, 1.135, 1.191],
                    tolerance: .absolute(0.0005), "the Kaiming row of Initialization.md")
        expectEqual(lecun, [0.990, 0.491, 0.236, 0.115, 0.059, 0.031, 0.017, 0.010, 0.004, 0.002],
                    tolerance: .absolute(0.0005), "the 1/n row of Initialization.md")
        #expect(Swift.abs(kaiming[0] - 1) <= 0.1, "first layer with 1/n keeps E[x²] = 1: \(kaiming[0])")
        #expect(kaiming.allSatisfy { $0 > 0.6 && $0 < 1.6 }, "Kaiming second moments: \(kaiming)")
        let ratio = lecun[depth - 1] / lecun[0]
        #expect(ratio > 0.25 * pow(0.5, Double(depth - 1)),
                "1/n: each ReLU halves E[y²], ratio \(ratio) after \(depth - 1) ReLUs")
        #expect(ratio < 4 * pow(0.5, Double(depth - 1)),
                "1/n: each ReLU halves E[y²], ratio \(ratio) after \(depth - 1) ReLUs")
    }
}
