import ArrayKit

extension nn {
    /// Modules applied one after another, as `torch.nn.Sequential`; the children are named
    /// `"0"`, `"1"`, … so parameters read `"0.weight"`, `"2.bias"`. Build it from an array
    /// or with a result builder.
    ///
    /// ```swift
    /// var rng = SplitMix64(seed: 1)
    /// let model = nn.Sequential<Float> {
    ///     nn.Linear(784, 128, isInputLayer: true, using: &rng)
    ///     nn.ReLU()
    ///     nn.Linear(128, 10, using: &rng)
    /// }
    /// ```
    open class Sequential<Scalar: NDScalar>: Module<Scalar> {
        /// The modules, in the order they run.
        public let layers: [Module<Scalar>]

        /// A sequence of `layers`.
        public init(_ layers: [Module<Scalar>]) {
            self.layers = layers
            super.init()
            for (index, layer) in layers.enumerated() { register(module: layer, named: String(index)) }
        }

        /// A sequence written as a list of modules.
        public convenience init(@SequentialBuilder<Scalar> _ content: () -> [Module<Scalar>]) {
            self.init(content())
        }

        /// The module at `index`.
        public subscript(index: Int) -> Module<Scalar> { layers[index] }

        open override func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
            var x = input
            for layer in layers { x = layer(x) }
            return x
        }
    }

    /// Collects the modules written in a ``Sequential`` block, with `if`, `if/else` and
    /// `for` allowed.
    @resultBuilder
    public enum SequentialBuilder<Scalar: NDScalar> {
        /// One module.
        public static func buildExpression(_ module: Module<Scalar>) -> [Module<Scalar>] { [module] }
        /// Several modules, in order.
        public static func buildExpression(_ modules: [Module<Scalar>]) -> [Module<Scalar>] { modules }
        /// The modules of a block, in order.
        public static func buildBlock(_ parts: [Module<Scalar>]...) -> [Module<Scalar>] { parts.flatMap { $0 } }
        /// The modules of an `if` that ran, or none.
        public static func buildOptional(_ part: [Module<Scalar>]?) -> [Module<Scalar>] { part ?? [] }
        /// The modules of the `if` branch.
        public static func buildEither(first part: [Module<Scalar>]) -> [Module<Scalar>] { part }
        /// The modules of the `else` branch.
        public static func buildEither(second part: [Module<Scalar>]) -> [Module<Scalar>] { part }
        /// The modules of every pass through a `for` loop.
        public static func buildArray(_ parts: [[Module<Scalar>]]) -> [Module<Scalar>] { parts.flatMap { $0 } }
    }
}
