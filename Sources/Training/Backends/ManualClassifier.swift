import ArrayKit

/// The hand-written backend (ArrayKit's `MLP` with `SoftmaxCrossEntropy`)
/// trained by plain mini-batch SGD at a constant learning rate, as the assignment's
/// NumPy MLP.
///
/// ```swift
/// let model = ManualClassifier(inputs: 784, hidden: [128], classes: 10, learningRate: 0.1, seed: 42)
/// ```
public final class ManualClassifier: Classifier {
    /// The hand-written network being trained.
    public let model: MLP<Float>
    let loss = SoftmaxCrossEntropy<Float>()
    /// Settable so a range test can raise it batch by batch.
    public var learningRate: Double

    public var backend: String { "manual" }
    public let architecture: ModelArchitecture?

    /// An MLP of the given widths with weights drawn from `seed`, trained by plain SGD at `learningRate`.
    public init(inputs: Int, hidden: [Int], classes: Int, activation: Activation = .relu,
                learningRate: Double, seed: UInt64) {
        model = MLP<Float>(inputs: inputs, hidden: hidden, classes: classes,
                                    activation: activation, seed: seed)
        self.learningRate = learningRate
        architecture = ModelArchitecture(inputs: inputs, hidden: hidden, classes: classes, activation: activation)
    }

    public func beginEpoch(_ epoch: Int) {}

    public func trainStep(_ inputs: NDArray<Float>, labels: [Int]) -> (loss: Double, correct: Int) {
        let logits = model.forward(inputs)
        let value = loss.forward(logits, labels: labels)
        let correct = correctCount(logits: logits, labels: labels)
        guard value.isFinite else {
            model.clearCache()
            loss.clearCache()
            return (Double(value), correct)
        }
        // Parameters only: the input's gradient would be a wasted (S, 784) gemm.
        model.backwardToParameters(loss.backward())
        model.sgdStep(learningRate: Float(learningRate))
        model.clearCache()
        loss.clearCache()
        return (Double(value), correct)
    }

    public func evaluate(_ inputs: NDArray<Float>, labels: [Int]) -> (lossSum: Double, predictions: [Int]) {
        let logits = model.forward(inputs)
        let value = loss.forward(logits, labels: labels)
        model.clearCache()
        loss.clearCache()
        return (Double(value) * Double(labels.count), logits.argmax(axis: 1))
    }

    public func state() -> ClassifierState { ClassifierState(parameters: model.namedParameters(), integers: []) }

    public func load(state: ClassifierState) throws {
        // The hand-written MLP has no integer buffers: any given is unexpected.
        try StateDict.check(loaded: Dictionary(state.integers.map { ($0.name, $0.shape) }, uniquingKeysWith: { _, last in last }),
                            expected: [], strict: true)
        try model.load(namedParameters: state.parameters)
    }
}
