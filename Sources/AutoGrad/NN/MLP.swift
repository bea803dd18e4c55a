import ArrayKit

extension nn {
    /// The assignment's PyTorch MLP: for each hidden width a `Linear`, an optional
    /// `BatchNorm1d` and the activation, then a final `Linear` to the classes — logits, no
    /// softmax (the loss applies it). A ``Sequential``, so parameter names match the same
    /// `torch.nn.Sequential`: `"0.weight"`, `"0.bias"`, (`"1.weight"`, `"1.running_mean"`, …
    /// with batch norm), `"2.weight"`, …
    ///
    /// Weights are drawn layer by layer from `generator` as ArrayKit's `MLP` draws them: the
    /// first `Linear` is the input layer (std √(1/in)), every later one std √(2/in). With
    /// `dropout` > 0 a ``Dropout`` follows each activation (shifting later names, as in PyTorch);
    /// their mask generators are seeded from `generator` after every weight, so the weights are
    /// those of the same MLP without dropout.
    ///
    /// ```swift
    /// var rng = SplitMix64(seed: 42)
    /// let model = nn.MLP<Float>(inputs: 784, hidden: [128], classes: 10, using: &rng)
    /// let loss = crossEntropy(logits: model(x), labels: y)
    /// ```
    public final class MLP<Scalar: NDScalar>: Sequential<Scalar> {
        /// The nonlinearity after each hidden layer.
        /// The nonlinearity after each hidden layer; the same type ArrayKit's MLP takes.
        public typealias Activation = ArrayKit.Activation

        /// An MLP from `inputs` features through `hidden` widths (empty for multinomial
        /// logistic regression) to `classes` logits.
        public init(inputs: Int, hidden: [Int], classes: Int, batchNorm: Bool = false,
                    activation: Activation = .relu, dropout: Double = 0, using generator: inout SplitMix64) {
            var layers: [Module<Scalar>] = []
            var dropouts: [Dropout<Scalar>] = []
            var width = inputs
            for (index, size) in hidden.enumerated() {
                layers.append(Linear<Scalar>(width, size, isInputLayer: index == 0, using: &generator))
                if batchNorm { layers.append(BatchNorm1d<Scalar>(size)) }
                switch activation {
                case .relu: layers.append(ReLU<Scalar>())
                case .elu(let alpha): layers.append(ELU<Scalar>(alpha: Scalar(alpha)))
                }
                if dropout > 0 {
                    dropouts.append(Dropout<Scalar>(p: dropout, generator: SplitMix64(seed: 0)))
                    layers.append(dropouts.last!)
                }
                width = size
            }
            layers.append(Linear<Scalar>(width, classes, isInputLayer: hidden.isEmpty, using: &generator))
            for layer in dropouts { layer.generator = SplitMix64(seed: generator.next()) }
            super.init(layers)
        }

        /// The linear layers, input first.
        public var linearLayers: [Linear<Scalar>] { layers.compactMap { $0 as? Linear<Scalar> } }
    }
}
