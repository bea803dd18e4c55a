import ArrayKit

extension nn {
    /// `max(0, x)` as a layer, as `torch.nn.ReLU`.
    ///
    /// ```swift
    /// let y = nn.ReLU<Float>()(x)
    /// ```
    public final class ReLU<Scalar: NDScalar>: Module<Scalar> {
        /// The layer; it has no parameters.
        public override init() { super.init() }
        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        public override func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.relu() }
    }

    /// `x` for x > 0, `alpha·(eˣ − 1)` otherwise, as `torch.nn.ELU`.
    ///
    /// ```swift
    /// let y = nn.ELU<Float>(alpha: 1)(x)
    /// ```
    public final class ELU<Scalar: NDScalar>: Module<Scalar> {
        /// The value the activation approaches for large negative inputs is `−alpha`.
        public let alpha: Scalar

        /// An ELU with the given `alpha`.
        public init(alpha: Scalar = 1) {
            self.alpha = alpha
            super.init()
        }

        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        public override func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.elu(alpha: alpha) }
    }

    /// Zeroes each element with probability `p` in training mode and scales the survivors
    /// by `1/(1 − p)`, so evaluation (identity) sees the same expected value, as
    /// `torch.nn.Dropout`. The masks come from its own seeded generator, so a run repeats.
    ///
    /// ```swift
    /// let dropout = nn.Dropout<Float>(p: 0.2, generator: SplitMix64(seed: 7))
    /// ```
    public final class Dropout<Scalar: NDScalar>: Module<Scalar> {
        /// The probability of zeroing an element.
        public let p: Double
        /// The source of the masks; part of the state to checkpoint for an exact resume.
        public var generator: SplitMix64

        /// Drops with probability `p`, in [0, 1], drawing the masks from `generator`.
        public init(p: Double = 0.5, generator: SplitMix64) {
            precondition(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got \(p)")
            self.p = p
            self.generator = generator
            super.init()
        }

        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        public override func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
            guard isTraining && p > 0 else { return input }
            return input * Tensor(NDArray<Scalar>.dropoutMask(input.shape, p: p, using: &generator))
        }
    }
}
