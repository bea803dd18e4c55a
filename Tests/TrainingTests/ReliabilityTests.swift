import ArgumentParser
import ArrayAssertions
import ArrayKit
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// The tests of ReliabilityTests.swift, one nested suite per part.
@Suite struct ReliabilityTests {}

extension ReliabilityTests {
    /// Checkpoints and `--resume`: a run stopped and continued ends bit for bit where an
    /// uninterrupted run ends; divergence keeps the best checkpoint.
    @Suite struct ResumeTests {
        static let epochs = 4

        /// The fixture's loaders: 400 training samples in batches of 32 (12 steps per epoch).
        static func trainer(epochs: Int = epochs) throws -> Trainer {
            let dataset = try Fixture.dataset()
            let split = try DataSplit(dataset, validationCount: 100, seed: 7)
            return Trainer(split: split, batchSize: 32, seed: 7, epochs: epochs, classNames: dataset.spec.classNames)
        }

        static func history(_ backend: String) -> RunHistory {
            RunHistory(backend: backend, config: [:], blas: "",
                       dataset: DatasetSummary(name: "fixture", normalizationMean: 0, normalizationStd: 1, trainCount: 400,
                                               validationCount: 100, testCount: 100, classNames: []))
        }

        /// A model of `backend`; `seed` differs between the runs compared, so only a restored
        /// checkpoint can make them agree.
        static func model(_ backend: String, seed: UInt64) -> any Classifier {
            switch backend {
            case "manual":
                return ManualClassifier(inputs: 784, hidden: [16], classes: 10, learningRate: 0.05, seed: seed)
            case "adam":
                return AutoGradClassifier(inputs: 784, hidden: [16], classes: 10, batchNorm: true, optimizer: .adam,
                                          learningRate: 0.003, epochs: epochs, stepsPerEpoch: 12, seed: seed)
            default:   // momentum SGD under a per-batch schedule: buffers and batches seen both matter
                return AutoGradClassifier(inputs: 784, hidden: [16], classes: 10, optimizer: .sgd, learningRate: 0.1,
                                          momentum: 0.9, schedule: .onecycle, epochs: epochs, stepsPerEpoch: 12, seed: seed)
            }
        }

        /// Epoch records without their timings (their sharpness estimates' included).
        static func untimed(_ history: RunHistory) -> [EpochRecord] {
            history.epochs.map { var record = $0; record.seconds = 0; record.sharpness?.seconds = 0; return record }
        }

        /// Trains `makeModel(firstSeed)` with `trainer` until `shouldStop` has been asked
        /// `stopAfterPolls` times (the trainer asks after every step but an epoch's last, and after
        /// every epoch), round-trips the checkpoint through its file into a fresh model built from
        /// another seed, and finishes the run.
        static func interruptedRun(_ trainer: Trainer, backend: String, firstSeed: UInt64 = 1, stopAfterPolls: Int,
                                   in directory: URL, makeModel: (UInt64) -> any Classifier)
            throws -> (outcome: TrainingOutcome, model: any Classifier, checkpoint: TrainingCheckpoint)
        {
            var polls = 0
            var saved: TrainingCheckpoint?
            let first = trainer.fit(makeModel(firstSeed), history: history(backend), shouldStop: {
                polls += 1
                return polls >= stopAfterPolls
            }, saveCheckpoint: { saved = $0 })
            #expect(first.interrupted)
            #expect(first.history.test == nil)
            let file = directory.appendingPathComponent(TrainingCheckpoint.fileName)
            try #require(saved).write(to: file)
            let checkpoint = try TrainingCheckpoint.read(from: file)
            let resumed = makeModel(99)
            try checkpoint.restore(into: resumed, for: trainer)
            let outcome = trainer.fit(resumed, history: history(backend), resumingFrom: checkpoint, saveCheckpoint: { _ in })
            return (outcome, resumed, checkpoint)
        }

