import ArrayAssertions
import Foundation
import Testing
@testable import AutoGrad

func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
    Swift.abs(a - b) <= tolerance * Swift.max(1, Swift.abs(b))
}

@Suite struct ScheduleTests {
    @Test func stepAndExponentialDecay() {
        let step = StepLR(baseLearningRate: 0.1, stepSize: 30)
        #expect(close(step.learningRate(at: 0), 0.1))
        #expect(close(step.learningRate(at: 29), 0.1))
        #expect(close(step.learningRate(at: 30), 0.01))
        #expect(close(step.learningRate(at: 65), 0.001))
        let exponential = ExponentialLR(baseLearningRate: 0.1, gamma: 0.9)
        #expect(close(exponential.learningRate(at: 0), 0.1))
        #expect(close(exponential.learningRate(at: 2), 0.081))
    }

    @Test func cosineIsHalfTheBaseRateHalfWay() {
        let cosine = CosineAnnealingLR(baseLearningRate: 0.1, maxSteps: 10)
        #expect(close(cosine.learningRate(at: 0), 0.1))
        #expect(close(cosine.learningRate(at: 5), 0.05))
        #expect(Swift.abs(cosine.learningRate(at: 10)) < 1e-15)
        // cos(π/5) = (1 + √5)/4, so step 2 is 0.1 · (1 + (1 + √5)/4) / 2.
        let cosPiOverFive: Double = (1 + 5.0.squareRoot()) / 4
        let expectedAtTwo: Double = 0.1 * (1 + cosPiOverFive) / 2
        #expect(close(cosine.learningRate(at: 2), expectedAtTwo))
        #expect(close(cosine.learningRate(at: 15), 0.05))   // rises again past T_max, as PyTorch
        let floored = CosineAnnealingLR(baseLearningRate: 0.1, maxSteps: 10, minimumLearningRate: 0.01)
        #expect(close(floored.learningRate(at: 5), 0.055))
        #expect(close(floored.learningRate(at: 10), 0.01))
    }

    @Test func linearWarmUpAndSequencing() {
        let warmUp = LinearLR(baseLearningRate: 0.3)   // PyTorch defaults: 1/3 → 1 over 5 steps
        #expect(close(warmUp.learningRate(at: 0), 0.1))
        #expect(close(warmUp.learningRate(at: 1), 0.3 * (1.0 / 3 + 2.0 / 3 / 5)))
        #expect(close(warmUp.learningRate(at: 5), 0.3))
        #expect(close(warmUp.learningRate(at: 50), 0.3))
        let schedule = SequentialLR([LinearLR(baseLearningRate: 0.1, startFactor: 0.1, totalSteps: 4),
                                     CosineAnnealingLR(baseLearningRate: 0.1, maxSteps: 10)], milestones: [4])
        #expect(close(schedule.learningRate(at: 2), 0.055))
        #expect(close(schedule.learningRate(at: 4), 0.1))    // the cosine's own step 0
        #expect(close(schedule.learningRate(at: 9), 0.05))   // the cosine's step 5
        let constant = ConstantLR(baseLearningRate: 0.3, factor: 0.5, totalSteps: 2)
        expectEqual([0, 1, 2].map(constant.learningRate(at:)), [0.15, 0.15, 0.3])
    }

    @Test func oneCyclePeaksOneStepBeforeThePercentageAsPyTorchDoes() {
        let schedule = OneCycleLR(maxLearningRate: 0.1, totalSteps: 100)
        let rates = (0..<100).map(schedule.learningRate(at:))
        #expect(rates.indices.max { rates[$0] < rates[$1] } == 29)
        #expect(schedule.peakStep == 29)
        #expect(rates[29] == 0.1)
        #expect(rates[28] < 0.1)
        #expect(rates[30] < 0.1)
        #expect(close(rates[0], 0.1 / 25))                   // max / div_factor
        #expect(close(rates[99], 0.1 / 25 / 1e4))            // initial / final_div_factor
        // Half-way through the annealing phase (step 29 + 70/2) the cosine is at its midpoint.
        #expect(close(rates[64], (0.1 + 0.1 / 25 / 1e4) / 2))
        // Half-way through a short warm-up: 10 steps peak at step 2, so step 1 is the midpoint.
        #expect(close(OneCycleLR(maxLearningRate: 0.1, totalSteps: 10).learningRate(at: 1), (0.004 + 0.1) / 2))
        // Momentum runs the other way: 0.95 → 0.85 at the peak → 0.95.
        #expect(schedule.momentum(at: 0).map { close($0, 0.95) } == true)
        #expect(schedule.momentum(at: 29).map { close($0, 0.85) } == true)
        #expect(schedule.momentum(at: 99).map { close($0, 0.95) } == true)
    }

