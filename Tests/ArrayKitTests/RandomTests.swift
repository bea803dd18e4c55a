import ArrayAssertions
import Testing
@testable import ArrayKit

@Suite struct RandomTests {
    @Test func theSameSeedGivesTheSameStream() {
        var a = SplitMix64(seed: 2024), b = SplitMix64(seed: 2024), c = SplitMix64(seed: 2025)
        let first = (0..<100).map { _ in a.next() }
        expectEqual(first, (0..<100).map { _ in b.next() })
        expectNotEqual(first, (0..<100).map { _ in c.next() })
        var x = SplitMix64(seed: 9), y = SplitMix64(seed: 9)
        expectEqual(NDArray<Float>.randomNormal([5, 5], using: &x), NDArray<Float>.randomNormal([5, 5], using: &y))
        expectEqual(x.permutation(50), y.permutation(50))
        #expect(x == y)
    }

    /// The published SplitMix64 reference values (seed 1234567), so the stream is the
    /// algorithm, not an accident of this implementation.
    @Test func matchesTheReferenceStream() {
        var g = SplitMix64(seed: 1_234_567)
        expectEqual((0..<5).map { _ in g.next() }, [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ])
    }

    @Test func uniformMomentsAndRange() {
        var g = SplitMix64(seed: 1)
        let n = 100_000
        let u = NDArray<Double>.randomUniform([n], low: -2, high: 6, using: &g)
        #expect(u.min() >= -2)
        #expect(u.max() < 6)
        // Uniform(a, b): mean (a+b)/2 = 2, variance (b-a)²/12 = 16/3.
        let variance = 16.0 / 3
        let mean = u.mean()
        #expect(Swift.abs(mean - 2) < 5 * (variance / Double(n)).squareRoot())
        let sampleVariance = (u - mean).squared().sum() / Double(n - 1)
        // Var of the sample variance is (μ4 - σ⁴)/n with μ4 = (b-a)⁴/80.
        let sd = ((4096.0 / 80 - variance * variance) / Double(n)).squareRoot()
        #expect(Swift.abs(sampleVariance - variance) < 5 * sd)
    }

    /// Seed 3558559446808474027 makes the first draw 2⁶⁴ − 1 (the mixer inverted by hand):
    /// the largest unit value, which rounds to 1 in Float.
    @Test func uniformNeverReachesItsUpperBound() {
        var g = SplitMix64(seed: 3_558_559_446_808_474_027)
        var copy = g
        let first: UInt64 = copy.next()
        #expect(first == .max)
        let x = NDArray<Float>.randomUniform([1], using: &g)
        #expect(x.scalar < 1)
        #expect(x.scalar == Float(1).nextDown)
        var h = SplitMix64(seed: 3_558_559_446_808_474_027)
        #expect(NDArray<Double>.randomUniform([1], low: 5, high: 5, using: &h).scalar == 5)
    }

    @Test func normalMoments() {
        var g = SplitMix64(seed: 2)
        let n = 100_000
        let x = NDArray<Double>.randomNormal([n], mean: 3, std: 0.5, using: &g)
        let mean = x.mean()
        #expect(Swift.abs(mean - 3) < 5 * 0.5 / Double(n).squareRoot())
        let variance = (x - mean).squared().sum() / Double(n - 1)
        // For a normal sample, Var(s²) = 2σ⁴/(n-1).
        #expect(Swift.abs(variance - 0.25) < 5 * (2 * 0.0625 / Double(n - 1)).squareRoot())
        // A third of the mass lies beyond one σ: 31.73 %.
        let outside = Double(x.scalars.filter { Swift.abs($0 - 3) > 0.5 }.count) / Double(n)
        #expect(Swift.abs(outside - 0.3173) < 5 * (0.3173 * 0.6827 / Double(n)).squareRoot())
    }

    @Test func nextIntIsInRangeAndUnbiased() {
        var g = SplitMix64(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        let n = 70_000
        for _ in 0..<n { counts[g.nextInt(below: 7)] += 1 }
        let p = 1.0 / 7, sd = (Double(n) * p * (1 - p)).squareRoot()
        for c in counts { #expect(Swift.abs(Double(c) - Double(n) * p) < 5 * sd) }
    }

    @Test func permutationIsAPermutation() {
        var g = SplitMix64(seed: 4)
        for n in [0, 1, 2, 10, 1000] {
            let p = g.permutation(n)
            expectEqual(p.sorted(), Array(0..<n))
        }
        let p = g.permutation(1000)
        expectNotEqual(p, Array(0..<1000))
        // Each position is uniform: over many shuffles of 5, element 0 lands anywhere equally.
        var landed = [Int](repeating: 0, count: 5)
        let trials = 20_000
        for _ in 0..<trials { landed[g.permutation(5).firstIndex(of: 0)!] += 1 }
        let sd = (Double(trials) * 0.2 * 0.8).squareRoot()
        for c in landed { #expect(Swift.abs(Double(c) - Double(trials) / 5) < 5 * sd) }
    }
}
