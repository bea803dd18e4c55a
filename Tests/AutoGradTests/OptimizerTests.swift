import ArrayAssertions
import Testing
import ArrayKit
@testable import AutoGrad

/// Runs `optimizer` for one step per gradient in `gradients` (set by hand, as `backward()`
/// would) and returns the first parameter's values after each step.
func trajectory<O: Optimizer>(_ optimizer: O, gradients: [[O.Scalar]]) -> [[Double]] {
    gradients.map { g in
        optimizer.parameters[0].grad = NDArray(g, shape: optimizer.parameters[0].shape)
        optimizer.step()
        return optimizer.parameters[0].data.scalars.map(Double.init)
    }
}

func expectClose(_ actual: [[Double]], _ expected: [[Double]], tolerance: Double = 1e-12,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (a, e) in zip(actual.joined(), expected.joined()) {
        #expect(Swift.abs(a - e) <= tolerance * Swift.max(1, Swift.abs(e)), "got \(actual), expected \(expected)",
                sourceLocation: sourceLocation)
    }
}

func parameter(_ values: [Double]) -> Tensor<Double> { Tensor(NDArray(values), requiresGrad: true) }

@Suite struct OptimizerTests {
    @Test func plainSGDAndWeightDecay() {
        // w ← w − 0.1 · g
        expectClose(trajectory(SGD([parameter([1, -2])], learningRate: 0.1), gradients: [[0.5, 0.25]]),
                    [[0.95, -2.025]])
        // g + 0.1 · w = [0.6, 0.05] → w = [1 − 0.06, −2 − 0.005]
        expectClose(trajectory(SGD([parameter([1, -2])], learningRate: 0.1, weightDecay: 0.1), gradients: [[0.5, 0.25]]),
                    [[0.94, -2.005]])
    }

    @Test func momentumWithDampeningSkipsDampeningOnTheFirstStep() {
        // b₁ = g = 0.5 (undamped); b₂ = 0.9 · 0.5 + 0.5 · 0.5 = 0.7; b₃ = 0.9 · 0.7 + 0.25 = 0.88
        let sgd = SGD([parameter([1])], learningRate: 0.1, momentum: 0.9, dampening: 0.5)
        expectClose(trajectory(sgd, gradients: [[0.5], [0.5], [0.5]]), [[0.95], [0.88], [0.792]])
    }

    @Test func nesterovWithWeightDecay() {
        // Step 1: d = 1 + 0.1 · 2 = 1.2, b = 1.2, update d + 0.5 b = 1.8, w = 2 − 0.18 = 1.82.
        // Step 2: d = 1 + 0.182 = 1.182, b = 0.6 + 1.182 = 1.782, update 1.182 + 0.891 = 2.073, w = 1.6127.
        let sgd = SGD([parameter([2])], learningRate: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0.1)
        expectClose(trajectory(sgd, gradients: [[1], [1]]), [[1.82], [1.6127]])
    }

    @Test func adamCorrectsTheBiasOfItsMoments() {
        // Step 1: m̂ = g, v̂ = g², so w moves by lr·sign(g) (less eps): 1 − 0.1/(1 + 2e-8).
        // Step 2: m = 0.045 − 0.025 = 0.02, v = 0.999 · 0.00025 + 0.001 · 0.0625 = 0.00031225;
        //   m̂ = 0.02 / 0.19, v̂ = 0.00031225 / 0.001999, w = 0.9 − 0.1 · m̂ / (√v̂ + eps) = 0.873366…
        let adam = Adam([parameter([1])], learningRate: 0.1)
        expectClose(trajectory(adam, gradients: [[0.5], [-0.25], [0.125]]),
                    [[0.900000002], [0.8733662987078463], [0.8393233849166541]])
        // A constant gradient moves Adam by exactly lr per step once the bias is corrected.
        expectClose(trajectory(Adam([parameter([1])], learningRate: 0.1), gradients: [[0.5], [0.5], [0.5]]),
                    [[0.9], [0.8], [0.7]], tolerance: 1e-8)
    }

    @Test func adamAddsWeightDecayToTheGradientWhileAdamWShrinksTheWeights() {
        // Adam: d₂ = 0.5 + 0.1 · 0.9 = 0.59 enters both moments.
        expectClose(trajectory(Adam([parameter([1])], learningRate: 0.1, weightDecay: 0.1), gradients: [[0.5], [0.5]]),
                    [[0.9000000016666666], [0.8000473404883315]])
        // AdamW: w · (1 − 0.1 · 0.1) then the plain Adam step: 0.99 − 0.1 = 0.89; 0.89 · 0.99 − 0.1 = 0.7811.
        expectClose(trajectory(AdamW([parameter([1])], learningRate: 0.1, weightDecay: 0.1), gradients: [[0.5], [0.5]]),
                    [[0.890000002], [0.7811000039800006]])
        #expect(AdamW([parameter([1])]).weightDecay == 0.01)   // PyTorch's AdamW default
    }

