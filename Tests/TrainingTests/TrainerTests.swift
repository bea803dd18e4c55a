import ArrayAssertions
import ArrayKit
import Foundation
import Testing
@testable import Training

/// The fixture split as the trainer sees it: 400 train / 100 validation / 100 test.
private func fixtureSplit(shuffle: Bool = true) throws -> DataSplit {
    try DataSplit(Fixture.dataset(), validationCount: 100, shuffle: shuffle, seed: 42)
}

private func emptyHistory(_ backend: String, _ split: DataSplit) -> RunHistory {
    RunHistory(backend: backend, config: [:], blas: BLAS.summary,
               dataset: DatasetSummary(name: "fixture", normalizationMean: Double(split.normalization.mean),
                                       normalizationStd: Double(split.normalization.std),
                                       trainCount: split.train.count, validationCount: split.validation.count,
                                       testCount: split.test.count, classNames: DatasetSpec.fashionMNIST.classNames))
}

private func makeClassifier(_ backend: String, hidden: [Int] = [32], learningRate: Double, epochs: Int,
                            stepsPerEpoch: Int, seed: UInt64 = 7) -> any Classifier {
    backend == "manual"
        ? ManualClassifier(inputs: 784, hidden: hidden, classes: 10, learningRate: learningRate, seed: seed)
        : AutoGradClassifier(inputs: 784, hidden: hidden, classes: 10, learningRate: learningRate, epochs: epochs,
                             stepsPerEpoch: stepsPerEpoch, seed: seed)
}

private func allParametersFinite(_ model: any Classifier) -> Bool {
    model.stateDict().allSatisfy { $0.1.scalars.allSatisfy(\.isFinite) }
}

@Suite struct TrainerTests {
    @Test(arguments: ["manual", "autograd"])
    func learnsTheFixtureAndKeepsTheBestModel(backend: String) throws {
        let split = try fixtureSplit()
        let trainer = Trainer(split: split, batchSize: 32, seed: 42, epochs: 6,
                              classNames: DatasetSpec.fashionMNIST.classNames)
        let model = makeClassifier(backend, learningRate: 0.05, epochs: 6, stepsPerEpoch: trainer.train.batchCount)
        let outcome = trainer.fit(model, history: emptyHistory(backend, split))
        let history = outcome.history

        #expect(!history.diverged)
        #expect(history.divergenceReason == nil)
        #expect(history.epochs.map(\.epoch) == Array(1...6))
        #expect(history.epochs.allSatisfy { $0.learningRate == 0.05 && $0.seconds > 0 && $0.trainLoss.isFinite })
        // Accuracies are counts over every sample: multiples of 1/384 (train) and 1/100 (validation).
        #expect(history.epochs.allSatisfy { ($0.trainAccuracy * 384 - ($0.trainAccuracy * 384).rounded()).magnitude < 1e-9 })
        #expect(history.epochs.allSatisfy { ($0.valAccuracy * 100 - ($0.valAccuracy * 100).rounded()).magnitude < 1e-9 })
        let losses = history.epochs.map(\.trainLoss)
        #expect(losses.last! < 0.7 * losses.first!, "training loss should fall: \(losses)")
        #expect(history.epochs.last!.trainAccuracy > history.epochs.first!.trainAccuracy)

        // The best epoch is the first with the highest validation accuracy…
        let bestAccuracy = history.epochs.map(\.valAccuracy).max()!
        #expect(history.bestEpoch == history.epochs.first { $0.valAccuracy == bestAccuracy }!.epoch)
        #expect(history.bestValidationAccuracy == bestAccuracy)
        // …and the model now holds it: re-evaluating gives that epoch's validation numbers.
        let validation = trainer.evaluate(model, on: trainer.validation)
        #expect(validation.accuracy == bestAccuracy)
        #expect(abs(validation.loss - history.bestRecord!.valLoss) < 1e-9)
        #expect(outcome.bestState!.parameters.map(\.0) == model.stateDict().map(\.0))

        let test = try #require(history.test)
        #expect(test.report.confusionMatrix.total == 100)
        #expect(test.report.classes.count == 10)
        #expect(test.accuracy > 0.45, "chance is 0.1; got \(test.accuracy)")
        #expect(test.accuracy == trainer.evaluate(model, on: trainer.test).accuracy)
        #expect(test.report.classes.map(\.support).reduce(0, +) == 100)
    }

