import ArrayAssertions
import Testing
@testable import ArrayKit

/// The optimizer updates are vectorized and split across threads; these hold them to their
/// formulas, written here as plain element loops, bit for bit — the PyTorch fixtures and
/// every documented run depend on those exact bits.
@Suite struct OptimizerUpdateTests {
    /// Sizes below, at and above the split threshold, with vector remainders.
    static let sizes = [1, 7, 33, 1_000, 2 * NDArray<Float>.updateSplitMinimum + 13]

    struct State<S: NDScalar> {
        var weight, gradient, first, second: NDArray<S>
    }

    /// Random state with zeros of both signs, infinities, NaNs and subnormals mixed in.
    static func state<S: NDScalar>(_: S.Type, count: Int, seed: UInt64) -> State<S> {
        var rng = SplitMix64(seed: seed)
        var s = State(weight: NDArray<S>.randomNormal([count], using: &rng),
                      gradient: NDArray<S>.randomNormal([count], std: 0.1, using: &rng),
                      first: NDArray<S>.randomNormal([count], std: 0.01, using: &rng),
                      second: NDArray<S>.randomNormal([count], std: 0.1, using: &rng).map { $0 * $0 })
        let specials: [S] = [0, -0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude]
        for (k, special) in specials.enumerated() where count > 2 * specials.count {
            s.weight.withUnsafeMutableBufferPointer { $0[k] = special }
            s.gradient.withUnsafeMutableBufferPointer { $0[count - 1 - k] = special; $0[specials.count + k] = -0 }
        }
        return s
    }

    enum Update: CaseIterable { case sgd, sgdDecay, momentumFirst, momentum, nesterovFirst, nesterov, adam, adamL2, adamW }

    static func apply<S: NDScalar>(_ update: Update, to s: inout State<S>, step: Int) {
        switch update {
        case .sgd: s.weight.sgdUpdate(gradient: s.gradient, learningRate: 0.1)
        case .sgdDecay: s.weight.sgdUpdate(gradient: s.gradient, learningRate: 0.1, weightDecay: 0.01)
        case .momentumFirst, .momentum, .nesterovFirst, .nesterov:
            let nesterov = update == .nesterovFirst || update == .nesterov
            s.weight.sgdMomentumUpdate(gradient: s.gradient, buffer: &s.first,
                                       isFirstStep: update == .momentumFirst || update == .nesterovFirst,
                                       learningRate: 0.05, momentum: 0.9, dampening: nesterov ? 0 : 0.1,
                                       nesterov: nesterov, weightDecay: nesterov ? 0 : 1e-3)
        case .adam, .adamL2, .adamW:
            s.weight.adamUpdate(gradient: s.gradient, mean: &s.first, meanOfSquares: &s.second, step: step,
                                learningRate: 1e-3, weightDecay: update == .adam ? 0 : 0.01, decoupled: update == .adamW)
        }
    }

    /// The same updates, one element at a time, exactly as the documentation states them.
    static func reference<S: NDScalar>(_ update: Update, to s: inout State<S>, step: Int) {
        var w = s.weight.scalars, m = s.first.scalars, v = s.second.scalars
        let g = s.gradient.scalars
        for j in w.indices {
            switch update {
            case .sgd: w[j] -= 0.1 * g[j]
            case .sgdDecay: w[j] -= 0.1 * (g[j] + 0.01 * w[j])
            case .momentumFirst, .momentum, .nesterovFirst, .nesterov:
                let nesterov = update == .nesterovFirst || update == .nesterov
                let first = update == .momentumFirst || update == .nesterovFirst
                let mu: S = 0.9, keep: S = 1 - (nesterov ? 0 : 0.1), decay: S = nesterov ? 0 : 1e-3
                let d = g[j] + decay * w[j]
                m[j] = first ? d : mu * m[j] + keep * d
                w[j] -= 0.05 * (nesterov ? d + mu * m[j] : m[j])
            case .adam, .adamL2, .adamW:
                let decay = update == .adam ? 0 : 0.01, t = Double(step)
                if update == .adamW { w[j] *= S(1 - 1e-3 * decay) }
                let d = g[j] + S(update == .adamL2 ? decay : 0) * w[j]
                m[j] += S(1 - 0.9) * (d - m[j])
                v[j] = S(0.999) * v[j] + S(1 - 0.999) * d * d
                let stepSize = S(1e-3 / (1 - Double.pow(0.9, t)))
                let root = S((1 - Double.pow(0.999, t)).squareRoot())
                w[j] -= stepSize * m[j] / (v[j].squareRoot() / root + S(1e-8))
            }
        }
        s.weight = NDArray(w, shape: s.weight.shape)
        s.first = NDArray(m, shape: s.first.shape)
        s.second = NDArray(v, shape: s.second.shape)
    }

    func check<S: NDScalar>(_: S.Type, threads: Int) {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = threads
        for count in Self.sizes {
            for (u, update) in Update.allCases.enumerated() {
                var fast = Self.state(S.self, count: count, seed: UInt64(count * 10 + u))
                var slow = fast
                for step in 1...3 {
                    Self.apply(update, to: &fast, step: step)
                    Self.reference(update, to: &slow, step: step)
                }
                let label = "\(S.self) \(update), \(count) parameters, \(threads) threads"
                expectEqual(fast.weight, slow.weight, "weights, \(label)")
                expectEqual(fast.first, slow.first, "first buffer, \(label)")
                expectEqual(fast.second, slow.second, "second buffer, \(label)")
            }
        }
    }

    @Test(arguments: [1, 2, 3])
    func updatesAreTheirFormulasBitForBitOnAnyThreadCount(threads: Int) {
        check(Float.self, threads: threads)
        check(Double.self, threads: threads)
    }

    /// The check above fails when an update is off by one unit in the last place.
    @Test func aOneUlpDifferenceIsCaught() {
        var s = Self.state(Float.self, count: 40, seed: 1)
        var t = s
        Self.apply(.adam, to: &s, step: 1)
        Self.reference(.adam, to: &t, step: 1)
        t.weight.withUnsafeMutableBufferPointer { $0[20] = $0[20].nextUp }
        #expect(ArrayComparison.report(s.weight, t.weight) != nil)
    }
}
