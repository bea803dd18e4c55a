import ArrayAssertions
import ArrayKit
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// A classifier's state is one state dict: BatchNorm's integer `num_batches_tracked` travels
/// with the weights through model files, `--init-from` and checkpoints.
@Suite struct ClassifierStateTests {
    static func batchNormModel(seed: UInt64) -> AutoGradClassifier {
        AutoGradClassifier(inputs: 784, hidden: [16], classes: 10, batchNorm: true, learningRate: 0.05,
                           epochs: 1, stepsPerEpoch: 6, seed: seed)
    }

    @Test func batchCountsTravelThroughAModelFile() throws {
        let trainer = try ReliabilityTests.ResumeTests.trainer(epochs: 1)
        let trained = Self.batchNormModel(seed: 1)
        _ = trainer.fit(trained, history: ReliabilityTests.ResumeTests.history("autograd"))
        let state = trained.state()
        #expect(state.integers.map(\.name) == ["1.num_batches_tracked"])
        #expect(state.integers[0].values == [12])

        let scratch = try TemporaryDirectory()
        let file = scratch.url.appendingPathComponent("model.safetensors")
        try state.write(to: file)
        let read = try ClassifierState(contentsOf: file)
        #expect(read.integers.map(\.name) == ["1.num_batches_tracked"])
        #expect(read.integers[0].values == [12])
        let fresh = Self.batchNormModel(seed: 2)
        try fresh.load(state: read)
        #expect(fresh.state().integers[0].values == [12])
        expectEqual(fresh.stateDict(), trained.stateDict())
    }

    /// `--init-from` a batch-norm model restores its count; the manual MLP, which has no
    /// integer buffers, refuses it by name, changing nothing.
    @Test func initFromLoadsIntegerBuffersOrRefusesThemByName() throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.url.appendingPathComponent("model.safetensors")
        let source = Self.batchNormModel(seed: 1)
        _ = try ReliabilityTests.ResumeTests.trainer(epochs: 1).fit(source, history: ReliabilityTests.ResumeTests.history("autograd"))
        try source.state().write(to: file)
        let arguments = ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16",
                         "--init-from", file.path]

        let experiment = try Experiment(try TrainAutoGrad.parse(arguments + ["--batch-norm"]).options, say: { _ in })
        let target = Self.batchNormModel(seed: 2)
        try experiment.loadInitialWeights(into: target)
        #expect(target.state().integers[0].values == [12])

        let manual = ManualClassifier(inputs: 784, hidden: [16], classes: 10, learningRate: 0.1, seed: 3)
        let before = manual.stateDict()
        let error = #expect(throws: ExperimentError.self) { try experiment.loadInitialWeights(into: manual) }
        #expect(error?.description.contains("1.num_batches_tracked") == true, "\(error?.description ?? "")")
        expectEqual(manual.stateDict(), before)
    }
}