    @Test func evaluationCountsEverySampleNotTheMeanOfBatchMeans() throws {
        let split = try fixtureSplit()
        let model = ManualClassifier(inputs: 784, hidden: [16], classes: 10, learningRate: 0.1, seed: 3)
        let whole = DataLoader.evaluation(split.validation, normalization: split.normalization, batchSize: 100)
        let uneven = DataLoader.evaluation(split.validation, normalization: split.normalization, batchSize: 30)
        let trainer = Trainer(train: .training(split.train, normalization: split.normalization, batchSize: 32, seed: 1),
                              validation: uneven, test: whole, epochs: 1, classNames: DatasetSpec.fashionMNIST.classNames)
        let inBatches = trainer.evaluate(model, on: uneven), atOnce = trainer.evaluate(model, on: whole)
        #expect(uneven.batchCount == 4)   // 30, 30, 30, 10
        #expect(abs(inBatches.loss - atOnce.loss) < 1e-6 * atOnce.loss)
        #expect(inBatches.confusion == atOnce.confusion)
        // The mean of per-batch means weights the last 10 samples three times too much.
        var batchMeans: [Double] = []
        for batch in uneven.batches() {
            batchMeans.append(model.evaluate(batch.features, labels: batch.labels).lossSum / Double(batch.count))
        }
        #expect(abs(batchMeans.reduce(0, +) / 4 - atOnce.loss) > 1e-4)
    }

    @Test(arguments: ["manual", "autograd"])
    func aNonFiniteLossStopsTheRunAndIsNeverTrainedOn(backend: String) throws {
        let split = try fixtureSplit()
        let trainer = Trainer(split: split, batchSize: 32, seed: 42, epochs: 5,
                              classNames: DatasetSpec.fashionMNIST.classNames)
        let model = makeClassifier(backend, learningRate: 1e4, epochs: 5, stepsPerEpoch: trainer.train.batchCount)
        let history = trainer.fit(model, history: emptyHistory(backend, split)).history

        #expect(history.diverged)
        let reason = try #require(history.divergenceReason)
        #expect(reason.contains("loss became"), "\(reason)")
        #expect(reason.contains("epoch"), "\(reason)")
        #expect(history.epochs.count < 5)
        #expect(!history.epochs.last!.trainLoss.isFinite || !history.epochs.last!.valLoss.isFinite)
        #expect(history.epochs.dropLast().allSatisfy { $0.trainLoss.isFinite && $0.valLoss.isFinite })
        // The step that produced the non-finite loss did not update the weights.
        #expect(allParametersFinite(model))
        // Best-so-far is tested if an epoch finished; otherwise nothing is.
        #expect((history.bestEpoch == nil) == (history.test == nil))
    }

    @Test func theSameWeightsAndBatchesGiveTheSameLossesOnBothBackends() throws {
        let split = try fixtureSplit()
        let trainer = Trainer(split: split, batchSize: 32, seed: 5, epochs: 3,
                              classNames: DatasetSpec.fashionMNIST.classNames)
        let manual = ManualClassifier(inputs: 784, hidden: [32, 16], classes: 10, learningRate: 0.1, seed: 11)
        // Different seed on purpose: the weights must come from the copy, not the initializer.
        let autograd = AutoGradClassifier(inputs: 784, hidden: [32, 16], classes: 10, learningRate: 0.1, epochs: 3,
                                          stepsPerEpoch: trainer.train.batchCount, seed: 12)
        #expect(!autograd.stateDict().elementsEqual(manual.stateDict()) { $0.1 == $1.1 }, "the initial weights differ")
        try autograd.load(stateDict: manual.stateDict())
        let a = trainer.fit(manual, history: emptyHistory("manual", split)).history
        let b = trainer.fit(autograd, history: emptyHistory("autograd", split)).history
        #expect(a.epochs.count == 3)
        #expect(b.epochs.count == 3)
        for (m, g) in zip(a.epochs, b.epochs) {
            #expect(abs(m.trainLoss - g.trainLoss) <= 1e-4 * abs(m.trainLoss), "epoch \(m.epoch): \(m.trainLoss) vs \(g.trainLoss)")
            #expect(abs(m.valLoss - g.valLoss) <= 1e-4 * abs(m.valLoss), "epoch \(m.epoch): \(m.valLoss) vs \(g.valLoss)")
        }
        #expect(a.epochs.last!.trainLoss < a.epochs.first!.trainLoss)
    }

