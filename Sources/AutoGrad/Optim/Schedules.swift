import Foundation

/// A learning rate as a pure function of a step count, in the role of PyTorch's
/// `torch.optim.lr_scheduler` classes, in closed form so a trainer can ask for any step,
/// print it, or resume from a checkpoint without replaying history.
///
/// **What a step is.** `learningRate(at: k)` is the rate PyTorch's scheduler reports
/// (`get_last_lr()`) after `k` calls to `scheduler.step()`: `at: 0` is the rate before the
/// first step. Whether a step is an epoch or an iteration is the trainer's choice, exactly
/// as in PyTorch: step per epoch for ``StepLR`` / ``CosineAnnealingLR`` over epochs, per
/// batch for ``OneCycleLR`` (whose `totalSteps` is then `epochs × batchesPerEpoch`).
///
/// ```swift
/// let schedule = CosineAnnealingLR(baseLearningRate: 0.1, maxSteps: 20)
/// for epoch in 0..<20 {
///     optimizer.learningRate = schedule.learningRate(at: epoch)
///     print("epoch \(epoch): lr \(optimizer.learningRate)")
///     // … train one epoch …
/// }
/// ```
/// ``ReduceLROnPlateau`` depends on validation results, so it is a stateful value instead.
public protocol LearningRateSchedule: Sendable, CustomStringConvertible {
    /// The rate in effect after `step` scheduler steps (0 = the first epoch or iteration).
    func learningRate(at step: Int) -> Double
}

@inline(__always)
func checkStep(_ step: Int, _ schedule: String) {
    precondition(step >= 0, "\(schedule): step must be ≥ 0, got \(step)")
}

/// Decays the rate by `gamma` every `stepSize` steps, as `torch.optim.lr_scheduler.StepLR`:
/// `base · gamma^⌊step / stepSize⌋`.
///
/// ```swift
/// StepLR(baseLearningRate: 0.1, stepSize: 30).learningRate(at: 65)   // 0.001
/// ```
public struct StepLR: LearningRateSchedule, Codable, Equatable {
    /// The rate at step 0.
    public let baseLearningRate: Double
    /// Steps between two decays.
    public let stepSize: Int
    /// The factor applied at each decay.
    public let gamma: Double

    /// Decays `baseLearningRate` by `gamma` every `stepSize` steps; `stepSize` must be positive.
    public init(baseLearningRate: Double, stepSize: Int, gamma: Double = 0.1) {
        precondition(stepSize > 0, "StepLR: step size must be > 0, got \(stepSize)")
        (self.baseLearningRate, self.stepSize, self.gamma) = (baseLearningRate, stepSize, gamma)
    }

    public func learningRate(at step: Int) -> Double {
        checkStep(step, "StepLR")
        return baseLearningRate * pow(gamma, Double(step / stepSize))
    }

    public var description: String { "StepLR(base \(baseLearningRate), ×\(gamma) every \(stepSize) steps)" }
}

/// Decays the rate by `gamma` every step, as `ExponentialLR`: `base · gamma^step`.
///
/// ```swift
/// ExponentialLR(baseLearningRate: 0.1, gamma: 0.9).learningRate(at: 2)   // 0.081
/// ```
public struct ExponentialLR: LearningRateSchedule, Codable, Equatable {
    /// The rate at step 0.
    public let baseLearningRate: Double
    /// The factor applied at every step.
    public let gamma: Double

    /// Decays `baseLearningRate` by `gamma` every step.
    public init(baseLearningRate: Double, gamma: Double) {
        (self.baseLearningRate, self.gamma) = (baseLearningRate, gamma)
    }

    public func learningRate(at step: Int) -> Double {
        checkStep(step, "ExponentialLR")
        return baseLearningRate * pow(gamma, Double(step))
    }

    public var description: String { "ExponentialLR(base \(baseLearningRate), ×\(gamma) per step)" }
}

/// Cosine annealing from the base rate to `minimumLearningRate` (PyTorch's `eta_min`)
/// over `maxSteps` (`T_max`) steps, in PyTorch's closed form
/// `η_min + (base − η_min) · (1 + cos(π · step / T_max)) / 2`, which, like PyTorch's
/// recursive form, rises again after `T_max` (no restarts).
///
/// ```swift
/// CosineAnnealingLR(baseLearningRate: 0.1, maxSteps: 10).learningRate(at: 5)   // 0.05
/// ```
public struct CosineAnnealingLR: LearningRateSchedule, Codable, Equatable {
    /// The rate at step 0.
    public let baseLearningRate: Double
    /// The steps to reach the minimum (PyTorch's `T_max`).
    public let maxSteps: Int
    /// The rate at `maxSteps` (PyTorch's `eta_min`).
    public let minimumLearningRate: Double

    /// Anneals from `baseLearningRate` to `minimumLearningRate` over `maxSteps` steps, which must be positive.
    public init(baseLearningRate: Double, maxSteps: Int, minimumLearningRate: Double = 0) {
        precondition(maxSteps > 0, "CosineAnnealingLR: maxSteps (T_max) must be > 0, got \(maxSteps)")
        (self.baseLearningRate, self.maxSteps, self.minimumLearningRate) = (baseLearningRate, maxSteps, minimumLearningRate)
    }

    public func learningRate(at step: Int) -> Double {
        checkStep(step, "CosineAnnealingLR")
        let progress = Double(step) / Double(maxSteps)
        return minimumLearningRate + (baseLearningRate - minimumLearningRate) * (1 + cos(Double.pi * progress)) / 2
    }

