import ArrayKit
import AutoGrad

/// The optimizers `train-autograd` offers.
public enum OptimizerChoice: String, CaseIterable, Sendable {
    /// Stochastic gradient descent, optionally with momentum, as `torch.optim.SGD`.
    case sgd
    /// Adam with the L2 penalty in the gradient, as `torch.optim.Adam`.
    case adam
    /// Adam with decoupled weight decay, as `torch.optim.AdamW`.
    case adamw

    /// `"SGD"`, `"Adam"` or `"AdamW"`, for headers.
    public var displayName: String {
        switch self {
        case .sgd: "SGD"
        case .adam: "Adam"
        case .adamw: "AdamW"
        }
    }
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
    /// ExponentialLR stepped per epoch: the rate times `gamma` every epoch.
    case exponential
    /// LinearLR stepped per epoch with PyTorch's defaults: a warm-up from a third of the
    /// rate to the full rate over the first 5 epochs.
    case linear
    /// ReduceLROnPlateau on the validation loss: the rate times 0.1 after more than
    /// `patience` epochs without a better one.
    case plateau

    /// The schedule for `epochs` epochs of `stepsPerEpoch` batches, and whether it moves
    /// per batch (true) or per epoch (false); `nil` for ``plateau``, which follows results
    /// rather than a formula.
    public func make(learningRate: Double, epochs: Int, stepsPerEpoch: Int, gamma: Double = 0.9)
        -> (schedule: any LearningRateSchedule, perBatch: Bool)?
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
        case .exponential:
            return (ExponentialLR(baseLearningRate: learningRate, gamma: gamma), false)
        case .linear:
            return (LinearLR(baseLearningRate: learningRate), false)
        case .plateau:
            return nil
        }
    }
}

/// The autograd backend: any AutoGrad `nn.Module` that maps a batch of flattened
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
public final class AutoGradClassifier: SharpnessMeasurable {
    /// The network being trained.
    public let module: nn.Module<Float>
    /// The batch's mean loss, from the logits and the labels.
    let loss: (_ logits: Tensor<Float>, _ labels: [Int]) -> Tensor<Float>
    let optimizer: any Optimizer<Float>
    let schedule: any LearningRateSchedule
    let schedulePerBatch: Bool
    /// The results-driven schedule, which moves the rate after each epoch instead of `schedule`.
    var plateau: ReduceLROnPlateau?
    var batchesSeen = 0

    public var backend: String { "autograd" }
    /// The built-in MLP's shape; `nil` for a module of your own.
    public private(set) var architecture: ModelArchitecture?
    /// The optimizer's rate; a range test sets it batch by batch (with the constant
    /// schedule, which sets it only in `beginEpoch`).
    public var learningRate: Double {
        get { optimizer.learningRate }
        set { optimizer.learningRate = newValue }
    }

    /// Trains `module`'s parameters against `loss` (a batch's mean loss from the logits and
    /// the labels) with the chosen optimizer and schedule (`gamma` for ``ScheduleChoice/exponential``,
    /// `patience` for ``ScheduleChoice/plateau``).
    public init(_ module: nn.Module<Float>,
                loss: @escaping (_ logits: Tensor<Float>, _ labels: [Int]) -> Tensor<Float> = { crossEntropy(logits: $0, labels: $1) },
                optimizer choice: OptimizerChoice = .sgd, learningRate: Double, momentum: Double = 0,
                weightDecay: Double = 0, schedule: ScheduleChoice = .constant, gamma: Double = 0.9, patience: Int = 2,
                epochs: Int, stepsPerEpoch: Int) {
        self.module = module
        self.loss = loss
        switch choice {
        case .sgd:
            optimizer = SGD(module.parameters(), learningRate: learningRate, momentum: momentum,
                            weightDecay: weightDecay)
        case .adam:
            optimizer = Adam(module.parameters(), learningRate: learningRate, weightDecay: weightDecay)
        case .adamw:
            optimizer = AdamW(module.parameters(), learningRate: learningRate, weightDecay: weightDecay)
        }
        (self.schedule, schedulePerBatch) = schedule.make(learningRate: learningRate, epochs: epochs,
                                                         stepsPerEpoch: stepsPerEpoch, gamma: gamma)
            ?? (ScheduleChoice.constant.make(learningRate: learningRate, epochs: epochs, stepsPerEpoch: stepsPerEpoch)!)
        if schedule == .plateau { plateau = ReduceLROnPlateau(learningRate: learningRate, patience: patience) }
    }

    /// AutoGrad's MLP with Kaiming-normal weights drawn from `seed` (and `dropout` after each
    /// hidden activation), trained with cross-entropy.
    public convenience init(inputs: Int, hidden: [Int], classes: Int, activation: Activation = .relu,
                            batchNorm: Bool = false, dropout: Double = 0, optimizer: OptimizerChoice = .sgd,
                            learningRate: Double, momentum: Double = 0, weightDecay: Double = 0,
                            schedule: ScheduleChoice = .constant, gamma: Double = 0.9, patience: Int = 2,
                            epochs: Int, stepsPerEpoch: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let mlp = nn.MLP<Float>(inputs: inputs, hidden: hidden, classes: classes, batchNorm: batchNorm,
                                      activation: activation, dropout: dropout, using: &generator)
        self.init(mlp, optimizer: optimizer, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay,
                  schedule: schedule, gamma: gamma, patience: patience, epochs: epochs, stepsPerEpoch: stepsPerEpoch)
        architecture = ModelArchitecture(inputs: inputs, hidden: hidden, classes: classes, activation: activation,
                                         batchNorm: batchNorm, dropout: dropout)
    }

