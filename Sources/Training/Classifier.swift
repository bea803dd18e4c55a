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
    /// The learning rate the next training step uses.
    var learningRate: Double { get }

    /// Called before the first step of every epoch (1-based), where epoch-wise schedules move.
    func beginEpoch(_ epoch: Int)
    /// Called after every epoch with its validation loss (for ReduceLROnPlateau).
    func endEpoch(_ epoch: Int, validationLoss: Double)

    /// Forward, loss, backward and update on one batch; returns the batch's mean loss
    /// (computed before the update) and how many samples it classified correctly. When the
    /// loss is not finite the model is left unchanged: a diverged run never trains on NaN.
    func trainStep(_ inputs: NDArray<Float>, labels: [Int]) -> (loss: Double, correct: Int)

    /// The summed loss and the predicted class of every sample, without training.
    func evaluate(_ inputs: NDArray<Float>, labels: [Int]) -> (lossSum: Double, predictions: [Int])

    /// Every parameter and buffer, named as in PyTorch (`0.weight`, `0.bias`, …).
    func stateDict() -> [(String, NDArray<Float>)]
    /// Replaces the state; throws, changing nothing, on missing, unexpected or wrong-shape keys.
    func load(stateDict: [(String, NDArray<Float>)]) throws

    /// Integer buffers (BatchNorm's `num_batches_tracked`), for a file PyTorch loads strictly.
    func integerState() -> [(name: String, values: [Int64], shape: [Int])]
    /// Restores integer buffers by name; unknown names are ignored.
    func load(integerState: [(name: String, values: [Int64], shape: [Int])])
}

extension Classifier {
    /// No integer buffers (the manual backend has none).
    public func integerState() -> [(name: String, values: [Int64], shape: [Int])] { [] }
    public func load(integerState: [(name: String, values: [Int64], shape: [Int])]) {}
}

/// Counts correct predictions: the index of the largest logit against the label.
func correctCount(logits: NDArray<Float>, labels: [Int]) -> Int {
    zip(logits.argmax(axis: 1), labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
}
