import RealModule

/// A fully connected layer, `Y = X Wᵀ + b`, with `W` stored `[out, in]` as PyTorch stores it.
///
/// Weights start Kaiming-normal (He et al. 2015): std √(2/in), so that behind a ReLU,
/// which zeroes half of its input and so halves the second moment, the pre-activations
/// keep unit variance from layer to layer. The input layer uses √(1/in) instead: its
/// inputs are the data, not ReLU outputs, so no half is lost and the factor 2 would
/// double the variance. Biases start at zero.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let fc = Linear<Float>(inFeatures: 784, outFeatures: 128, isInputLayer: true, using: &rng)
/// let y = fc.forward(x)              // (S, 128)
/// let dx = fc.backward(dy)           // (S, 784); fc.weightGradient, fc.biasGradient set
/// ```
public final class Linear<Scalar: NDScalar>: Layer {
    /// The input width, the columns of `weight`.
    public let inFeatures: Int
    /// The output width, the rows of `weight`.
    public let outFeatures: Int
    /// `W`, shape `[outFeatures, inFeatures]`.
    public var weight: NDArray<Scalar>
    /// `b`, shape `[outFeatures]`.
    public var bias: NDArray<Scalar>
    /// ∂L/∂W from the last `backward`.
    public private(set) var weightGradient: NDArray<Scalar>
    /// ∂L/∂b from the last `backward`.
    public private(set) var biasGradient: NDArray<Scalar>

    private var input: NDArray<Scalar>?
    private var outputBuffer: NDArray<Scalar>?
    private var inputGradientBuffer: NDArray<Scalar>?

    /// A layer with Kaiming-normal weights drawn from `generator` and zero biases.
    public init(inFeatures: Int, outFeatures: Int, isInputLayer: Bool = false,
                using generator: inout SplitMix64) {
        precondition(inFeatures >= 1 && outFeatures >= 1,
                     "Linear: needs at least one input and one output feature, got \(inFeatures) → \(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let std = Scalar.sqrt((isInputLayer ? 1 : 2) / Scalar(inFeatures))
        weight = .randomNormal([outFeatures, inFeatures], std: std, using: &generator)
        bias = .zeros([outFeatures])
        weightGradient = .zeros([outFeatures, inFeatures])
        biasGradient = .zeros([outFeatures])
    }

    /// A layer initialised from its own generator seeded with `seed`.
    public convenience init(inFeatures: Int, outFeatures: Int, isInputLayer: Bool = false, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        self.init(inFeatures: inFeatures, outFeatures: outFeatures, isInputLayer: isInputLayer,
                  using: &generator)
    }

    // The public entry points are pre-specialized, as MLP's are: called from another module
    // they would otherwise run the generic code, every element loop through witness tables.

    /// `Y = X Wᵀ + b` (Derivations 2.a, ``NDArray/affine(_:weight:bias:into:)``): W is read
    /// transposed in place by gemm, never copied.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: NDArray<Scalar>) -> NDArray<Scalar> {
        precondition2D(input, width: inFeatures, "Linear.forward")
        var output = NDArray.reusing(&outputBuffer, rows: input.shape[0], columns: outFeatures)
        NDArray.affine(input, weight: weight, bias: bias, into: &output)
        self.input = input
        outputBuffer = output
        return output
    }

    /// Derivations 2.a: dW = dYᵀ X, db = 1ᵀ dY (column sums), dX = dY W.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ gradOutput: NDArray<Scalar>) -> NDArray<Scalar> {
        backwardParameters(gradOutput)
        let samples = gradOutput.shape[0]
        var gradInput = NDArray.reusing(&inputGradientBuffer, rows: samples, columns: inFeatures)
        NDArray.gemm(gradOutput, weight, into: &gradInput)
        inputGradientBuffer = gradInput
        return gradInput
    }

    /// dW and db only, without dX: for the input layer, whose dX (an (S, in) gemm as
    /// large as the forward product) nothing reads.
    ///
    /// ```swift
    /// _ = fc.forward(x)
    /// fc.backwardParameters(dy)          // fc.weightGradient, fc.biasGradient set
    /// ```
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backwardParameters(_ gradOutput: NDArray<Scalar>) {
        guard let input else { preconditionFailure("Linear.backward: no cached input — call forward first") }
        precondition(gradOutput.isMatrix(input.shape[0], outFeatures),
                     "Linear.backward: gradient \(shapeText(gradOutput.shape)) does not match the output "
                     + "\(shapeText([input.shape[0], outFeatures]))")
        NDArray.gemm(gradOutput, input, into: &weightGradient, transposeA: true)
        NDArray.columnSums(of: gradOutput, into: &biasGradient)
    }

    /// W ← W − η ∂L/∂W and b ← b − η ∂L/∂b, in the parameters' own storage.
    ///
    /// ```swift
    /// fc.backwardParameters(dy)
    /// fc.sgdStep(learningRate: 0.1)
    /// ```
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sgdStep(learningRate: Scalar) {
        weight.sgdUpdate(gradient: weightGradient, learningRate: learningRate)
        bias.sgdUpdate(gradient: biasGradient, learningRate: learningRate)
    }

    public func clearCache() { input = nil }

    public var parameters: [(name: String, value: NDArray<Scalar>)] {
        [("weight", weight), ("bias", bias)]
    }

    public var gradients: [(name: String, value: NDArray<Scalar>)] {
        [("weight", weightGradient), ("bias", biasGradient)]
    }

    public func setParameter(named name: String, to value: NDArray<Scalar>) {
        switch name {
        case "weight":
            precondition(value.shape == weight.shape,
                         "Linear.setParameter: weight must be \(shapeText(weight.shape)), got \(shapeText(value.shape))")
            weight = value
        case "bias":
            precondition(value.shape == bias.shape,
                         "Linear.setParameter: bias must be \(shapeText(bias.shape)), got \(shapeText(value.shape))")
            bias = value
        default:
            preconditionFailure("Linear.setParameter: no parameter named \"\(name)\" (weight, bias)")
        }
    }
}