    @Test func zeroGradClearsAndParametersWithoutGradientsAreSkipped() {
        let a = parameter([1, 2]), b = parameter([3])
        let adam = Adam([a, b], learningRate: 0.1)
        a.grad = NDArray([1, 1])
        adam.step()
        expectEqual(b.data, [3])
        #expect(adam.stateDict()["state.1.step"] == nil)
        #expect(adam.stateDict()["state.0.step"]?.scalar == 1)
        adam.zeroGrad()
        #expect(a.grad == nil)
        #expect(b.grad == nil)
        adam.step()   // nothing to do: no parameter has a gradient
        #expect(adam.stateDict()["state.0.step"]?.scalar == 1)
    }

    @Test func stateDictResumesExactlyWhereTheRunStopped() throws {
        var rng = SplitMix64(seed: 1)
        let start = (0..<2).map { _ in NDArray<Float>.randomNormal([3, 2], using: &rng) }
        let grads = (0..<4).map { _ in (0..<2).map { _ in NDArray<Float>.randomNormal([3, 2], using: &rng) } }
        func run(_ make: ([Tensor<Float>]) -> any Optimizer<Float>) throws -> (uninterrupted: [NDArray<Float>], resumed: [NDArray<Float>]) {
            let full = start.map { Tensor($0, requiresGrad: true) }, first = make(full)
            let half = start.map { Tensor($0, requiresGrad: true) }, second = make(half)
            for (i, g) in grads.enumerated() {
                for (p, gi) in zip(full, g) { p.grad = gi }
                first.step()
                if i < 2 {
                    for (p, gi) in zip(half, g) { p.grad = gi }
                    second.step()
                }
            }
            // A fresh optimizer over the same tensors picks up the saved state.
            let resumed = make(half)
            try resumed.load(stateDict: second.stateDict())
            for g in grads[2...] {
                for (p, gi) in zip(half, g) { p.grad = gi }
                resumed.step()
            }
            return (full.map(\.data), half.map(\.data))
        }
        for make in [{ SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) as any Optimizer<Float> },
                     { Adam($0, learningRate: 0.01) }, { AdamW($0, learningRate: 0.01) }] {
            let (uninterrupted, resumed) = try run { make($0) }
            #expect(uninterrupted.count == resumed.count)
            for (whole, continued) in zip(uninterrupted, resumed) { expectEqual(continued, whole) }
        }
    }

    @Test func loadingAMismatchedStateThrowsAClearError() {
        let sgd = SGD([parameter([1, 2])], learningRate: 0.1, momentum: 0.9)
        for (dict, phrase) in [
            (["state.0.momentum_buffer": NDArray<Double>([1, 2, 3])], "has shape (3,) but parameter 0 has shape (2,)"),
            (["state.4.momentum_buffer": NDArray<Double>([1, 2])], "names parameter 4, but this optimizer has 1 parameters"),
            (["state.0.exp_avg": NDArray<Double>([1, 2])], "unknown key \"state.0.exp_avg\""),
        ] {
            do { try sgd.load(stateDict: dict); Issue.record("\(dict) was accepted") } catch {
                #expect(error.description.contains(phrase), "\(error)")
            }
        }
        let adam = Adam([parameter([1])])
        #expect(throws: OptimizerStateError.self) { try adam.load(stateDict: ["state.0.exp_avg": NDArray([1])]) }
        #expect(throws: OptimizerStateError.self) { try adam.load(stateDict: ["state.0.step": NDArray([1.5])]) }
    }

    @Test func learningRateIsSavedAndRestored() throws {
        let sgd = SGD([parameter([1])], learningRate: 0.1)
        sgd.learningRate = 0.025
        let other = SGD([parameter([1])], learningRate: 0.1)
        try other.load(stateDict: sgd.stateDict())
        #expect(other.learningRate == 0.025)
    }

    @Test func updatesAreInPlaceOnceWarm() {
        let w = Tensor(NDArray<Float>.ones([64, 32]), requiresGrad: true)
        let adam = Adam([w], learningRate: 0.01)
        w.grad = .full([64, 32], 0.5)
        adam.step()
        let before = w.data.withUnsafeBufferPointer { $0.baseAddress }
        adam.step()
        #expect(w.data.withUnsafeBufferPointer { $0.baseAddress } == before)
        #expect(w.data.scalars.allSatisfy { Swift.abs($0 - 0.98) < 1e-5 })
    }

    @Test func nesterovWithDampeningIsAProgrammerError() async {
        await #expect(processExitsWith: .failure) {
            _ = SGD([Tensor(NDArray<Float>([1]))], learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)
        }
    }
}
