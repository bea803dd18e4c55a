import ArrayKit

/// Stochastic gradient descent with PyTorch's `torch.optim.SGD` semantics. For each
/// parameter `w` with gradient `g`:
///
///     g ← g + weightDecay · w                       (L2 penalty, if weightDecay ≠ 0)
///     b ← g                         on the first step (no dampening), then
///     b ← momentum · b + (1 − dampening) · g        (if momentum ≠ 0)
///     g ← g + momentum · b  if nesterov, else g ← b
///     w ← w − learningRate · g
///
/// ```swift
/// let optimizer = SGD(model.parameters(), learningRate: 0.05, momentum: 0.9, nesterov: true)
/// optimizer.step()
/// ```
public final class SGD<Scalar: NDScalar>: Optimizer {
    public let parameters: [Tensor<Scalar>]
    public var learningRate: Double
    /// Settable so a schedule (e.g. ``OneCycleLR``) can cycle it.
    public var momentum: Double
    /// The share of the new gradient held back from the momentum buffer, `(1 − dampening) · g`.
    public var dampening: Double
    /// Whether the update uses Nesterov momentum, `g + momentum · b`.
    public let nesterov: Bool
    /// The L2 penalty added to the gradient, `weightDecay · w`.
    public var weightDecay: Double
    /// PyTorch's `momentum_buffer`, created on a parameter's first step with momentum.
    private var buffers: [NDArray<Scalar>?]

    /// Creates the optimizer; defaults are PyTorch's (no momentum, no decay).
    public init(_ parameters: [Tensor<Scalar>], learningRate: Double, momentum: Double = 0,
                dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(learningRate >= 0, "SGD: learning rate must be ≥ 0, got \(learningRate)")
        precondition(momentum >= 0, "SGD: momentum must be ≥ 0, got \(momentum)")
        precondition(weightDecay >= 0, "SGD: weight decay must be ≥ 0, got \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum \(momentum), dampening \(dampening)")
        checkDistinct(parameters, optimizer: "SGD")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.buffers = Array(repeating: nil, count: parameters.count)
    }

    // Specialized here because callers in other modules see only the generic entry
    // point; unspecialized, the element loop costs ~10× more (see the commit message).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step() {
        let lr = Scalar(learningRate), mu = Scalar(momentum), decay = Scalar(weightDecay)
        for (index, parameter) in parameters.enumerated() {
            guard let grad = gradient(of: parameter, index: index, optimizer: "SGD") else { continue }
            guard momentum != 0 else {
                parameter.data.sgdUpdate(gradient: grad, learningRate: lr, weightDecay: decay)
                continue
            }
            let first = buffers[index] == nil
            if first { buffers[index] = NDArray.zeros(parameter.data.shape) }
            parameter.data.sgdMomentumUpdate(gradient: grad, buffer: &buffers[index]!, isFirstStep: first,
                                             learningRate: lr, momentum: mu, dampening: Scalar(dampening),
                                             nesterov: nesterov, weightDecay: decay)
        }
    }

    public func stateDict() -> [String: NDArray<Scalar>] {
        var dict: [String: NDArray<Scalar>] = ["param_groups.0.lr": NDArray(scalar: Scalar(learningRate))]
        for (index, buffer) in buffers.enumerated() {
            if let buffer { dict["state.\(index).momentum_buffer"] = buffer }
        }
        return dict
    }

    public func load(stateDict: [String: NDArray<Scalar>]) throws(OptimizerStateError) {
        var reader = StateDictReader<Scalar>(parameterShapes: parameters.map(\.data.shape),
                                             bufferFields: ["momentum_buffer"], counterFields: [], optimizer: "SGD")
        try reader.read(stateDict)
        buffers = reader.buffers.map { $0["momentum_buffer"] }
        if let lr = reader.learningRate { learningRate = lr }
    }
}
