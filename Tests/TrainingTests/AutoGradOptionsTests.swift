import ArgumentParser
import ArrayAssertions
import ArrayKit
import AutoGrad
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// `train-autograd`'s dropout, AdamW and its exponential, linear and plateau schedules.
@Suite struct AutoGradOptionsTests {
    static func record(_ epoch: Int, validationLoss: Double) -> EpochRecord {
        EpochRecord(epoch: epoch, trainLoss: 1, trainAccuracy: 0.5, valLoss: validationLoss, valAccuracy: 0.5,
                    learningRate: 0.1, seconds: 0)
    }

    static func plateauModel() -> AutoGradClassifier {
        AutoGradClassifier(inputs: 4, hidden: [3], classes: 2, learningRate: 0.1, schedule: .plateau, patience: 2,
                           epochs: 10, stepsPerEpoch: 1, seed: 1)
    }

    @Test func plateauCutsTheRateAfterMoreThanPatienceEpochsWithoutALowerValidationLoss() {
        let model = Self.plateauModel()
        var rates: [Double] = []
        for (epoch, loss) in [1.0, 0.8, 0.8, 0.9, 0.85, 0.7].enumerated() {
            model.beginEpoch(epoch + 1)
            rates.append(model.learningRate)
            model.finishEpoch(Self.record(epoch + 1, validationLoss: loss))
        }
        model.beginEpoch(7)
        rates.append(model.learningRate)
        // Epochs 3, 4 and 5 bring no lower loss: the third of them (more than 2) cuts the rate for epoch 6.
        #expect(rates.map { ($0 * 1e6).rounded() / 1e6 } == [0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01], "\(rates)")
    }

    @Test func plateauStateTravelsInTheTrainingStateExactly() throws {
        let model = Self.plateauModel()
        for (epoch, loss) in [1.0, 0.9, 0.95].enumerated() { model.finishEpoch(Self.record(epoch + 1, validationLoss: loss)) }
        let state = model.trainingState()
        #expect(state.counters["plateau.bad_epochs"] == 1)
        #expect(state.counters["plateau.epochs"] == 3)
        let resumed = Self.plateauModel()
        try resumed.load(trainingState: state)
        #expect(resumed.plateau == model.plateau)
        #expect(resumed.plateau?.bestMetric == 0.9)
        // A run without the plateau schedule refuses the state, naming it.
        let constant = AutoGradClassifier(inputs: 4, hidden: [3], classes: 2, learningRate: 0.1, epochs: 10, stepsPerEpoch: 1, seed: 1)
        let error = #expect(throws: CheckpointError.self) { try constant.load(trainingState: state) }
        #expect(error?.description.contains("plateau.bad_epochs") == true)
    }

    /// Dropout's masks come from generators seeded after every weight: the weights are those
    /// of the MLP without dropout, under names shifted as in PyTorch's `Sequential`.
    @Test func dropoutLeavesTheWeightsAsWithoutIt() {
        var a = SplitMix64(seed: 3), b = SplitMix64(seed: 3)
        let plain = nn.MLP<Float>(inputs: 6, hidden: [5, 4], classes: 3, using: &a)
        let dropped = nn.MLP<Float>(inputs: 6, hidden: [5, 4], classes: 3, dropout: 0.3, using: &b)
        #expect(dropped.stateDict().map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"])
        for (withDropout, without) in zip(dropped.stateDict(), plain.stateDict()) {
            expectEqual(withDropout.tensor.data, without.tensor.data, "\(withDropout.name)")
        }
        let classifier = AutoGradClassifier(dropped, learningRate: 0.1, epochs: 1, stepsPerEpoch: 1)
        #expect(classifier.dropouts.map(\.name) == ["dropout.2.generator", "dropout.5.generator"])
    }

