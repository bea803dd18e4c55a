/// The activation between the linear layers of an ``MLP``.
public enum Activation: Sendable, Equatable, CustomStringConvertible {
    /// `max(0, x)`.
    case relu
    /// `x` for x > 0, `alpha·(eˣ − 1)` otherwise.
    case elu(alpha: Double)

    public var description: String {
        switch self {
        case .relu: "relu"
        case .elu(let alpha): "elu(alpha: \(alpha))"
        }
    }
}

/// A hidden activation by its concrete type, so the MLP calls it directly.
enum HiddenActivation<Scalar: NDScalar> {
    case relu(ReLU<Scalar>)
    case elu(ELU<Scalar>)

    var layer: any Layer<Scalar> {
        switch self {
        case .relu(let module): module
        case .elu(let module): module
        }
    }

    func forward(_ x: NDArray<Scalar>) -> NDArray<Scalar> {
        switch self {
        case .relu(let module): module.forward(x)
        case .elu(let module): module.forward(x)
        }
    }

    func backward(_ gradient: NDArray<Scalar>) -> NDArray<Scalar> {
        switch self {
        case .relu(let module): module.backward(gradient)
        case .elu(let module): module.backward(gradient)
        }
    }
}
