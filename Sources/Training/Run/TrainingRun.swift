import ArrayKit
import Dispatch
import Foundation

/// One training run as a sequence of steps: ``step()`` trains one batch, ``finishEpoch()``
/// ends an epoch (validation, its record, the divergence check, the best model), and
/// ``checkpoint()`` describes the run at any step boundary. Whatever happens between steps —
/// a stop request, a checkpoint written, another run's step — is up to the loop that drives
/// it, such as ``trainInTurns(_:shouldStop:saveCheckpoint:)``.
///
/// ```swift
/// let run = TrainingRun(trainer: trainer, model: model, history: history)
/// while !run.isFinished {
///     run.step()
///     if run.isEpochComplete { run.finishEpoch() }
/// }
/// let outcome = run.finish()   // the best model restored and tested
/// ```
public final class TrainingRun {
    /// The data, epoch count and progress reporter the run uses.
    public let trainer: Trainer
    /// The model being trained.
    public let model: any Classifier
    /// The finished epochs, then the best epoch and test metrics once the run is finished.
    public private(set) var history: RunHistory
    /// The best model on validation so far.
    public private(set) var best: (epoch: Int, accuracy: Double, state: ClassifierState)?
    /// The epoch in progress, or the next one at an epoch boundary (1-based).
    public private(set) var epoch: Int
    /// Steps taken in ``epoch``.
    public private(set) var batchesIntoEpoch: Int
    /// Whether every epoch is done, the run diverged, or it was stopped.
    public private(set) var isFinished: Bool
    /// Whether ``stop()`` ended the run.
    public private(set) var isInterrupted = false
    /// Every step taken, in order: those before the checkpoint the run resumed from (as
    /// given), then this run's.
    public private(set) var steps: [StepRecord]

    private var partial: TrainingCheckpoint.PartialEpoch
    private var batches: DataLoader.Batches.Iterator?
    private var failure: String?
    private let arguments: [String]

    /// A run of `trainer` on `model`, from the start or — with `checkpoint`, after
    /// ``TrainingCheckpoint/restore(into:for:)`` loaded it into `model` — from its position,
    /// with its history and best model; `steps` are the records of the steps before it.
    public init(trainer: Trainer, model: any Classifier, history: RunHistory,
                resumingFrom checkpoint: TrainingCheckpoint? = nil, steps: [StepRecord] = []) {
        if let checkpoint {
            precondition(checkpoint.loader == trainer.loaderSettings, "TrainingRun: check the checkpoint with restore(into:for:) first")
        }
        self.trainer = trainer
        self.model = model
        self.history = checkpoint?.history ?? history
        best = checkpoint?.best
        epoch = (checkpoint?.completedEpochs ?? 0) + 1
        batchesIntoEpoch = checkpoint?.batchesIntoEpoch ?? 0
        partial = batchesIntoEpoch > 0 ? checkpoint!.partialEpoch : .init()
        arguments = checkpoint?.arguments ?? []
        self.steps = steps
        isFinished = epoch > trainer.epochs
        precondition(trainer.sharpnessProbe == nil || model is any SharpnessMeasurable,
                     "TrainingRun: the trainer measures sharpness, but the \(model.backend) model cannot be differentiated twice")
    }

    /// The sharpness of the model now, when the trainer measures it.
    private func measureSharpness() -> SharpnessEstimate? {
        guard let probe = trainer.sharpnessProbe, let model = model as? any SharpnessMeasurable else { return nil }
        return model.sharpness(on: probe)
    }

    /// Whether the epoch's last step (or a step whose loss was not finite) was taken, so
    /// ``finishEpoch()`` comes next.
    public var isEpochComplete: Bool { failure != nil || batchesIntoEpoch == trainer.train.batchCount }

    /// Whether a loss stopped being finite.
    public var diverged: Bool { history.diverged }

