import ArrayKit

/// The one protocol the ``Trainer`` drives both backends through: a classifier of
/// flattened images that trains on a batch, evaluates a batch, and hands over its state
/// under the names of the equivalent `torch.nn.Sequential`.
///
/// ```swift
/// let model = ManualClassifier(inputs: 784, hidden: [128], classes: 10, learningRate: 0.1, seed: 42)
/// let step = model.trainStep(batch, labels: labels)   // (loss: 2.31, correct: 17)
/// ```
public protocol Classifier: AnyObject {
    /// `"manual"` or `"autograd"`, for reports.
    var backend: String { get }
    /// The shape of the model, recorded in the model file; `nil` for a model of your own.
    var architecture: ModelArchitecture? { get }
    /// The learning rate the next training step uses; a schedule may move it at the start
    /// of an epoch or a step, and a range test sets it batch by batch.
    var learningRate: Double { get set }

    /// Called before the first step of every epoch (1-based), where epoch-wise schedules move.
    func beginEpoch(_ epoch: Int)
    /// Called after every epoch that did not diverge, with its record, where a schedule
    /// that follows results (ReduceLROnPlateau) moves. Nothing by default.
    func finishEpoch(_ record: EpochRecord)

    /// Forward, loss, backward and update on one batch; returns the batch's mean loss
    /// (computed before the update) and how many samples it classified correctly. When the
    /// loss is not finite the model is left unchanged: a diverged run never trains on NaN.
    func trainStep(_ inputs: NDArray<Float>, labels: [Int]) -> (loss: Double, correct: Int)

    /// The summed loss and the predicted class of every sample, without training.
    func evaluate(_ inputs: NDArray<Float>, labels: [Int]) -> (lossSum: Double, predictions: [Int])

    /// Every parameter and buffer, integer buffers (BatchNorm's `num_batches_tracked`)
    /// included, named as in PyTorch (`0.weight`, `0.bias`, …).
    func state() -> ClassifierState
    /// Replaces the state; throws, changing nothing, on missing, unexpected or wrong-shape
    /// keys. An integer buffer left out keeps its value, as PyTorch's BatchNorm does.
    func load(state: ClassifierState) throws

    /// What training needs besides the weights to continue exactly where it stopped
    /// (optimizer buffers and step counts, batches seen by a per-batch schedule); saved in
    /// every checkpoint. Empty for plain SGD at a constant rate.
    func trainingState() -> TrainingState
    /// Restores a state made by ``trainingState()``; throws, changing nothing, if it does
    /// not fit this model's optimizer.
    func load(trainingState: TrainingState) throws
}

extension Classifier {
    public func finishEpoch(_ record: EpochRecord) {}
    /// None: a model of your own has a shape only it knows.
    public var architecture: ModelArchitecture? { nil }

    /// The floating-point entries of ``state()``.
    public func stateDict() -> [(String, NDArray<Float>)] { state().parameters }
    /// Loads floating-point entries alone, as ``load(state:)`` with no integer buffers.
    public func load(stateDict: [(String, NDArray<Float>)]) throws {
        try load(state: ClassifierState(parameters: stateDict, integers: []))
    }

    /// No optimizer state (plain SGD at a constant rate keeps none).
    public func trainingState() -> TrainingState { TrainingState() }
    public func load(trainingState: TrainingState) throws {
        guard trainingState.tensors.isEmpty && trainingState.counters.isEmpty else {
            throw CheckpointError(description: "the checkpoint holds optimizer state (\(trainingState.names.joined(separator: ", "))) "
                + "but the \(backend) backend keeps none — resume with the executable that wrote the checkpoint")
        }
    }
}

/// A classifier whose training loss can be differentiated twice, so that its sharpness
/// (the largest eigenvalue of the loss Hessian) can be measured: ``AutoGradClassifier``.
///
/// ```swift
/// let estimate = model.sharpness(on: SharpnessProbe.firstSamples(1_000, of: split))
/// ```
public protocol SharpnessMeasurable: Classifier {
    /// λ_max of the mean training loss over `probe`'s samples, in evaluation mode, the
    /// model's state left as it was.
    func sharpness(on probe: SharpnessProbe) -> SharpnessEstimate
}

/// A classifier's training state beyond its weights: named tensors (optimizer buffers) and
/// named counters (steps, batches seen).
///
/// ```swift
/// let state = model.trainingState()      // tensors ["state.0.momentum_buffer", …], counters ["batches_seen": 40]
/// try resumed.load(trainingState: state)
/// ```
public struct TrainingState: Sendable {
    /// Optimizer buffers by name, such as `"state.0.momentum_buffer"`.
    public var tensors: [(name: String, array: NDArray<Float>)]
    /// Counters by name, such as `"batches_seen"`.
    public var counters: [String: Int]

    /// A state from its parts; empty by default, as for plain SGD without momentum.
    public init(tensors: [(name: String, array: NDArray<Float>)] = [], counters: [String: Int] = [:]) {
        self.tensors = tensors
        self.counters = counters
    }

    /// Every tensor and counter name, for messages.
    public var names: [String] { tensors.map(\.name) + counters.keys.sorted() }
}

/// Counts correct predictions: the index of the largest logit against the label.
func correctCount(logits: NDArray<Float>, labels: [Int]) -> Int {
    zip(logits.argmax(axis: 1), labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
}
