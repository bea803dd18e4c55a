import ArrayKit
import AutoGrad

/// The optimizers `train-autograd` offers.
public enum OptimizerChoice: String, CaseIterable, Sendable {
    case sgd, adam
}

/// The learning-rate schedules `train-autograd` offers, with PyTorch's semantics.
public enum ScheduleChoice: String, CaseIterable, Sendable {
    /// The same rate throughout (the assignment's setting).
    case constant
    /// StepLR stepped per epoch: the rate halves every fifth of the run.
    case step
    /// CosineAnnealingLR stepped per epoch, from the rate down to 0 over the run.
    case cosine
    /// OneCycleLR stepped per batch with PyTorch's defaults, peaking at the rate.
    case onecycle

    /// The schedule for `epochs` epochs of `stepsPerEpoch` batches, and whether it moves
    /// per batch (true) or per epoch (false).
    public func make(learningRate: Double, epochs: Int, stepsPerEpoch: Int)
        -> (schedule: any LearningRateSchedule, perBatch: Bool)
    {
        switch self {
        case .constant:
            return (StepLR(baseLearningRate: learningRate, stepSize: Int.max, gamma: 1), false)
        case .step:
            return (StepLR(baseLearningRate: learningRate, stepSize: Swift.max(1, epochs / 5), gamma: 0.5), false)
        case .cosine:
            return (CosineAnnealingLR(baseLearningRate: learningRate, maxSteps: Swift.max(1, epochs)), false)
        case .onecycle:
            return (OneCycleLR(maxLearningRate: learningRate, epochs: epochs, stepsPerEpoch: stepsPerEpoch), true)
        }
    }
}

/// The autograd backend: any AutoGrad ``AutoGrad/Module`` that maps a batch of flattened
/// images to logits, trained with a loss, `backward()` and an optimizer as in PyTorch. The
/// built-in MLP is the assignment's PyTorch model; a model of your own trains, checkpoints
/// and reports the same way.
///
/// ```swift
/// let mlp = AutoGradClassifier(inputs: 784, hidden: [128], classes: 10, learningRate: 0.1,
///                              epochs: 10, stepsPerEpoch: 429, seed: 42)
/// let custom = AutoGradClassifier(MyModel(), loss: crossEntropy, optimizer: .adam, learningRate: 0.001,
///                                 epochs: 10, stepsPerEpoch: 429)
/// ```
public final class AutoGradClassifier: Classifier {
    public let module: Module<Float>
    /// The batch's mean loss, from the logits and the labels.
    let loss: (_ logits: Tensor<Float>, _ labels: [Int]) -> Tensor<Float>
    let optimizer: any Optimizer<Float>
    let schedule: any LearningRateSchedule
    let schedulePerBatch: Bool
    var batchesSeen = 0

    public var backend: String { "autograd" }
    /// The optimizer's rate; a range test sets it batch by batch (with the constant
    /// schedule, which sets it only in `beginEpoch`).
    public var learningRate: Double {
        get { optimizer.learningRate }
        set { optimizer.learningRate = newValue }
    }

    /// Trains `module`'s parameters against `loss` (a batch's mean loss from the logits and
    /// the labels) with the chosen optimizer and schedule.
    public init(_ module: Module<Float>,
                loss: @escaping (_ logits: Tensor<Float>, _ labels: [Int]) -> Tensor<Float> = { crossEntropy(logits: $0, labels: $1) },
                optimizer choice: OptimizerChoice = .sgd, learningRate: Double, momentum: Double = 0,
                weightDecay: Double = 0, schedule: ScheduleChoice = .constant, epochs: Int, stepsPerEpoch: Int) {
        self.module = module
        self.loss = loss
        switch choice {
        case .sgd:
            optimizer = SGD(module.parameters(), learningRate: learningRate, momentum: momentum,
                            weightDecay: weightDecay)
        case .adam:
            optimizer = Adam(module.parameters(), learningRate: learningRate, weightDecay: weightDecay)
        }
        (self.schedule, schedulePerBatch) = schedule.make(learningRate: learningRate, epochs: epochs,
                                                         stepsPerEpoch: stepsPerEpoch)
    }

