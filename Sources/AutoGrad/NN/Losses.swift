import ArrayKit

extension nn {
    /// The mean cross-entropy of logits against integer class labels, as
    /// `torch.nn.CrossEntropyLoss()`; the model outputs logits, no softmax.
    ///
    /// ```swift
    /// let criterion = nn.CrossEntropyLoss()
    /// let loss = criterion(model(x), labels: y)
    /// ```
    public struct CrossEntropyLoss: Sendable {
        /// The loss; it has no settings.
        public init() {}

        /// The mean cross-entropy of `logits` (samples, classes) against one class index per sample.
        public func callAsFunction<Scalar>(_ logits: Tensor<Scalar>, labels: [Int]) -> Tensor<Scalar> {
            crossEntropy(logits: logits, labels: labels)
        }
    }

    /// The mean squared error over all elements, as `torch.nn.MSELoss()`.
    ///
    /// ```swift
    /// let loss = nn.MSELoss()(prediction, target)
    /// ```
    public struct MSELoss: Sendable {
        /// The loss; it has no settings.
        public init() {}

        /// The mean of `(prediction − target)²` over all elements; the shapes must be equal.
        public func callAsFunction<Scalar>(_ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>) -> Tensor<Scalar> {
            precondition(prediction.shape == target.shape,
                         "MSELoss: prediction \(shapeText(prediction.shape)) and target \(shapeText(target.shape)) differ")
            let difference = prediction - target
            return (difference * difference).mean()
        }
    }
}
