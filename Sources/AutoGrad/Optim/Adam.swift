import ArrayKit

/// Adam (Kingma & Ba 2015) with PyTorch's `torch.optim.Adam` semantics. For each parameter
/// `w` with gradient `g`, at its `t`-th step:
///
///     g ← g + weightDecay · w                        (L2 penalty added to the gradient)
///     m ← β₁ · m + (1 − β₁) · g,   v ← β₂ · v + (1 − β₂) · g²
///     w ← w − (learningRate / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps)
///
/// ```swift
/// let optimizer = Adam(model.parameters(), learningRate: 1e-3)
/// optimizer.step()
/// ```
public class Adam<Scalar: NDScalar>: Optimizer {
    public let parameters: [Tensor<Scalar>]
    public var learningRate: Double
    /// (β₁, β₂); settable so a schedule (e.g. ``OneCycleLR``) can cycle β₁.
    public var betas: (Double, Double)
    /// Added to the denominator for numerical stability.
    public var eps: Double
    /// The L2 penalty added to the gradient (``Adam``) or the decoupled weight decay (``AdamW``).
    public var weightDecay: Double
    /// Whether decay shrinks the weights directly (AdamW) instead of entering the gradient.
    let decoupledWeightDecay: Bool
    /// PyTorch's `exp_avg` and `exp_avg_sq`, created on a parameter's first step (two
    /// properties, so both can be written in place at once without overlapping access).
    private var means: [NDArray<Scalar>?]
    private var meansOfSquares: [NDArray<Scalar>?]
    /// Each parameter's own step count (a parameter without a gradient does not advance).
    private var steps: [Int]

    /// Creates the optimizer; defaults are PyTorch's.
    public convenience init(_ parameters: [Tensor<Scalar>], learningRate: Double = 1e-3,
                            betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0) {
        self.init(parameters, learningRate: learningRate, betas: betas, eps: eps,
                  weightDecay: weightDecay, decoupled: false)
    }

    init(_ parameters: [Tensor<Scalar>], learningRate: Double, betas: (Double, Double), eps: Double,
         weightDecay: Double, decoupled: Bool) {
        let name = decoupled ? "AdamW" : "Adam"
        precondition(learningRate >= 0, "\(name): learning rate must be ≥ 0, got \(learningRate)")
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1),
                     "\(name): betas must lie in [0, 1), got \(betas)")
        precondition(eps >= 0, "\(name): eps must be ≥ 0, got \(eps)")
        precondition(weightDecay >= 0, "\(name): weight decay must be ≥ 0, got \(weightDecay)")
        checkDistinct(parameters, optimizer: name)
        self.parameters = parameters
        self.learningRate = learningRate
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupled
        self.means = Array(repeating: nil, count: parameters.count)
        self.meansOfSquares = means
        self.steps = Array(repeating: 0, count: parameters.count)
    }

    var name: String { decoupledWeightDecay ? "AdamW" : "Adam" }

    // Specialized here because callers in other modules see only the generic entry
    // point; unspecialized, the element loop costs ~10× more (see the commit message).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step() {
        for (index, parameter) in parameters.enumerated() {
            guard let grad = gradient(of: parameter, index: index, optimizer: name) else { continue }
            if means[index] == nil {
                means[index] = NDArray.zeros(parameter.data.shape)
                meansOfSquares[index] = NDArray.zeros(parameter.data.shape)
            }
            steps[index] += 1
            parameter.data.adamUpdate(gradient: grad, mean: &means[index]!, meanOfSquares: &meansOfSquares[index]!,
                                      step: steps[index], learningRate: learningRate, betas: betas, epsilon: eps,
                                      weightDecay: weightDecay, decoupled: decoupledWeightDecay)
        }
    }

    public func stateDict() -> [String: NDArray<Scalar>] {
        var dict: [String: NDArray<Scalar>] = ["param_groups.0.lr": NDArray(scalar: Scalar(learningRate))]
        for index in parameters.indices {
            guard let mean = means[index], let meanOfSquares = meansOfSquares[index] else { continue }
            dict["state.\(index).exp_avg"] = mean
            dict["state.\(index).exp_avg_sq"] = meanOfSquares
            dict["state.\(index).step"] = NDArray(scalar: Scalar(steps[index]))
        }
        return dict
    }

    public func load(stateDict: [String: NDArray<Scalar>]) throws(OptimizerStateError) {
        var reader = StateDictReader<Scalar>(parameterShapes: parameters.map(\.data.shape),
                                             bufferFields: ["exp_avg", "exp_avg_sq"], counterFields: ["step"], optimizer: name)
        try reader.read(stateDict)
        var newMeans = means, newMeansOfSquares = meansOfSquares, newSteps = steps
        for index in parameters.indices {
            let buffers = reader.buffers[index], step = reader.counters[index]["step"]
            switch (buffers["exp_avg"], buffers["exp_avg_sq"], step) {
            case (nil, nil, nil):
                (newMeans[index], newMeansOfSquares[index], newSteps[index]) = (nil, nil, 0)
            case let (mean?, meanOfSquares?, step?):
                (newMeans[index], newMeansOfSquares[index], newSteps[index]) = (mean, meanOfSquares, step)
            default:
                throw reader.fail("parameter \(index) needs all of exp_avg, exp_avg_sq and step, or none")
            }
        }
        (means, meansOfSquares, steps) = (newMeans, newMeansOfSquares, newSteps)
        if let lr = reader.learningRate { learningRate = lr }
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter 2019), as `torch.optim.AdamW`:
/// each step first shrinks the weights, `w ← w · (1 − learningRate · weightDecay)`, then
/// takes Adam's step with the undecayed gradient. The default decay is PyTorch's 0.01.
///
/// ```swift
/// let optimizer = AdamW(model.parameters(), learningRate: 1e-3, weightDecay: 0.05)
/// ```
public final class AdamW<Scalar: NDScalar>: Adam<Scalar> {
    public init(_ parameters: [Tensor<Scalar>], learningRate: Double = 1e-3,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0.01) {
        super.init(parameters, learningRate: learningRate, betas: betas, eps: eps,
                   weightDecay: weightDecay, decoupled: true)
    }
}