    /// AutoGrad's MLP with Kaiming-normal weights drawn from `seed`, trained with cross-entropy.
    public convenience init(inputs: Int, hidden: [Int], classes: Int, activation: Activation = .relu,
                            batchNorm: Bool = false, optimizer: OptimizerChoice = .sgd,
                            learningRate: Double, momentum: Double = 0, weightDecay: Double = 0,
                            schedule: ScheduleChoice = .constant, epochs: Int, stepsPerEpoch: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let mlp = AutoGrad.MLP<Float>(inputs: inputs, hidden: hidden, classes: classes, batchNorm: batchNorm,
                                      activation: activation, using: &generator)
        self.init(mlp, optimizer: optimizer, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay,
                  schedule: schedule, epochs: epochs, stepsPerEpoch: stepsPerEpoch)
    }

    public func beginEpoch(_ epoch: Int) {
        module.train()
        if !schedulePerBatch { optimizer.learningRate = schedule.learningRate(at: epoch - 1) }
    }

    public func trainStep(_ inputs: NDArray<Float>, labels: [Int]) -> (loss: Double, correct: Int) {
        if schedulePerBatch { optimizer.learningRate = schedule.learningRate(at: batchesSeen) }
        let logits = module(Tensor(inputs))
        let loss = loss(logits, labels)
        let value = Double(loss.data.scalar)
        let correct = correctCount(logits: logits.data, labels: labels)
        guard value.isFinite else { return (value, correct) }
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        batchesSeen += 1
        return (value, correct)
    }

    public func evaluate(_ inputs: NDArray<Float>, labels: [Int]) -> (lossSum: Double, predictions: [Int]) {
        module.eval()
        defer { module.train() }
        return withNoGrad {
            let logits = module(Tensor(inputs))
            let loss = loss(logits, labels)
            return (Double(loss.data.scalar) * Double(labels.count), logits.data.argmax(axis: 1))
        }
    }

    /// The module's state dict, with every BatchNorm's `N.num_batches_tracked` as PyTorch
    /// saves it (int64, shape `()`).
    public func state() -> ClassifierState {
        ClassifierState(parameters: module.stateDict().map { ($0.name, $0.tensor.data) },
                        integers: module.namedIntegerBuffers().map { ($0.name, [$0.value], []) })
    }

    public func load(state: ClassifierState) throws {
        try module.load(stateDict: state.parameters,
                        counters: Dictionary(state.integers.map { ($0.name, ($0.values, $0.shape)) }, uniquingKeysWith: { _, last in last }),
                        strict: true)
    }

    /// The optimizer's buffers (`state.<i>.momentum_buffer`, `state.<i>.exp_avg`, …) and the
    /// batches seen (the position of a per-batch schedule). The learning rate is left out:
    /// the schedule sets it before every epoch or step, in `Double`, while the optimizer's
    /// state dict would round it to `Float`.
    public func trainingState() -> TrainingState {
        let tensors = optimizer.stateDict().filter { $0.key != "param_groups.0.lr" }.sorted { $0.key < $1.key }
        return TrainingState(tensors: tensors.map { (name: $0.key, array: $0.value) }, counters: ["batches_seen": batchesSeen])
    }

    public func load(trainingState: TrainingState) throws {
        guard let seen = trainingState.counters["batches_seen"], seen >= 0, trainingState.counters.count == 1 else {
            throw CheckpointError(description: "the checkpoint's training state has counters \(trainingState.counters.keys.sorted()), "
                + "expected only batches_seen — it was not written by train-autograd")
        }
        try optimizer.load(stateDict: Dictionary(trainingState.tensors.map { ($0.name, $0.array) }, uniquingKeysWith: { _, last in last }))
        batchesSeen = seen
    }
}
