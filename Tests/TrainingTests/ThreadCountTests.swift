import ArrayKit
import Foundation
import Testing
@testable import Training

@Suite struct ThreadCountTests {
    /// Both backends, trained on the fixture with products and loops on 1, 2, 3 and 8
    /// threads, end with the same weights bit for bit. In a child process, so that no other
    /// test holds the worker threads or changes the count meanwhile.
    @Test func trainingEndsWithTheSameWeightsOnAnyThreadCount() async {
        await #expect(processExitsWith: .success) {
            let split = try DataSplit(try Fixture.dataset(), validationCount: 100, shuffle: false, seed: 42)
            func train(threads: Int) -> [[Float]] {
                BLAS.threads = threads
                let loader = DataLoader.training(split.train, normalization: split.normalization,
                                                 batchSize: 128, seed: 42)
                // Wide enough that every product of the step is split (≥ 2 million multiply-adds).
                let models: [any Classifier] = [
                    ManualClassifier(inputs: 784, hidden: [256, 128], classes: 10, learningRate: 0.1, seed: 42),
                    AutoGradClassifier(inputs: 784, hidden: [256, 128], classes: 10, learningRate: 0.1,
                                       epochs: 2, stepsPerEpoch: loader.batchCount, seed: 42),
                ]
                for epoch in 0..<2 {
                    for batch in loader.batches(epoch: epoch) {
                        for model in models { _ = model.trainStep(batch.features, labels: batch.labels) }
                    }
                }
                return models.flatMap { $0.stateDict().map(\.1.scalars) }
            }
            precondition(BLAS.productBlocks(m: 128, n: 256, k: 784) > 1, "the first layer's product is not split")
            let one = train(threads: 1)
            for threads in [2, 3, 8] {
                precondition(train(threads: threads) == one, "weights differ between 1 and \(threads) threads")
            }
        }
    }
}
