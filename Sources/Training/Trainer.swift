import ArrayKit
import Dispatch

/// What a training run produced: its history (epochs, best epoch, test metrics, divergence)
/// and the state of the model it kept, to be saved as `model.safetensors`.
///
/// ```swift
/// let outcome = trainer.fit(model, history: history)
/// outcome.history.test?.accuracy          // of the best-on-validation model
/// outcome.bestState?.parameters.count     // nil if no epoch finished
/// ```
public struct TrainingOutcome {
    public var history: RunHistory
    /// The best-on-validation state; `nil` when the run diverged before any epoch finished.
    public var bestState: ClassifierState?
    /// Whether `shouldStop` ended the run early (no test metrics then; a checkpoint was saved).
    public var interrupted = false
}

/// A snapshot of a classifier: its parameters and buffers, and integer buffers such as
/// BatchNorm's `num_batches_tracked`, under PyTorch's names.
public struct ClassifierState {
    public var parameters: [(String, NDArray<Float>)]
    public var integers: [(name: String, values: [Int64], shape: [Int])]

    /// Captures `model`'s state now. `NDArray` is copy-on-write, so later training steps do
    /// not change the snapshot.
    public init(of model: any Classifier) {
        parameters = model.stateDict()
        integers = model.integerState()
    }
}

/// Trains any ``Classifier`` for a number of epochs, keeping the model that did best on
/// validation, and reports the test metrics of that model.
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
    public var train: DataLoader
    public var validation: DataLoader
    public var test: DataLoader
    public var epochs: Int
    public var classNames: [String]
    /// Where per-batch and per-epoch progress goes; `nil` for silence (tests).
    public var progress: ProgressReporter?

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
        var history = checkpoint?.history ?? history
        var best = checkpoint?.best
        let firstEpoch = (checkpoint?.completedEpochs ?? 0) + 1
        let loader = TrainingCheckpoint.LoaderSettings(seed: train.seed, batchSize: train.batchSize,
                                                       trainCount: train.images.count, shuffle: train.shuffle, epochs: epochs)
        if let checkpoint { precondition(checkpoint.loader == loader, "Trainer.fit: check the checkpoint with restore(into:for:) first") }
        func snapshot(completed: Int, batches: Int, partial: TrainingCheckpoint.PartialEpoch) -> TrainingCheckpoint {
            TrainingCheckpoint(completedEpochs: completed, batchesIntoEpoch: batches, partialEpoch: partial, history: history,
                               model: ClassifierState(of: model), training: model.trainingState(), best: best,
                               loader: loader, arguments: checkpoint?.arguments ?? [])
        }
        var interrupted = false
        for epoch in firstEpoch..<(epochs + 1) {
            let resumed = epoch == firstEpoch && (checkpoint?.batchesIntoEpoch ?? 0) > 0 ? checkpoint : nil
            var partial = resumed?.partialEpoch ?? TrainingCheckpoint.PartialEpoch()
            let start = DispatchTime.now().uptimeNanoseconds
            var polling: UInt64 = 0
            func elapsed() -> Double { partial.seconds + Double(DispatchTime.now().uptimeNanoseconds - start - polling) / 1e9 }
            // The time `shouldStop` takes (another run's turn, when two train in lockstep) is not this run's.
            func stopRequested() -> Bool {
                let before = DispatchTime.now().uptimeNanoseconds
                defer { polling += DispatchTime.now().uptimeNanoseconds - before }
                return shouldStop()
            }
            model.beginEpoch(epoch)
            progress?.beginEpoch(epoch, of: epochs, batchCount: train.batchCount)
            if resumed == nil { partial.learningRate = model.learningRate }
            var failure: String?
            for (index, batch) in train.batches(epoch: epoch - 1).enumerated().dropFirst(resumed?.batchesIntoEpoch ?? 0) {
                let step = model.trainStep(batch.features, labels: batch.labels)
                if index == 0 { partial.learningRate = model.learningRate }   // a per-batch schedule sets it in the step
                guard step.loss.isFinite else {
                    failure = "training loss became \(compactNumber(step.loss)) at epoch \(epoch), batch \(index + 1)"
                        + " (learning rate \(compactNumber(model.learningRate)))"
                    partial.lossSum = step.loss
                    break
                }
                partial.lossSum += step.loss * Double(batch.count)
                partial.correct += step.correct
                partial.samples += batch.count
                progress?.batchFinished(loss: step.loss, samples: batch.count)
                // The last step of an epoch is followed by validation and the epoch's own checkpoint.
                if index + 1 < train.batchCount && stopRequested() {
                    var position = partial
                    position.seconds = elapsed()
                    try saveCheckpoint(snapshot(completed: epoch - 1, batches: index + 1, partial: position))
                    interrupted = true
                    break
                }
            }
            if interrupted { break }
            let trainLoss = failure == nil ? partial.lossSum / Double(partial.samples) : partial.lossSum
            let trainAccuracy = partial.samples > 0 ? Double(partial.correct) / Double(partial.samples) : .nan
            let evaluation = failure == nil ? evaluate(model, on: validation) : nil
            if let evaluation, !evaluation.loss.isFinite {
                failure = "validation loss became \(compactNumber(evaluation.loss)) after epoch \(epoch)"
                    + " (learning rate \(compactNumber(partial.learningRate)))"
            }
            let record = EpochRecord(
                epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy,
                valLoss: evaluation?.loss ?? .nan, valAccuracy: evaluation?.accuracy ?? .nan,
                learningRate: partial.learningRate, seconds: elapsed())
            history.epochs.append(record)
            progress?.endEpoch(record)
            if let failure {
                history.markDiverged(failure)
                progress?.message("diverged: \(failure); stopping, keeping the best model so far")
                break
            }
            model.endEpoch(epoch, validationLoss: record.valLoss)
            // Strictly better only: on a tie the earlier (less trained) model is kept.
            if best == nil || record.valAccuracy > best!.accuracy {
                best = (epoch, record.valAccuracy, ClassifierState(of: model))
                history.bestEpoch = epoch
            }
            try saveCheckpoint(snapshot(completed: epoch, batches: 0, partial: .init()))
            if epoch < epochs && shouldStop() {
                interrupted = true
                break
            }
        }
        history.bestEpoch = best?.epoch
        guard let best, !interrupted else {
            return TrainingOutcome(history: history, bestState: best?.state, interrupted: interrupted)
        }
        do {
            try model.load(stateDict: best.state.parameters)
            model.load(integerState: best.state.integers)
        } catch {
            preconditionFailure("Trainer: the model rejected its own state: \(error)")
        }
        let result = evaluate(model, on: test)
        history.test = TestMetrics(loss: result.loss, report: result.confusion.report(classNames: classNames))
        return TrainingOutcome(history: history, bestState: best.state)
    }

    /// Mean loss, accuracy and confusion matrix of `model` over every sample of `loader`.
    ///
    /// ```swift
    /// let (loss, accuracy, confusion) = trainer.evaluate(model, on: trainer.test)
    /// ```
    public func evaluate(_ model: any Classifier, on loader: DataLoader)
        -> (loss: Double, accuracy: Double, confusion: ConfusionMatrix)
    {
        var lossSum = 0.0
        var confusion = ConfusionMatrix(classCount: classNames.count)
        for batch in loader.batches() {
            let result = model.evaluate(batch.features, labels: batch.labels)
            lossSum += result.lossSum
            confusion.record(predictions: result.predictions, labels: batch.labels)
        }
        let count = Double(confusion.total)
        return (lossSum / count, confusion.accuracy, confusion)
    }
}