    /// Trains one batch, starting the epoch first when it is the epoch's first step here
    /// (also when resuming in the middle of one). A loss that is not finite completes the epoch.
    public func step() {
        precondition(!isFinished && !isEpochComplete, "TrainingRun.step: call finishEpoch() first")
        if epoch == 1 && batchesIntoEpoch == 0 && history.initialSharpness == nil, let estimate = measureSharpness() {
            history.initialSharpness = estimate
            trainer.progress?.message("sharpness at initialization: \(estimate.summary)")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        if batches == nil { beginEpoch() }
        let batch = batches!.next()!
        let step = model.trainStep(batch.features, labels: batch.labels)
        batchesIntoEpoch += 1
        if batchesIntoEpoch == 1 { partial.learningRate = model.learningRate }   // a per-batch schedule sets it in the step
        if step.loss.isFinite {
            partial.lossSum += step.loss * Double(batch.count)
            partial.correct += step.correct
            partial.samples += batch.count
            trainer.progress?.batchFinished(loss: step.loss, samples: batch.count)
        } else {
            failure = "training loss became \(compactNumber(step.loss)) at epoch \(epoch), batch \(batchesIntoEpoch)"
                + " (learning rate \(compactNumber(model.learningRate)))"
            partial.lossSum = step.loss
        }
        let seconds = Self.seconds(since: start)
        partial.seconds += seconds
        steps.append(StepRecord(step: (epoch - 1) * trainer.train.batchCount + batchesIntoEpoch, epoch: epoch,
                                batch: batchesIntoEpoch, loss: step.loss, learningRate: model.learningRate,
                                seconds: seconds, wallTime: Date().timeIntervalSince1970))
    }

    private func beginEpoch() {
        let resumed = batchesIntoEpoch
        model.beginEpoch(epoch)
        trainer.progress?.beginEpoch(epoch, of: trainer.epochs, batchCount: trainer.train.batchCount)
        if resumed == 0 { partial.learningRate = model.learningRate }
        batches = trainer.train.batches(epoch: epoch - 1).makeIterator()
        for _ in 0..<resumed { _ = batches!.next() }
    }

    /// Ends the epoch: validates (unless training diverged), records the epoch, and either
    /// marks the run diverged — a validation loss that is not finite too — or keeps the
    /// model if it is the best so far.
    @discardableResult
    public func finishEpoch() -> EpochRecord {
        precondition(isEpochComplete, "TrainingRun.finishEpoch: the epoch has steps left")
        let start = DispatchTime.now().uptimeNanoseconds
        let trainLoss = failure == nil ? partial.lossSum / Double(partial.samples) : partial.lossSum
        let trainAccuracy = partial.samples > 0 ? Double(partial.correct) / Double(partial.samples) : .nan
        let evaluation = failure == nil ? trainer.evaluate(model, on: trainer.validation) : nil
        if let evaluation, !evaluation.loss.isFinite {
            failure = "validation loss became \(compactNumber(evaluation.loss)) after epoch \(epoch)"
                + " (learning rate \(compactNumber(partial.learningRate)))"
        }
        var record = EpochRecord(
            epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy,
            valLoss: evaluation?.loss ?? .nan, valAccuracy: evaluation?.accuracy ?? .nan,
            learningRate: partial.learningRate, seconds: partial.seconds + Self.seconds(since: start))
        // After the epoch's time is taken: the estimate keeps its own. Not for a diverged epoch.
        if failure == nil, let estimate = measureSharpness() {
            record.sharpness = estimate
            if !estimate.converged { trainer.progress?.message("sharpness after epoch \(epoch): \(estimate.summary)") }
        }
        history.epochs.append(record)
        trainer.progress?.endEpoch(record)
        if let failure {
            history.markDiverged(failure)
            trainer.progress?.message("diverged: \(failure); stopping, keeping the best model so far")
            isFinished = true
            return record
        }
        model.finishEpoch(record)
        // Strictly better only: on a tie the earlier (less trained) model is kept.
        if best == nil || record.valAccuracy > best!.accuracy {
            best = (epoch, record.valAccuracy, ClassifierState(of: model))
            history.bestEpoch = epoch
        }
        epoch += 1
        batchesIntoEpoch = 0
        partial = .init()
        batches = nil
        isFinished = epoch > trainer.epochs
        return record
    }

    /// Everything needed to continue from this step boundary.
    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(completedEpochs: epoch - 1, batchesIntoEpoch: batchesIntoEpoch, partialEpoch: partial,
                           history: history, model: ClassifierState(of: model), training: model.trainingState(),
                           best: best, loader: trainer.loaderSettings, arguments: arguments)
    }

    /// Ends the run here, untested; ``finish()`` then hands over the partial history.
    public func stop() {
        isFinished = true
        isInterrupted = true
    }

    /// The outcome: unless stopped, `model` gets the best state back and is tested with it.
    public func finish() -> TrainingOutcome {
        history.bestEpoch = best?.epoch
        guard let best, !isInterrupted else {
            return TrainingOutcome(history: history, bestState: best?.state, interrupted: isInterrupted)
        }
        do {
            try model.load(state: best.state)
        } catch {
            preconditionFailure("TrainingRun: the model rejected its own state: \(error)")
        }
        let result = trainer.evaluate(model, on: trainer.test)
        history.test = TestMetrics(loss: result.loss, report: result.confusion.report(classNames: trainer.classNames))
        return TrainingOutcome(history: history, bestState: best.state)
    }

    private static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

extension TrainingRun {
    /// Trains `runs` in turns, one step each, on this thread — one run alone is an ordinary
    /// training loop. Each finished epoch's checkpoint goes to `saveCheckpoint` (not a
    /// diverged one's: the last good one is kept). `shouldStop` is asked after every round of
    /// steps while any run is unfinished; when it says yes every unfinished run stops at that
    /// same step, handing over a checkpoint of it if it lies within an epoch. A run that
    /// diverges leaves the others to continue.
    ///
    /// ```swift
    /// try TrainingRun.trainInTurns([manual, autograd], shouldStop: Interrupts.isRequested) { run, checkpoint in
    ///     try checkpoint.write(to: directory(of: run).file(TrainingCheckpoint.fileName))
    /// }
    /// ```
    public static func trainInTurns(_ runs: [TrainingRun], shouldStop: () -> Bool,
                                    saveCheckpoint: (TrainingRun, TrainingCheckpoint) throws -> Void) rethrows {
        while runs.contains(where: { !$0.isFinished }) {
            for run in runs where !run.isFinished {
                run.step()
                guard run.isEpochComplete else { continue }
                run.finishEpoch()
                if !run.diverged { try saveCheckpoint(run, run.checkpoint()) }
            }
            guard runs.contains(where: { !$0.isFinished }) && shouldStop() else { continue }
            for run in runs where !run.isFinished {
                // At an epoch boundary the epoch's own checkpoint is already saved.
                if run.batchesIntoEpoch > 0 { try saveCheckpoint(run, run.checkpoint()) }
                run.stop()
            }
        }
    }
}