    public func beginEpoch(_ epoch: Int) {
        module.train()
        if let plateau {
            optimizer.learningRate = plateau.learningRate
        } else if !schedulePerBatch {
            optimizer.learningRate = schedule.learningRate(at: epoch - 1)
        }
    }

    /// Steps ``ScheduleChoice/plateau`` with the epoch's validation loss.
    public func finishEpoch(_ record: EpochRecord) {
        plateau?.step(metric: record.valLoss)
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

    /// The logits of a batch of features `[N, inputs]`, in evaluation mode (batch norm's
    /// running statistics, no dropout) and without recording a tape.
    ///
    /// ```swift
    /// let predicted = model.logits(features).argmax(axis: 1)   // a class per row
    /// ```
    public func logits(_ inputs: NDArray<Float>) -> NDArray<Float> {
        module.eval()
        defer { module.train() }
        return withNoGrad { module(Tensor(inputs)).data }
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

    /// λ_max of the loss (the classifier's own) over `probe`'s samples, the module in
    /// evaluation mode, by power iteration on Hessian-vector products.
    public func sharpness(on probe: SharpnessProbe) -> SharpnessEstimate {
        probe.estimate(module, loss: loss)
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

    /// The optimizer's buffers (`state.<i>.momentum_buffer`, `state.<i>.exp_avg`, …), the
    /// batches seen (the position of a per-batch schedule), every dropout's mask generator
    /// and a plateau schedule's state. The learning rate is left out: the schedule sets it
    /// before every epoch or step, in `Double`, while the optimizer's state dict would round
    /// it to `Float`.
    public func trainingState() -> TrainingState {
        let tensors = optimizer.stateDict().filter { $0.key != "param_groups.0.lr" }.sorted { $0.key < $1.key }
        var counters = ["batches_seen": batchesSeen]
        for (name, dropout) in dropouts { counters[name] = Int(bitPattern: UInt(dropout.generator.state)) }
        if let plateau { counters.merge(plateau.counters) { _, new in new } }
        return TrainingState(tensors: tensors.map { (name: $0.key, array: $0.value) }, counters: counters)
    }

    public func load(trainingState: TrainingState) throws {
        var counters = trainingState.counters
        guard let seen = counters.removeValue(forKey: "batches_seen"), seen >= 0 else {
            throw CheckpointError(description: "the checkpoint's training state has counters \(trainingState.counters.keys.sorted()), "
                + "expected batches_seen — it was not written by train-autograd")
        }
        let generators = dropouts.map { counters.removeValue(forKey: $0.name) }
        guard !generators.contains(nil) else {
            throw CheckpointError(description: "the checkpoint has no mask generator for this model's dropout "
                + "(\(dropouts.map(\.name).joined(separator: ", "))) — resume with the run's own options (--resume alone)")
        }
        var restored = plateau
        if plateau != nil || !counters.isEmpty {
            guard let plateau, let state = ReduceLROnPlateau(plateau, counters: counters) else {
                throw CheckpointError(description: "the checkpoint's state \(counters.keys.sorted()) does not fit "
                    + "this run's --schedule and --dropout — resume with the run's own options (--resume alone)")
            }
            restored = state
        }
        try optimizer.load(stateDict: Dictionary(trainingState.tensors.map { ($0.name, $0.array) }, uniquingKeysWith: { _, last in last }))
        batchesSeen = seen
        plateau = restored
        for ((_, dropout), state) in zip(dropouts, generators) {
            dropout.generator = SplitMix64(seed: UInt64(UInt(bitPattern: state!)))
        }
    }

    /// Every `nn.Dropout` in the module tree, with the counter name of its mask generator
    /// (`dropout.2.generator`).
    var dropouts: [(name: String, dropout: nn.Dropout<Float>)] {
        func collect(_ module: nn.Module<Float>, _ path: String) -> [(name: String, dropout: nn.Dropout<Float>)] {
            var found = (module as? nn.Dropout<Float>).map { [("dropout.\(path)generator", $0)] } ?? []
            for (name, child) in module.namedChildren() { found += collect(child, path + name + ".") }
            return found
        }
        return collect(module, "")
    }
}

extension ReduceLROnPlateau {
    /// The state that moves, as checkpoint counters; the `Double`s as their bit patterns, so
    /// they come back exactly.
    var counters: [String: Int] {
        var counters = ["plateau.learning_rate_bits": Int(bitPattern: UInt(learningRate.bitPattern)),
                        "plateau.bad_epochs": badEpochs, "plateau.cooldown_remaining": cooldownRemaining,
                        "plateau.epochs": epochs]
        if let bestMetric { counters["plateau.best_metric_bits"] = Int(bitPattern: UInt(bestMetric.bitPattern)) }
        return counters
    }

    /// `settings` with the state in `counters`; `nil` if they are not a plateau's.
    init?(_ settings: ReduceLROnPlateau, counters: [String: Int]) {
        let counts = ["plateau.bad_epochs", "plateau.cooldown_remaining", "plateau.epochs"]
        guard let rateBits = counters["plateau.learning_rate_bits"], counts.allSatisfy({ (counters[$0] ?? -1) >= 0 }),
              Set(counters.keys).isSubset(of: counts + ["plateau.learning_rate_bits", "plateau.best_metric_bits"]) else { return nil }
        var state = settings
        state.restore(learningRate: Double(bitPattern: UInt64(UInt(bitPattern: rateBits))),
                      bestMetric: counters["plateau.best_metric_bits"].map { Double(bitPattern: UInt64(UInt(bitPattern: $0))) },
                      badEpochs: counters["plateau.bad_epochs"]!, cooldownRemaining: counters["plateau.cooldown_remaining"]!,
                      epochs: counters["plateau.epochs"]!)
        self = state
    }
}