        @Test(arguments: ["manual", "adam", "momentum"], [24, 31])
        func resumedRunIsBitIdenticalToAnUninterruptedOne(backend: String, stopAfterPolls: Int) throws {
            // 12 polls per epoch (11 steps, 1 epoch end): 24 stops at the end of epoch 2, 31 after step 7 of epoch 3.
            let reference = try Self.trainer()
            var lastCheckpoint: TrainingCheckpoint?
            let whole = Self.model(backend, seed: 1)
            let expected = reference.fit(whole, history: Self.history(backend), saveCheckpoint: { lastCheckpoint = $0 })
            let scratch = try TemporaryDirectory()
            let (outcome, resumed, checkpoint) = try Self.interruptedRun(try Self.trainer(), backend: backend,
                                                                         stopAfterPolls: stopAfterPolls, in: scratch.url) {
                Self.model(backend, seed: $0)
            }
            let stoppedAt = (checkpoint.completedEpochs, checkpoint.batchesIntoEpoch)
            #expect(stopAfterPolls == 24 ? stoppedAt == (2, 0) : stoppedAt == (2, 7), "stopped at \(stoppedAt)")

            #expect(expected.history.epochs.count == Self.epochs)
            #expect(!outcome.interrupted)
            #expect(Self.untimed(outcome.history) == Self.untimed(expected.history))
            #expect(outcome.history.bestEpoch == expected.history.bestEpoch)
            #expect(outcome.history.test == expected.history.test)
            // The model kept (best epoch) and the last epoch's model, optimizer state included.
            expectEqual(resumed.stateDict(), whole.stateDict())
            #expect(resumed.state().integers.map(\.values) == whole.state().integers.map(\.values))
            let last = try #require(lastCheckpoint)
            #expect(last.completedEpochs == Self.epochs)
            #expect(last.training.tensors.isEmpty == (backend == "manual"))
        }

        @Test func checkpointFileKeepsEveryPartBitForBit() throws {
            let trainer = try Self.trainer()
            var saved: [TrainingCheckpoint] = []
            _ = trainer.fit(Self.model("adam", seed: 3), history: Self.history("autograd"), saveCheckpoint: { saved.append($0) })
            let scratch = try TemporaryDirectory()
            let file = scratch.url.appendingPathComponent("c.safetensors")
            var original = try #require(saved.last)
            original.arguments = ["--lr", "0.003"]
            original.partialEpoch.lossSum = 0.1 + 0.2   // not exactly representable in decimal text of few digits
            try original.write(to: file)
            let read = try TrainingCheckpoint.read(from: file)
            #expect(read.completedEpochs == Self.epochs)
            #expect(read.arguments == original.arguments)
            #expect(read.partialEpoch == original.partialEpoch)
            #expect(read.loader == original.loader)
            #expect(read.history == original.history)
            expectEqual(read.model.parameters, original.model.parameters)
            #expect(read.model.integers.map(\.values) == original.model.integers.map(\.values))
            #expect(!read.model.integers.isEmpty)
            expectEqual(read.training.tensors.map { ($0.name, $0.array) }, original.training.tensors.map { ($0.name, $0.array) })
            #expect(read.training.counters == ["batches_seen": Self.epochs * 12])
            #expect(read.best?.epoch == original.best?.epoch)
            #expect(read.best?.accuracy == original.best?.accuracy)
            expectEqual(read.best!.state.parameters, original.best!.state.parameters)
        }

        @Test func aCheckpointOfOtherSettingsOrAnotherModelIsRefused() throws {
            let trainer = try Self.trainer()
            var saved: TrainingCheckpoint?
            _ = trainer.fit(Self.model("adam", seed: 3), history: Self.history("autograd"), saveCheckpoint: { saved = $0 })
            let checkpoint = try #require(saved)
            var other = trainer
            other.epochs = 9
            #expect(throws: CheckpointError.self) { try checkpoint.restore(into: Self.model("adam", seed: 3), for: other) }
            let error = #expect(throws: CheckpointError.self) { try checkpoint.restore(into: Self.model("manual", seed: 3), for: trainer) }
            #expect(error?.description.contains("does not fit this model") == true, "\(String(describing: error))")
            let notACheckpoint = try TemporaryDirectory()
            let file = notACheckpoint.url.appendingPathComponent("model.safetensors")
            try Safetensors.write([("0.weight", NDArray<Float>([1, 2], shape: [2]))], to: file)
            let refused = #expect(throws: CheckpointError.self) { try TrainingCheckpoint.read(from: file) }
            #expect(refused?.description.contains("not a training checkpoint") == true)
        }
    }
}
