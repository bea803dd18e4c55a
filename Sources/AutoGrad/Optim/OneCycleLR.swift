import Foundation

/// The 1cycle policy (Smith & Topin 2017) exactly as `torch.optim.lr_scheduler.OneCycleLR`
/// computes it, stepped once per batch. With the defaults (two phases, cosine annealing):
///
/// - warm-up from `maxLearningRate / divFactor` to `maxLearningRate`, reached at step
///   `pctStart · totalSteps − 1` (PyTorch's phase end — one step *before* the fraction;
///   with 100 steps and 0.3 the peak is step 29);
/// - annealing from there to `initial / finalDivFactor` at step `totalSteps − 1`.
///
/// Each phase interpolates with `pct = (step − phaseStart) / (phaseEnd − phaseStart)`. When
/// `cycleMomentum` is on, ``momentum(at:)`` runs the other way (max → base → max), for an
/// optimizer's momentum or Adam's β₁ — as PyTorch does, which even switches on momentum
/// for an SGD created without it.
///
/// ```swift
/// let schedule = OneCycleLR(maxLearningRate: 0.1, totalSteps: epochs * batchesPerEpoch)
/// optimizer.learningRate = schedule.learningRate(at: iteration)
/// ```
public struct OneCycleLR: LearningRateSchedule, Codable, Equatable {
    /// How a phase moves between its end points.
    public enum Annealing: String, Codable, Sendable {
        /// `end + (start − end) / 2 · (1 + cos(π · pct))`.
        case cosine
        /// `start + (end − start) · pct`.
        case linear
    }

    /// The peak rate.
    public let maxLearningRate: Double
    /// The steps in the cycle, usually epochs × batches per epoch.
    public let totalSteps: Int
    /// The fraction of the cycle spent warming up.
    public let pctStart: Double
    /// How each phase interpolates between its end points.
    public let annealing: Annealing
    /// The starting rate is `maxLearningRate / divFactor`.
    public let divFactor: Double
    /// The final rate is the starting rate over `finalDivFactor`.
    public let finalDivFactor: Double
    /// Whether a third phase follows (up, back down to the starting rate, then to the minimum), as PyTorch's `three_phase`.
    public let threePhase: Bool
    /// Whether ``momentum(at:)`` cycles against the rate.
    public let cycleMomentum: Bool
    /// The momentum at the peak rate.
    public let baseMomentum: Double
    /// The momentum at the start and end of the cycle.
    public let maxMomentum: Double

    /// PyTorch's defaults throughout.
    public init(maxLearningRate: Double, totalSteps: Int, pctStart: Double = 0.3, annealing: Annealing = .cosine,
                divFactor: Double = 25, finalDivFactor: Double = 1e4, threePhase: Bool = false,
                cycleMomentum: Bool = true, baseMomentum: Double = 0.85, maxMomentum: Double = 0.95) {
        precondition(totalSteps > 0, "OneCycleLR: total steps must be > 0, got \(totalSteps)")
        precondition(pctStart >= 0 && pctStart <= 1, "OneCycleLR: pctStart must be in [0, 1], got \(pctStart)")
        (self.maxLearningRate, self.totalSteps, self.pctStart, self.annealing) = (maxLearningRate, totalSteps, pctStart, annealing)
        (self.divFactor, self.finalDivFactor, self.threePhase) = (divFactor, finalDivFactor, threePhase)
        (self.cycleMomentum, self.baseMomentum, self.maxMomentum) = (cycleMomentum, baseMomentum, maxMomentum)
    }

    /// One cycle over `epochs` epochs of `stepsPerEpoch` batches each.
    public init(maxLearningRate: Double, epochs: Int, stepsPerEpoch: Int, pctStart: Double = 0.3) {
        precondition(epochs > 0 && stepsPerEpoch > 0,
                     "OneCycleLR: epochs and steps per epoch must be > 0, got \(epochs) and \(stepsPerEpoch)")
        self.init(maxLearningRate: maxLearningRate, totalSteps: epochs * stepsPerEpoch, pctStart: pctStart)
    }

    /// The starting rate, `maxLearningRate / divFactor`.
    public var initialLearningRate: Double { maxLearningRate / divFactor }
    /// The final rate, `initialLearningRate / finalDivFactor`.
    public var minimumLearningRate: Double { initialLearningRate / finalDivFactor }

    /// The step at which the rate peaks at ``maxLearningRate`` (PyTorch's first phase end,
    /// `float(pctStart · totalSteps) − 1`; a whole step when that product is whole).
    public var peakStep: Double { pctStart * Double(totalSteps) - 1 }

    /// Phase end steps with their (learning rate, momentum) start and end values.
    private var phases: [(end: Double, rate: (Double, Double), momentum: (Double, Double))] {
        let initial = initialLearningRate, peak = maxLearningRate, minimum = minimumLearningRate
        let total = Double(totalSteps)
        if threePhase {
            return [(pctStart * total - 1, (initial, peak), (maxMomentum, baseMomentum)),
                    (2 * pctStart * total - 2, (peak, initial), (baseMomentum, maxMomentum)),
                    (total - 1, (initial, minimum), (maxMomentum, maxMomentum))]
        }
        return [(pctStart * total - 1, (initial, peak), (maxMomentum, baseMomentum)),
                (total - 1, (peak, minimum), (baseMomentum, maxMomentum))]
    }

    /// The phase holding `step` and how far through it `step` is, as PyTorch's `get_lr`.
    private func locate(_ step: Int) -> (phase: Int, pct: Double) {
        precondition(step >= 0 && step <= totalSteps,
                     "OneCycleLR: step \(step) is outside 0…\(totalSteps) (total steps); PyTorch raises here too — make totalSteps cover every batch")
        let phases = self.phases
        // The first phase whose end is not before `step`; past every end but the last, the last.
        var (index, start) = (0, 0.0)
        while index < phases.count - 1 && Double(step) > phases[index].end {
            start = phases[index].end
            index += 1
        }
        // A zero-length phase (pctStart · totalSteps = 1) is already at its end; PyTorch
        // divides by zero there.
        let width = phases[index].end - start
        return (index, width == 0 ? 1 : (Double(step) - start) / width)
    }

    private func anneal(_ from: Double, _ to: Double, _ pct: Double) -> Double {
        switch annealing {
        case .cosine: return to + (from - to) / 2 * (cos(Double.pi * pct) + 1)
        case .linear: return (to - from) * pct + from
        }
    }

    public func learningRate(at step: Int) -> Double {
        let (phase, pct) = locate(step)
        let rate = phases[phase].rate
        return anneal(rate.0, rate.1, pct)
    }

    /// The momentum (or Adam's β₁) for `step`, or `nil` when momentum is not cycled.
    public func momentum(at step: Int) -> Double? {
        guard cycleMomentum else { return nil }
        let (phase, pct) = locate(step)
        let momentum = phases[phase].momentum
        return anneal(momentum.0, momentum.1, pct)
    }

    public var description: String {
        "OneCycleLR(\(initialLearningRate) → \(maxLearningRate) at step \(peakStep.formatted()) → \(minimumLearningRate) at step \(totalSteps - 1), \(annealing))"
    }
}

extension Double {
    /// A step index without a trailing ".0" when it is whole.
    fileprivate func formatted() -> String {
        self == rounded() && Swift.abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