    public var description: String {
        "CosineAnnealingLR(base \(baseLearningRate) → \(minimumLearningRate) over \(maxSteps) steps)"
    }
}

/// A linear ramp of the rate's factor from `startFactor` to `endFactor` over `totalSteps`
/// steps, then constant, as `LinearLR` — with the defaults, a warm-up from a third of the
/// base rate to the full rate over 5 steps.
///
/// ```swift
/// let warmUp = LinearLR(baseLearningRate: 0.1, startFactor: 0.1, totalSteps: 4)
/// warmUp.learningRate(at: 2)   // 0.1 · (0.1 + 0.9 · 2/4) = 0.055
/// ```
public struct LinearLR: LearningRateSchedule, Codable, Equatable {
    /// The rate the factors multiply.
    public let baseLearningRate: Double
    /// The factor at step 0, in (0, 1].
    public let startFactor: Double
    /// The factor from `totalSteps` on, in [0, 1].
    public let endFactor: Double
    /// The steps the ramp takes.
    public let totalSteps: Int

    /// Ramps the factor from `startFactor` to `endFactor` over `totalSteps` steps (PyTorch's defaults).
    public init(baseLearningRate: Double, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalSteps: Int = 5) {
        precondition(startFactor > 0 && startFactor <= 1, "LinearLR: start factor must be in (0, 1], got \(startFactor)")
        precondition(endFactor >= 0 && endFactor <= 1, "LinearLR: end factor must be in [0, 1], got \(endFactor)")
        precondition(totalSteps > 0, "LinearLR: total steps must be > 0, got \(totalSteps)")
        (self.baseLearningRate, self.startFactor, self.endFactor, self.totalSteps) = (baseLearningRate, startFactor, endFactor, totalSteps)
    }

    public func learningRate(at step: Int) -> Double {
        checkStep(step, "LinearLR")
        let progress = Double(min(step, totalSteps)) / Double(totalSteps)
        return baseLearningRate * (startFactor + (endFactor - startFactor) * progress)
    }

    public var description: String {
        "LinearLR(base \(baseLearningRate), factor \(startFactor) → \(endFactor) over \(totalSteps) steps)"
    }
}

/// The base rate times `factor` for the first `totalSteps` steps, then the base rate, as
/// `ConstantLR`; with `factor: 1`, a constant rate.
///
/// ```swift
/// ConstantLR(baseLearningRate: 0.01, factor: 1)   // 0.01 at every step
/// ```
public struct ConstantLR: LearningRateSchedule, Codable, Equatable {
    /// The rate from `totalSteps` on.
    public let baseLearningRate: Double
    /// The factor on the base rate before `totalSteps`, in [0, 1].
    public let factor: Double
    /// The steps that run at the reduced rate.
    public let totalSteps: Int

    /// The base rate times `factor` for `totalSteps` steps, then the base rate (PyTorch's defaults).
    public init(baseLearningRate: Double, factor: Double = 1.0 / 3, totalSteps: Int = 5) {
        precondition(factor >= 0 && factor <= 1, "ConstantLR: factor must be in [0, 1], got \(factor)")
        (self.baseLearningRate, self.factor, self.totalSteps) = (baseLearningRate, factor, totalSteps)
    }

    public func learningRate(at step: Int) -> Double {
        checkStep(step, "ConstantLR")
        return step < totalSteps ? baseLearningRate * factor : baseLearningRate
    }

    public var description: String {
        factor == 1 || totalSteps == 0 ? "constant \(baseLearningRate)"
            : "ConstantLR(base \(baseLearningRate), ×\(factor) for \(totalSteps) steps)"
    }
}

/// Schedules run one after another, as `SequentialLR`: schedule `i + 1` starts from its own
/// step 0 at `milestones[i]`. The usual use is a warm-up followed by a decay.
///
/// ```swift
/// let schedule = SequentialLR([LinearLR(baseLearningRate: 0.1, startFactor: 0.1, totalSteps: 5),
///                              CosineAnnealingLR(baseLearningRate: 0.1, maxSteps: 45)],
///                             milestones: [5])
/// ```
public struct SequentialLR: LearningRateSchedule {
    /// The schedules, in the order they run.
    public let schedules: [any LearningRateSchedule]
    /// The steps at which each schedule after the first takes over.
    public let milestones: [Int]

    /// Runs `schedules` one after another, switching at `milestones` (one fewer than the schedules, positive and increasing).
    public init(_ schedules: [any LearningRateSchedule], milestones: [Int]) {
        precondition(!schedules.isEmpty && milestones.count == schedules.count - 1,
                     "SequentialLR: \(schedules.count) schedules need \(max(0, schedules.count - 1)) milestones, got \(milestones.count)")
        precondition(zip(milestones, milestones.dropFirst()).allSatisfy { $0 < $1 } && milestones.allSatisfy { $0 > 0 },
                     "SequentialLR: milestones must be positive and increasing, got \(milestones)")
        (self.schedules, self.milestones) = (schedules, milestones)
    }

    public func learningRate(at step: Int) -> Double {
        checkStep(step, "SequentialLR")
        let index = milestones.lastIndex { $0 <= step }.map { $0 + 1 } ?? 0
        return schedules[index].learningRate(at: step - (index == 0 ? 0 : milestones[index - 1]))
    }

    public var description: String {
        zip(schedules, [0] + milestones).map { "\($0) from step \($1)" }.joined(separator: ", then ")
    }
}