    @Test func keepsTheFirstBestEpochAndTestsThatModel() throws {
        let split = try fixtureSplit()
        let trainer = Trainer(split: split, batchSize: 100, seed: 1, epochs: 4, classNames: DatasetSpec.fashionMNIST.classNames)
        let model = ScriptedClassifier(losses: Array(repeating: [2, 1.5, 1, 0.5], count: 4), accuracies: [0.3, 0.7, 0.7, 0.5])
        let outcome = trainer.fit(model, history: emptyHistory("scripted", split))
        expectEqual(outcome.history.epochs.map(\.valAccuracy), [0.3, 0.7, 0.7, 0.5])
        expectEqual(outcome.history.epochs.map(\.trainLoss), [1.25, 1.25, 1.25, 1.25])   // over samples: (2+1.5+1+0.5)/4
        expectEqual(outcome.history.epochs.map(\.trainAccuracy), [0.5, 0.5, 0.5, 0.5])
        #expect(outcome.history.bestEpoch == 2)                 // a tie keeps the earlier model
        expectEqual(outcome.bestState?.parameters.first?.1, [2])
        #expect(model.weight == 2)                              // restored before testing
        #expect(outcome.history.test?.accuracy == 0.7)
    }

    @Test func divergenceStopsAtOnceAndTestsTheBestModelSoFar() throws {
        let split = try fixtureSplit()
        let trainer = Trainer(split: split, batchSize: 100, seed: 1, epochs: 4, classNames: DatasetSpec.fashionMNIST.classNames)
        let model = ScriptedClassifier(losses: [[2, 2, 2, 2], [1, 1, 1, 1], [1, .nan, 1, 1], [1, 1, 1, 1]],
                                       accuracies: [0.4, 0.6, 0.9, 0.9])
        let history = trainer.fit(model, history: emptyHistory("scripted", split)).history
        #expect(history.diverged)
        #expect(history.divergenceReason?.contains("NaN at epoch 3, batch 2") == true, "\(history.divergenceReason ?? "")")
        try #require(history.epochs.count == 3)
        #expect(history.epochs[2].trainLoss.isNaN)
        #expect(history.epochs[2].valAccuracy.isNaN)
        #expect(model.updates == 9)                             // 4 + 4 + 1: the NaN batch and later ones never trained on
        #expect(model.evaluatedWeights.contains(3) == false)    // epoch 3 was never validated…
        #expect(history.bestEpoch == 2)
        #expect(model.weight == 2)
        #expect(history.test?.accuracy == 0.6)   // …epoch 2's model is tested
    }
}

/// A classifier that follows a script: per-epoch batch losses, and a validation accuracy for
/// the model of each epoch. Its one "weight" is the number of the epoch it last trained in.
final class ScriptedClassifier: Classifier {
    let losses: [[Double]]
    let accuracies: [Double]
    private(set) var weight: Float = 0
    private(set) var updates = 0
    private(set) var evaluatedWeights: [Int] = []
    private var batch = 0

    init(losses: [[Double]], accuracies: [Double]) {
        self.losses = losses
        self.accuracies = accuracies
    }

    var backend: String { "scripted" }
    var learningRate = 0.5
    func beginEpoch(_ epoch: Int) {
        weight = Float(epoch)
        batch = 0
    }

    func trainStep(_ inputs: NDArray<Float>, labels: [Int]) -> (loss: Double, correct: Int) {
        let loss = losses[Int(weight) - 1][batch]
        batch += 1
        if loss.isFinite { updates += 1 }
        return (loss, labels.count / 2)
    }

    func evaluate(_ inputs: NDArray<Float>, labels: [Int]) -> (lossSum: Double, predictions: [Int]) {
        evaluatedWeights.append(Int(weight))
        let right = Int((accuracies[Int(weight) - 1] * Double(labels.count)).rounded())
        let predictions = labels.enumerated().map { $0.offset < right ? $0.element : ($0.element + 1) % 10 }
        return (Double(labels.count - right), predictions)
    }

    func state() -> ClassifierState { ClassifierState(parameters: [("weight", NDArray([weight]))], integers: []) }
    func load(state: ClassifierState) throws { weight = state.parameters[0].1.scalars[0] }
}
