/// Cuts the learning rate when a monitored metric stops improving, with the semantics of
/// `torch.optim.lr_scheduler.ReduceLROnPlateau`. Unlike the closed-form schedules it
/// depends on results, so it is a value with state: call ``step(metric:)`` once per epoch
/// with the validation metric and use the rate it returns. `Codable`, so a checkpoint
/// can carry it (the best value is `nil` until the first metric, so JSON never sees ∞).
///
/// A metric is an improvement when (mode `.min`, threshold mode `.relative`) it is below
/// `best · (1 − threshold)`. After more than `patience` epochs without one, the rate
/// becomes `max(rate · factor, minimumLearningRate)` (unless that changes it by less than
/// `eps`), and `cooldown` epochs follow in which bad epochs are not counted.
///
/// ```swift
/// var plateau = ReduceLROnPlateau(learningRate: 0.1, patience: 2)
/// for epoch in 0..<epochs {
///     // … train, then evaluate …
///     optimizer.learningRate = plateau.step(metric: validationLoss)
/// }
/// ```
public struct ReduceLROnPlateau: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Whether smaller (`.min`, e.g. a loss) or larger (`.max`, e.g. accuracy) is better.
    public enum Mode: String, Codable, Sendable {
        /// Smaller is better (a loss).
        case min
        /// Larger is better (an accuracy).
        case max
    }
    /// Whether `threshold` is a fraction of the best value or an absolute amount.
    public enum ThresholdMode: String, Codable, Sendable {
        /// An improvement beats the best value by the fraction `threshold` of it.
        case relative
        /// An improvement beats the best value by `threshold`.
        case absolute
    }

    /// Whether smaller or larger metrics are better.
    public let mode: Mode
    /// The rate is multiplied by `factor` at each cut, in [0, 1).
    public let factor: Double
    /// Epochs without improvement tolerated before a cut.
    public let patience: Int
    /// How much better than the best a metric must be to count, see `thresholdMode`.
    public let threshold: Double
    /// Whether `threshold` is relative to the best value or absolute.
    public let thresholdMode: ThresholdMode
    /// Epochs after a cut in which bad epochs are not counted.
    public let cooldown: Int
    /// The rate is never cut below this.
    public let minimumLearningRate: Double
    /// A cut smaller than this is skipped.
    public let eps: Double

    /// The rate to use now.
    public private(set) var learningRate: Double
    /// The best metric so far, `nil` before the first.
    public private(set) var bestMetric: Double?
    /// Epochs since the last improvement (PyTorch's `num_bad_epochs`).
    public private(set) var badEpochs = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownRemaining = 0
    /// How many metrics have been seen.
    public private(set) var epochs = 0

    /// Starts at `learningRate`; other defaults are PyTorch's.
    public init(learningRate: Double, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, thresholdMode: ThresholdMode = .relative, cooldown: Int = 0,
                minimumLearningRate: Double = 0, eps: Double = 1e-8) {
        precondition(factor >= 0 && factor < 1, "ReduceLROnPlateau: factor must be in [0, 1), got \(factor)")
        precondition(patience >= 0 && cooldown >= 0,
                     "ReduceLROnPlateau: patience and cooldown must be ≥ 0, got \(patience) and \(cooldown)")
        (self.learningRate, self.mode, self.factor, self.patience) = (learningRate, mode, factor, patience)
        (self.threshold, self.thresholdMode, self.cooldown) = (threshold, thresholdMode, cooldown)
        (self.minimumLearningRate, self.eps) = (minimumLearningRate, eps)
    }

    /// Whether `metric` improves on the best so far (NaN never does, as in PyTorch).
    public func isImprovement(_ metric: Double) -> Bool {
        let best = bestMetric ?? (mode == .min ? .infinity : -.infinity)
        switch (mode, thresholdMode) {
        case (.min, .relative): return metric < best * (1 - threshold)
        case (.min, .absolute): return metric < best - threshold
        case (.max, .relative): return metric > best * (1 + threshold)
        case (.max, .absolute): return metric > best + threshold
        }
    }

    /// Records one epoch's metric and returns the rate for the next epoch.
    @discardableResult
    public mutating func step(metric: Double) -> Double {
        epochs += 1
        if isImprovement(metric) {
            bestMetric = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownRemaining > 0 {
            cooldownRemaining -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            let reduced = Swift.max(learningRate * factor, minimumLearningRate)
            if learningRate - reduced > eps { learningRate = reduced }
            cooldownRemaining = cooldown
            badEpochs = 0
        }
        return learningRate
    }

    /// Puts back the state of a run being continued, as its properties held it.
    ///
    /// ```swift
    /// plateau.restore(learningRate: 0.01, bestMetric: 0.42, badEpochs: 1, cooldownRemaining: 0, epochs: 6)
    /// ```
    public mutating func restore(learningRate: Double, bestMetric: Double?, badEpochs: Int, cooldownRemaining: Int,
                                 epochs: Int) {
        precondition(badEpochs >= 0 && cooldownRemaining >= 0 && epochs >= 0,
                     "ReduceLROnPlateau.restore: counts must be ≥ 0, got \(badEpochs), \(cooldownRemaining), \(epochs)")
        (self.learningRate, self.bestMetric, self.badEpochs) = (learningRate, bestMetric, badEpochs)
        (self.cooldownRemaining, self.epochs) = (cooldownRemaining, epochs)
    }

    public var description: String {
        "ReduceLROnPlateau(rate \(learningRate), ×\(factor) after \(patience) epochs without \(mode == .min ? "a decrease" : "an increase"), cooldown \(cooldown), floor \(minimumLearningRate))"
    }
}
