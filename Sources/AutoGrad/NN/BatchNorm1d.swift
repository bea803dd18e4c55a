import ArrayKit

extension nn {
    /// Batch normalization over the features of a `(batch, features)` input, as
    /// `torch.nn.BatchNorm1d`. In training mode it normalizes with the batch's mean and
    /// biased variance and updates the running statistics (momentum 0.1, the running
    /// variance unbiased, as PyTorch); in evaluation mode it uses the running statistics.
    /// Parameters `"weight"`, `"bias"`; buffers `"running_mean"`, `"running_var"`.
    ///
    /// ```swift
    /// let norm = nn.BatchNorm1d<Float>(128)
    /// let y = norm(x)                     // (S, 128), each column mean 0, variance ≈ 1
    /// ```
    public final class BatchNorm1d<Scalar: NDScalar>: Module<Scalar> {
        /// The per-feature scale γ (`nil` without `affine`), starting at 1.
        public let weight: Tensor<Scalar>?
        /// The per-feature shift β (`nil` without `affine`), starting at 0.
        public let bias: Tensor<Scalar>?
        /// The running mean, starting at 0.
        public let runningMean: Tensor<Scalar>
        /// The running (unbiased) variance, starting at 1.
        public let runningVar: Tensor<Scalar>
        /// Training batches seen, PyTorch's `num_batches_tracked`. An integer, so not in
        /// ``Module/stateDict()``; ``Module/namedIntegerBuffers()``, ``Module/save(to:metadata:)``
        /// and the `load` methods carry it as PyTorch's int64 `"N.num_batches_tracked"`.
        public var numBatchesTracked = 0
        /// Added to the variance before the square root.
        public let eps: Double
        /// The weight of the newest batch in the running statistics.
        public let momentum: Double

        /// Normalizes `features` features (positive); without `affine`, no learned scale and shift (PyTorch's defaults).
        public init(_ features: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) {
            precondition(features > 0, "BatchNorm1d: features must be positive, got \(features)")
            weight = affine ? Tensor(.ones([features]), requiresGrad: true) : nil
            bias = affine ? Tensor(.zeros([features]), requiresGrad: true) : nil
            runningMean = Tensor(.zeros([features]))
            runningVar = Tensor(.ones([features]))
            self.eps = eps
            self.momentum = momentum
            super.init()
            if let weight, let bias {
                register(parameter: weight, named: "weight")
                register(parameter: bias, named: "bias")
            }
            register(buffer: runningMean, named: "running_mean")
            register(buffer: runningVar, named: "running_var")
        }

        /// The number of features.
        public var features: Int { runningMean.shape[0] }

        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        public override func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
            precondition(input.data.rank == 2 && input.shape[1] == features,
                         "BatchNorm1d: input \(shapeText(input.shape)) does not fit \(features) features — expected (batch, \(features))")
            if isTraining {
                let batch = input.shape[0]
                precondition(batch > 1, "BatchNorm1d: training needs more than 1 sample per feature, got input \(shapeText(input.shape))")
                let (output, mean, variance) = batchNorm(input, weight: weight, bias: bias, epsilon: eps)
                NDArray.batchNormUpdateRunningStatistics(runningMean: &runningMean.data, runningVariance: &runningVar.data,
                                                         mean: mean, variance: variance, batch: batch, momentum: momentum)
                numBatchesTracked += 1
                return output
            }
            let inverseStd = (runningVar.data + Scalar(eps)).sqrt().map { 1 / $0 }
            return batchNormInference(input, mean: runningMean.data, inverseStd: inverseStd, weight: weight, bias: bias)
        }
    }
}