    @Test func oneCycleThreePhaseAndLinearAnnealing() {
        let three = OneCycleLR(maxLearningRate: 0.1, totalSteps: 100, threePhase: true)
        #expect(three.learningRate(at: 29) == 0.1)
        #expect(close(three.learningRate(at: 58), 0.004))          // back to the initial rate at 2·30 − 2
        #expect(close(three.learningRate(at: 99), 0.004 / 1e4))
        let linear = OneCycleLR(maxLearningRate: 0.1, totalSteps: 10, annealing: .linear)
        // Warm-up 0…2 and annealing 2…9 are straight lines.
        #expect(close(linear.learningRate(at: 1), 0.052))
        #expect(close(linear.learningRate(at: 3), 0.1 + (4e-7 - 0.1) / 7))
        #expect(OneCycleLR(maxLearningRate: 0.1, totalSteps: 10, cycleMomentum: false).momentum(at: 3) == nil)
    }

    @Test func oneCycleRejectsStepsBeyondTheTotal() async {
        await #expect(processExitsWith: .failure) {
            _ = OneCycleLR(maxLearningRate: 0.1, totalSteps: 10).learningRate(at: 11)
        }
    }

    @Test func plateauReducesAfterPatienceRunsOut() {
        var plateau = ReduceLROnPlateau(learningRate: 1, factor: 0.5, patience: 2)
        // 9 improves on 10; 9 again is not better; 8.9995 is within the 1e-4 relative threshold.
        let rates = [10, 9, 9, 9, 9, 9, 8.9995, 8].map { plateau.step(metric: $0) }
        expectEqual(rates, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5])
        #expect(plateau.bestMetric == 8)
        #expect(plateau.badEpochs == 0)
        #expect(plateau.epochs == 8)
    }

    @Test func plateauCooldownAndFloor() {
        var plateau = ReduceLROnPlateau(learningRate: 1, patience: 0, cooldown: 2, minimumLearningRate: 0.05)
        let rates = (0..<9).map { _ in plateau.step(metric: 5) }
        // A cut, two cooldown epochs, a cut to the floor (not 0.01), then nothing left to cut.
        expectEqual(rates.map { ($0 * 1000).rounded() / 1000 }, [1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05])
        var accuracy = ReduceLROnPlateau(learningRate: 0.1, mode: .max, patience: 1, thresholdMode: .absolute)
        // In max mode an accuracy must rise by more than the absolute threshold 1e-4.
        let cut = [0.90, 0.90005, 0.9].map { accuracy.step(metric: $0) }
        #expect(cut.map { close($0, 0.01) } == [false, false, true])
    }

    @Test func plateauStateSurvivesAJSONCheckpoint() throws {
        var plateau = ReduceLROnPlateau(learningRate: 0.1, patience: 3)
        let fresh = try JSONDecoder().decode(ReduceLROnPlateau.self, from: JSONEncoder().encode(plateau))
        #expect(fresh == plateau)
        for metric in [1.0, 2, 3] { plateau.step(metric: metric) }
        var restored = try JSONDecoder().decode(ReduceLROnPlateau.self, from: JSONEncoder().encode(plateau))
        #expect(restored == plateau)
        #expect(restored.badEpochs == 2)
        #expect(restored.step(metric: 4) == plateau.step(metric: 4))
    }

    @Test func schedulesDescribeThemselvesForLogs() {
        #expect(OneCycleLR(maxLearningRate: 0.1, totalSteps: 100).description.contains("at step 29"))
        #expect(CosineAnnealingLR(baseLearningRate: 0.1, maxSteps: 10).description.contains("over 10 steps"))
    }
}
