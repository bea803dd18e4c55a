import ArrayKit

/// What a training run produced: its history (epochs, best epoch, test metrics, divergence)
/// and the state of the model it kept, to be saved as `model.safetensors`.
///
/// ```swift
/// let outcome = trainer.fit(model, history: history)
/// outcome.history.test?.accuracy          // of the best-on-validation model
/// outcome.bestState?.parameters.count     // nil if no epoch finished
/// ```
public struct TrainingOutcome {
    /// Every finished epoch, the best epoch, the test metrics and whether the run diverged.
    public var history: RunHistory
    /// The best-on-validation state; `nil` when the run diverged before any epoch finished.
    public var bestState: ClassifierState?
    /// Whether `shouldStop` ended the run early (no test metrics then; a checkpoint was saved).
    public var interrupted = false
}

/// Trains any ``Classifier`` for a number of epochs, keeping the model that did best on
/// validation, and reports the test metrics of that model. ``fit(_:history:)`` runs a
/// ``TrainingRun`` to its end; drive one yourself to act between its steps.
///
/// Per epoch it records the mean training loss and accuracy over the samples trained on,
/// the validation loss and accuracy over every validation sample (sums over samples divided
/// by the count, never a mean of per-batch means), the learning rate and the seconds taken.
/// A loss that is not finite stops the run at once: the run is marked diverged, the batch
/// that produced it is not trained on (``Classifier/trainStep(_:labels:)`` skips the
/// update), and the best model so far is the one tested.
///
/// ```swift
/// let split = try DataSplit(dataset, validationCount: 5_000, seed: 42)
/// let trainer = Trainer(split: split, batchSize: 128, seed: 42, epochs: 10,
///                       classNames: dataset.spec.classNames, progress: ProgressReporter())
/// let outcome = trainer.fit(ManualClassifier(inputs: 784, hidden: [128], classes: 10,
///                                            learningRate: 0.1, seed: 42), history: history)
/// ```
public struct Trainer {
    /// The training batches, reshuffled every epoch unless told otherwise.
    public var train: DataLoader
    /// The held-out samples that pick the best epoch.
    public var validation: DataLoader
    /// The samples the best model is tested on.
    public var test: DataLoader
    /// Passes over the training set.
    public var epochs: Int
    /// One name per class, for the test report.
    public var classNames: [String]
    /// Where per-batch and per-epoch progress goes; `nil` for silence (tests).
    public var progress: ProgressReporter?
    /// When set, a run measures the sharpness λ_max of the training loss on the probe's
    /// samples before its first step and after every epoch (``SharpnessProbe``); the model
    /// must then be ``SharpnessMeasurable``.
    public var sharpnessProbe: SharpnessProbe?

    /// A trainer over the given loaders; `epochs` must be positive, the training loader must make at least one batch, and the other two sets must not be empty.
    public init(train: DataLoader, validation: DataLoader, test: DataLoader, epochs: Int,
                classNames: [String], progress: ProgressReporter? = nil) {
        precondition(epochs >= 1, "Trainer: epochs must be at least 1, got \(epochs)")
        precondition(train.batchCount >= 1,
                     "Trainer: \(train.images.count) training samples make no batch of \(train.batchSize)")
        precondition(validation.images.count >= 1 && test.images.count >= 1,
                     "Trainer: validation (\(validation.images.count)) and test (\(test.images.count)) sets must not be empty")
        self.train = train
        self.validation = validation
        self.test = test
        self.epochs = epochs
        self.classNames = classNames
        self.progress = progress
    }

    /// The loaders of `split`: seeded reshuffling every epoch unless `shuffle` is false,
    /// the last partial training batch dropped, evaluation in batches of 1,000.
    public init(split: DataSplit, batchSize: Int, shuffle: Bool = true, seed: UInt64, epochs: Int,
                classNames: [String], progress: ProgressReporter? = nil) {
        self.init(train: .training(split.train, normalization: split.normalization, batchSize: batchSize,
                                   shuffle: shuffle, seed: seed),
                  validation: .evaluation(split.validation, normalization: split.normalization),
                  test: .evaluation(split.test, normalization: split.normalization),
                  epochs: epochs, classNames: classNames, progress: progress)
    }

    /// Trains `model` and returns `history` with the epochs, the best epoch, the test
    /// metrics of the best model (which `model` holds afterwards) and any divergence.
    public func fit(_ model: any Classifier, history: RunHistory) -> TrainingOutcome {
        fit(model, history: history, saveCheckpoint: { _ in })
    }

    /// Trains `model` as ``fit(_:history:)`` does, with checkpoints and interrupts.
    ///
    /// With `checkpoint` (after ``TrainingCheckpoint/restore(into:for:)`` loaded it into
    /// `model`) training continues from its position instead, with its history and best
    /// model, and ends exactly as the uninterrupted run would have. `saveCheckpoint` gets a
    /// checkpoint after every finished epoch (not after a diverged one: the last good one is
    /// kept). `shouldStop` is polled after every step; when it says yes the run stops there,
    /// hands over a checkpoint of that point (mid-epoch if need be) and returns the partial
    /// history, `interrupted` set, without testing.
    ///
    /// ```swift
    /// let outcome = try trainer.fit(model, history: history, shouldStop: { interrupted.load(ordering: .relaxed) },
    ///                               saveCheckpoint: { try $0.write(to: run.file(TrainingCheckpoint.fileName)) })
    /// ```
    public func fit(_ model: any Classifier, history: RunHistory, resumingFrom checkpoint: TrainingCheckpoint? = nil,
                    shouldStop: () -> Bool = { false },
                    saveCheckpoint: (TrainingCheckpoint) throws -> Void) rethrows -> TrainingOutcome {
        let run = TrainingRun(trainer: self, model: model, history: history, resumingFrom: checkpoint)
        try TrainingRun.trainInTurns([run], shouldStop: shouldStop) { try saveCheckpoint($1) }
        return run.finish()
    }

    /// What the training loader must be for a checkpoint's position to mean the same batches.
    var loaderSettings: TrainingCheckpoint.LoaderSettings {
        .init(seed: train.seed, batchSize: train.batchSize, trainCount: train.images.count, shuffle: train.shuffle,
              epochs: epochs)
    }

    /// Mean loss, accuracy and confusion matrix of `model` over every sample of `loader`.
    ///
    /// ```swift
    /// let (loss, accuracy, confusion) = trainer.evaluate(model, on: trainer.test)
    /// ```
    public func evaluate(_ model: any Classifier, on loader: DataLoader)
        -> (loss: Double, accuracy: Double, confusion: ConfusionMatrix)
    {
        Self.evaluate(model, on: loader, classCount: classNames.count)
    }

    /// Mean loss, accuracy and confusion matrix of `model` over every sample of `loader`,
    /// without a trainer (a saved model on a test set).
    public static func evaluate(_ model: any Classifier, on loader: DataLoader, classCount: Int)
        -> (loss: Double, accuracy: Double, confusion: ConfusionMatrix)
    {
        var lossSum = 0.0
        var confusion = ConfusionMatrix(classCount: classCount)
        for batch in loader.batches() {
            let result = model.evaluate(batch.features, labels: batch.labels)
            lossSum += result.lossSum
            confusion.record(predictions: result.predictions, labels: batch.labels)
        }
        let count = Double(confusion.total)
        return (lossSum / count, confusion.accuracy, confusion)
    }
}
