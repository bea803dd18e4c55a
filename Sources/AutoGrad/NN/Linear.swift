import ArrayKit

extension nn {
    /// A fully connected layer, `y = x Wᵀ + b`, as `torch.nn.Linear`: weight stored
    /// `[out, in]`, bias `[out]`, parameters named `"weight"` and `"bias"`.
    ///
    /// The weights are Kaiming-normal, drawn exactly as ArrayKit's `Linear` draws them (same
    /// generator, same row-major order, same standard deviation), so both backends start
    /// from identical weights for the same seed.
    ///
    /// ```swift
    /// var rng = SplitMix64(seed: 42)
    /// let layer = nn.Linear<Float>(784, 128, isInputLayer: true, using: &rng)
    /// let y = layer(x)                      // (S, 784) → (S, 128)
    /// ```
    public final class Linear<Scalar: NDScalar>: Module<Scalar> {
        /// `[out, in]`.
        public let weight: Tensor<Scalar>
        /// `[out]`, or `nil` for a layer without bias.
        public let bias: Tensor<Scalar>?

        /// A layer from `inFeatures` to `outFeatures` with Kaiming-normal weights, std
        /// √(2/in) — the variance that keeps a ReLU network's activations at a steady scale
        /// — or √(1/in) for an input layer, whose inputs are data rather than ReLU outputs
        /// (half of which are zero). The bias starts at zero.
        public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, isInputLayer: Bool = false,
                    using generator: inout SplitMix64) {
            precondition(inFeatures > 0 && outFeatures > 0,
                         "Linear: features must be positive, got \(inFeatures) → \(outFeatures)")
            // In Scalar arithmetic, as ArrayKit's Linear computes it: through Double, a Float
            // std can round to the neighbouring value and every weight would differ by an ulp.
            let std = (Scalar(isInputLayer ? 1 : 2) / Scalar(inFeatures)).squareRoot()
            let w = NDArray<Scalar>.randomNormal([outFeatures, inFeatures], std: std, using: &generator)
            self.weight = Tensor(w, requiresGrad: true)
            self.bias = bias ? Tensor(.zeros([outFeatures]), requiresGrad: true) : nil
            super.init()
            registerParameters()
        }

        /// A layer with the given weight `[out, in]` and bias `[out]` (copied in), e.g. to
        /// start from another backend's weights.
        ///
        /// ```swift
        /// let layer = nn.Linear(weight: manual.weight, bias: manual.bias)
        /// ```
        public init(weight: NDArray<Scalar>, bias: NDArray<Scalar>?) {
            precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(shapeText(weight.shape))")
            if let bias {
                precondition(bias.shape == [weight.shape[0]],
                             "Linear: bias \(shapeText(bias.shape)) does not fit weight \(shapeText(weight.shape))")
            }
            self.weight = Tensor(weight, requiresGrad: true)
            self.bias = bias.map { Tensor($0, requiresGrad: true) }
            super.init()
            registerParameters()
        }

        private func registerParameters() {
            register(parameter: weight, named: "weight")
            if let bias { register(parameter: bias, named: "bias") }
        }

        /// The input width.
        public var inFeatures: Int { weight.shape[1] }
        /// The output width.
        public var outFeatures: Int { weight.shape[0] }

        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        public override func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
            linear(input, weight: weight, bias: bias)
        }
    }
}