    /// Stopped mid-run and resumed, a run with dropout (its masks), AdamW and a plateau
    /// schedule ends as the uninterrupted one does.
    @Test func aDropoutPlateauRunResumesBitForBit() throws {
        let trainer = try ReliabilityTests.ResumeTests.trainer(epochs: 4)
        func model(seed: UInt64) -> AutoGradClassifier {
            AutoGradClassifier(inputs: 784, hidden: [16], classes: 10, dropout: 0.2, optimizer: .adamw, learningRate: 0.01,
                               weightDecay: 0.05, schedule: .plateau, patience: 0, epochs: 4, stepsPerEpoch: 12, seed: seed)
        }
        let whole = model(seed: 1)
        let expected = trainer.fit(whole, history: ReliabilityTests.ResumeTests.history("autograd"))
        let scratch = try TemporaryDirectory()
        let (outcome, resumed, checkpoint) = try ReliabilityTests.ResumeTests.interruptedRun(
            trainer, backend: "autograd", stopAfterPolls: 30, in: scratch.url) { model(seed: $0) }
        #expect(checkpoint.completedEpochs == 2)
        #expect(checkpoint.batchesIntoEpoch == 6)
        #expect(checkpoint.training.counters["plateau.epochs"] == 2)
        #expect(checkpoint.training.counters["dropout.2.generator"] != nil)
        #expect(ReliabilityTests.ResumeTests.untimed(outcome.history) == ReliabilityTests.ResumeTests.untimed(expected.history))
        expectEqual(resumed.stateDict(), whole.stateDict())
    }

    @Test func theCommandOffersTheNewOptionsAndRecordsThem() throws {
        let help = TrainAutoGrad.helpMessage()
        for needle in ["--dropout", "adamw", "--gamma", "--patience", "exponential", "linear", "plateau"] {
            #expect(help.contains(needle), "--help lacks \(needle)")
        }
        let scratch = try TemporaryDirectory()
        let base = ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16", "--epochs", "3",
                    "--batch-size", "64"]
        let exponential = scratch.url.appendingPathComponent("exponential")
        let result = runCommand(TrainAutoGrad.self, base + ["--optimizer", "adamw", "--weight-decay", "0.01",
                                                           "--schedule", "exponential", "--gamma", "0.5", "--output", exponential.path])
        #expect(result.status == 0, "\(result.message)")
        let history = try RunHistory.read(from: exponential.appendingPathComponent("history.json"))
        #expect(history.epochs.map(\.learningRate) == [0.1, 0.05, 0.025])
        #expect(history.config["optimizer"] == "adamw")
        #expect(history.config["gamma"] == 0.5)
        #expect(history.config["patience"] == nil)

        let dropout = scratch.url.appendingPathComponent("dropout")
        #expect(runCommand(TrainAutoGrad.self, base + ["--dropout", "0.25", "--output", dropout.path]).status == 0)
        let config = try RunHistory.read(from: dropout.appendingPathComponent("history.json")).config
        #expect(config["dropout"] == 0.25)
        #expect(config["gamma"] == nil)

        let linear = scratch.url.appendingPathComponent("linear")
        #expect(runCommand(TrainAutoGrad.self, base + ["--schedule", "linear", "--output", linear.path]).status == 0)
        let rates = try RunHistory.read(from: linear.appendingPathComponent("history.json")).epochs.map(\.learningRate)
        #expect(abs(rates[0] - 0.1 / 3) < 1e-12, "\(rates)")
        #expect(rates[1] > rates[0], "\(rates)")
        #expect(rates[2] > rates[1], "\(rates)")
    }

    @Test(arguments: [["--dropout", "1"], ["--gamma", "0"], ["--gamma", "1.5"], ["--patience", "-1"], ["--optimizer", "adamw", "--momentum", "0.9"]])
    func badValuesAreRefusedWithTheirFlag(arguments: [String]) {
        let result = runCommand(TrainAutoGrad.self, ["--data-dir", Fixture.gzip.path] + arguments)
        #expect(result.status != 0, "\(result.message)")
        #expect(result.message.contains(arguments[arguments.count - 2]), "\(result.message)")
    }
}
