import ArrayAssertions
import ArrayKit
import AutoGrad
import Foundation
import Testing
@testable import Training

/// A model the library does not know: a tanh hidden layer gated by a sigmoid of the input,
/// weights stored `[in, out]`, and a learned logit scale — its own tensors, no AutoGrad layer.
final class GatedNet: nn.Module<Float> {
    let hiddenWeight, hiddenBias, gateWeight, outputWeight, scale: Tensor<Float>

    init(inputs: Int, hidden: Int, classes: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        func weight(_ rows: Int, _ columns: Int) -> Tensor<Float> {
            Tensor(.randomNormal([rows, columns], std: (1 / Float(rows)).squareRoot(), using: &generator), requiresGrad: true)
        }
        hiddenWeight = weight(inputs, hidden)
        hiddenBias = Tensor(.zeros([hidden]), requiresGrad: true)
        gateWeight = weight(inputs, hidden)
        outputWeight = weight(hidden, classes)
        scale = Tensor(.ones([1]), requiresGrad: true)
        super.init()
        register(parameter: hiddenWeight, named: "hidden_weight")
        register(parameter: hiddenBias, named: "hidden_bias")
        register(parameter: gateWeight, named: "gate_weight")
        register(parameter: outputWeight, named: "output_weight")
        register(parameter: scale, named: "scale")
    }

    override func forward(_ x: Tensor<Float>) -> Tensor<Float> {
        let hidden = (x.matmul(hiddenWeight) + hiddenBias).tanh() * x.matmul(gateWeight).sigmoid()
        return hidden.matmul(outputWeight) * scale
    }
}

/// A user-defined `nn.Module` trains, checkpoints and resumes through the same ``Trainer`` as
/// the built-in MLP.
@Suite struct CustomModuleTests {
    static func model(seed: UInt64, epochs: Int) -> AutoGradClassifier {
        AutoGradClassifier(GatedNet(inputs: 784, hidden: 24, classes: 10, seed: seed),
                           loss: { crossEntropy(logits: $0, labels: $1) }, optimizer: .adam, learningRate: 0.003,
                           epochs: epochs, stepsPerEpoch: 12)
    }

    @Test func aUserDefinedModuleLearnsTheFixture() throws {
        let trainer = try ReliabilityTests.ResumeTests.trainer(epochs: 6)
        let model = Self.model(seed: 5, epochs: 6)
        let outcome = trainer.fit(model, history: ReliabilityTests.ResumeTests.history("autograd"))
        let history = outcome.history
        let losses = history.epochs.map(\.trainLoss)
        #expect(!history.diverged)
        #expect(losses.count == 6)
        #expect(losses.last! < 0.6 * losses.first!, "training loss should fall: \(losses)")
        let test = try #require(history.test)
        #expect(test.accuracy > 0.1 + 0.3, "10 classes: chance is 0.1, test accuracy \(test.accuracy)")
        #expect(outcome.bestState?.parameters.map(\.0) == ["hidden_weight", "hidden_bias", "gate_weight", "output_weight", "scale"])
    }

    /// Stopped mid-epoch, its checkpoint read back into a model from another seed, it ends as
    /// the uninterrupted run does, bit for bit.
    @Test func aUserDefinedModuleResumesExactly() throws {
        let trainer = try ReliabilityTests.ResumeTests.trainer(epochs: 3)
        let whole = Self.model(seed: 5, epochs: 3)
        let expected = trainer.fit(whole, history: ReliabilityTests.ResumeTests.history("autograd"))
        let scratch = try TemporaryDirectory()
        let (outcome, resumed, checkpoint) = try ReliabilityTests.ResumeTests.interruptedRun(
            trainer, backend: "autograd", firstSeed: 5, stopAfterPolls: 17, in: scratch.url) { Self.model(seed: $0, epochs: 3) }
        #expect(checkpoint.completedEpochs == 1)
        #expect(checkpoint.batchesIntoEpoch == 5)
        #expect(ReliabilityTests.ResumeTests.untimed(outcome.history) == ReliabilityTests.ResumeTests.untimed(expected.history))
        expectEqual(resumed.stateDict(), whole.stateDict())
    }

    /// The model file of a custom module loads back into a fresh one.
    @Test func itsStateRoundTripsThroughAModelFile() throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.url.appendingPathComponent("model.safetensors")
        let original = Self.model(seed: 5, epochs: 1)
        try original.state().write(to: file)
        let other = Self.model(seed: 9, epochs: 1)
        try other.load(state: ClassifierState(contentsOf: file))
        expectEqual(other.stateDict(), original.stateDict())
    }
}
