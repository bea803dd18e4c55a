import ArrayAssertions
import ArrayKit
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// ``TrainingRun`` driven step by step, and several runs trained in turns on one thread.
@Suite struct TrainingRunTests {
    /// 400 fixture samples in batches of 32: 12 steps per epoch.
    static func trainer(epochs: Int = 3) throws -> Trainer { try ReliabilityTests.ResumeTests.trainer(epochs: epochs) }

    /// The manual and the autograd MLP from the same weights.
    static func pair(learningRate: Double = 0.05, epochs: Int = 3) throws -> (ManualClassifier, AutoGradClassifier) {
        let manual = ManualClassifier(inputs: 784, hidden: [16], classes: 10, learningRate: learningRate, seed: 3)
        let autograd = AutoGradClassifier(inputs: 784, hidden: [16], classes: 10, learningRate: learningRate,
                                          epochs: epochs, stepsPerEpoch: 12, seed: 4)
        try autograd.load(stateDict: manual.stateDict())
        return (manual, autograd)
    }

    @Test func aRunIsItsStepsAndEpochEnds() throws {
        let trainer = try Self.trainer(epochs: 2)
        let run = TrainingRun(trainer: trainer, model: try Self.pair().0, history: ReliabilityTests.ResumeTests.history("manual"))
        var steps = 0
        while !run.isEpochComplete {
            run.step()
            steps += 1
        }
        #expect(steps == 12)
        #expect(run.epoch == 1)
        #expect(run.history.epochs.isEmpty)
        let record = run.finishEpoch()
        #expect(record.epoch == 1)
        #expect(run.epoch == 2)
        #expect(run.batchesIntoEpoch == 0)
        #expect(!run.isFinished)
        #expect(run.best?.epoch == 1, "\(record)")
        #expect(record.valAccuracy > 0.3, "\(record)")
        while !run.isEpochComplete { run.step() }
        run.finishEpoch()
        #expect(run.isFinished)
        let outcome = run.finish()
        #expect(outcome.history.epochs.count == 2)
        #expect(outcome.history.test != nil)
        #expect(!outcome.interrupted)
    }

    /// Trained in turns, the backends stop at the same step whenever the request comes, and
    /// the epochs both finished agree; the stop is the one ``trainInTurns`` reports to each.
    @Test(arguments: [1, 5, 12, 13, 30])
    func bothBackendsStopAtTheSameStep(afterPolls stopAfter: Int) throws {
        let trainer = try Self.trainer()
        let (manual, autograd) = try Self.pair()
        let runs = [TrainingRun(trainer: trainer, model: manual, history: ReliabilityTests.ResumeTests.history("manual")),
                    TrainingRun(trainer: trainer, model: autograd, history: ReliabilityTests.ResumeTests.history("autograd"))]
        var polls = 0
        var saved: [String: [TrainingCheckpoint]] = [:]
        TrainingRun.trainInTurns(runs, shouldStop: {
            polls += 1
            return polls >= stopAfter
        }, saveCheckpoint: { run, checkpoint in saved[run.model.backend, default: []].append(checkpoint) })

        #expect(runs.allSatisfy { $0.isInterrupted })
        let positions = runs.map { ($0.epoch - 1) * 12 + $0.batchesIntoEpoch }
        #expect(positions == [stopAfter, stopAfter], "stopped at \(positions)")
        let last = try ["manual", "autograd"].map { try #require(saved[$0]?.last) }
        #expect(last[0].completedEpochs == stopAfter / 12)
        #expect(last[0].batchesIntoEpoch == stopAfter % 12)
        #expect(last[1].completedEpochs == last[0].completedEpochs)
        #expect(last[1].batchesIntoEpoch == last[0].batchesIntoEpoch)
        expectEqual(last[1].model.parameters, last[0].model.parameters, tolerance: .within(absolute: 1e-6, relative: 1e-4))

        let outcomes = runs.map { $0.finish() }
        let comparison = BackendComparison(manual: outcomes[0].history, autograd: outcomes[1].history)
        #expect(comparison.pairs.count == stopAfter / 12)
        #expect(outcomes.allSatisfy { $0.interrupted && $0.history.test == nil })
        #expect(comparison.pairs.isEmpty || comparison.maxRelativeTrainLossDifference <= CompareBackends.tolerance)
    }

    @Test func aRunThatDivergesDoesNotHoldTheOtherUp() throws {
        let trainer = try Self.trainer()
        let manual = ManualClassifier(inputs: 784, hidden: [16], classes: 10, learningRate: 0.05, seed: 3)
        let diverging = ManualClassifier(inputs: 784, hidden: [16], classes: 10, learningRate: 1e6, seed: 3)
        let runs = [TrainingRun(trainer: trainer, model: diverging, history: ReliabilityTests.ResumeTests.history("manual")),
                    TrainingRun(trainer: trainer, model: manual, history: ReliabilityTests.ResumeTests.history("manual"))]
        var saved = 0
        TrainingRun.trainInTurns(runs, shouldStop: { false }, saveCheckpoint: { run, _ in if run === runs[1] { saved += 1 } })
        #expect(runs[0].diverged)
        #expect(runs[0].history.epochs.count == 1)
        #expect(!runs[1].diverged)
        #expect(runs[1].history.epochs.count == 3)
        #expect(saved == 3)
    }
}
