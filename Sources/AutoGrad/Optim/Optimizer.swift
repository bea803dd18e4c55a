import ArrayKit

/// Updates parameters from their gradients, in the role of `torch.optim.Optimizer` with
/// one parameter group. Updates are made in place on each parameter's `data`, outside any
/// graph; a parameter whose `grad` is `nil` is skipped, as in PyTorch.
///
/// ```swift
/// let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9)
/// for batch in batches {
///     optimizer.zeroGrad()
///     let loss = crossEntropy(logits: model(batch.x), labels: batch.y)
///     loss.backward()
///     optimizer.step()
/// }
/// ```
public protocol Optimizer<Scalar>: AnyObject {
    /// The element type of the parameters, `Float` or `Double`.
    associatedtype Scalar: NDScalar

    /// The tensors this optimizer updates, in a fixed order (state keys use their index).
    var parameters: [Tensor<Scalar>] { get }
    /// The step size; a schedule sets it between steps.
    var learningRate: Double { get set }

    /// Applies one update to every parameter that has a gradient.
    func step()

    /// The optimizer's state (momentum buffers, moment estimates, step counts and the
    /// learning rate) under PyTorch-like flat names such as `state.0.exp_avg` and
    /// `param_groups.0.lr`, ready to save next to the model's weights.
    func stateDict() -> [String: NDArray<Scalar>]

    /// Replaces the optimizer's state with one saved by ``stateDict()``; throws if a key
    /// is unknown, names a parameter that does not exist, or has the wrong shape.
    func load(stateDict: [String: NDArray<Scalar>]) throws(OptimizerStateError)
}

extension Optimizer {
    /// Sets every parameter's gradient to `nil`, as PyTorch's `zero_grad(set_to_none=True)`:
    /// the next `backward()` then writes fresh gradients instead of adding to old ones.
    ///
    /// ```swift
    /// optimizer.zeroGrad()
    /// ```
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}

/// A saved optimizer state that does not fit this optimizer.
public struct OptimizerStateError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

/// Checks the parameter list every optimizer receives.
func checkDistinct<Scalar>(_ parameters: [Tensor<Scalar>], optimizer: String) {
    let distinct = Set(parameters.map(ObjectIdentifier.init))
    precondition(distinct.count == parameters.count,
                 "\(optimizer): the same tensor appears more than once among its \(parameters.count) parameters")
}

/// The gradient of parameter `index`, checked against its data's shape.
func gradient<Scalar>(of parameter: Tensor<Scalar>, index: Int, optimizer: String) -> NDArray<Scalar>? {
    guard let grad = parameter.grad else { return nil }
    precondition(grad.shape == parameter.data.shape,
                 "\(optimizer).step: parameter \(index) has shape \(shapeText(parameter.data.shape)) but its gradient has shape \(shapeText(grad.shape))")
    return grad
}

/// Reads a flat state dict back into per-parameter slots: `state.<i>.<field>` and
/// `param_groups.0.lr`. Buffers must have their parameter's shape, counters shape `[]`.
struct StateDictReader<Scalar: NDScalar> {
    let parameterShapes: [[Int]]
    let bufferFields: Set<String>
    let counterFields: Set<String>
    let optimizer: String

    var learningRate: Double?
    var buffers: [[String: NDArray<Scalar>]]
    var counters: [[String: Int]]

    init(parameterShapes: [[Int]], bufferFields: Set<String>, counterFields: Set<String>, optimizer: String) {
        self.parameterShapes = parameterShapes
        self.bufferFields = bufferFields
        self.counterFields = counterFields
        self.optimizer = optimizer
        buffers = Array(repeating: [:], count: parameterShapes.count)
        counters = Array(repeating: [:], count: parameterShapes.count)
    }

    mutating func read(_ dict: [String: NDArray<Scalar>]) throws(OptimizerStateError) {
        for (key, value) in dict.sorted(by: { $0.key < $1.key }) {
            if key == "param_groups.0.lr" {
                guard value.count == 1 else { throw fail("\(key) must hold one value, it has shape \(shapeText(value.shape))") }
                learningRate = Double(value.scalars[0])
                continue
            }
            let parts = key.split(separator: ".", maxSplits: 2).map(String.init)
            guard parts.count == 3, parts[0] == "state", let index = Int(parts[1]),
                  bufferFields.contains(parts[2]) || counterFields.contains(parts[2]) else {
                throw fail("unknown key \"\(key)\"; expected state.<index>.<\((bufferFields.union(counterFields)).sorted().joined(separator: "|"))> or param_groups.0.lr")
            }
            guard parameterShapes.indices.contains(index) else {
                throw fail("\(key) names parameter \(index), but this optimizer has \(parameterShapes.count) parameters")
            }
            if bufferFields.contains(parts[2]) {
                guard value.shape == parameterShapes[index] else {
                    throw fail("\(key) has shape \(shapeText(value.shape)) but parameter \(index) has shape \(shapeText(parameterShapes[index]))")
                }
                buffers[index][parts[2]] = value
            } else {
                guard value.count == 1, let count = Int(exactly: value.scalars[0]), count >= 0 else {
                    throw fail("\(key) must be one non-negative whole number, got \(value.scalars)")
                }
                counters[index][parts[2]] = count
            }
        }
    }

    func fail(_ message: String) -> OptimizerStateError {
        OptimizerStateError(description: "\(optimizer) state: \(message) — load a state saved by the same optimizer for the same model")
    }
}
