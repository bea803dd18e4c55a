import ArrayKit
import AutoGrad
import Dispatch

/// One estimate of the sharpness λ_max — the largest eigenvalue of the Hessian of the
/// training loss with respect to the parameters — with how the power iteration that found
/// it ended. Written into `history.json` (`initial_sharpness`, each epoch's `sharpness`).
///
/// Gradient descent on a quadratic with curvature λ is stable only for learning rates
/// η < 2/λ; ``stabilityThreshold`` is that bound for λ_max.
///
/// ```swift
/// let estimate = probe.estimate(model.module)
/// estimate.lambdaMax            // 28.3
/// estimate.stabilityThreshold   // 0.0707: 2/λ_max
/// ```
public struct SharpnessEstimate: Codable, Sendable, Equatable {
    /// The Rayleigh quotient vᵀHv of the last iterate (v of unit length): λ_max once converged.
    @NullWhenNonFinite public var lambdaMax: Double
    /// Hessian-vector products taken.
    public var iterations: Int
    /// Whether the estimate moved by at most the probe's ``SharpnessProbe/tolerance``
    /// (relative) in the last iteration; if not, ``SharpnessProbe/maxIterations`` ran out first.
    public var converged: Bool
    /// |λ_k − λ_(k−1)| / |λ_k| at the last iteration.
    @NullWhenNonFinite public var relativeChange: Double
    /// Wall-clock time of the estimate.
    @NullWhenNonFinite public var seconds: Double

    /// An estimate from its parts.
    public init(lambdaMax: Double, iterations: Int, converged: Bool, relativeChange: Double, seconds: Double) {
        self.lambdaMax = lambdaMax
        self.iterations = iterations
        self.converged = converged
        self.relativeChange = relativeChange
        self.seconds = seconds
    }

    /// 2/λ_max: the largest learning rate at which gradient descent on the local quadratic
    /// model of the loss does not diverge along the sharpest direction.
    public var stabilityThreshold: Double { 2 / lambdaMax }

    private enum CodingKeys: String, CodingKey {
        case lambdaMax = "lambda_max", iterations, converged, relativeChange = "relative_change", seconds
    }

    /// `λ_max 28.31 (2/λ 0.07066; 14 iterations, converged)`, for logs.
    public var summary: String {
        "λ_max \(compactNumber(lambdaMax, significantDigits: 4)) (2/λ \(compactNumber(stabilityThreshold, significantDigits: 4)); "
            + "\(iterations) iterations, " + (converged ? "converged" : "not converged, last change \(compactNumber(relativeChange, significantDigits: 2))") + ")"
    }
}

/// Measures the sharpness of a model's training loss on a fixed set of samples: the mean
/// loss over them, the model in evaluation mode (batch norm on its running statistics, no
/// dropout), by power iteration on Hessian-vector products (AutoGrad's
/// `HessianVectorProducts`: one recorded gradient, one backward pass through it per product).
///
/// The iteration starts from a fixed random direction (seed ``seed``) and stops when the
/// Rayleigh quotient changes by at most ``tolerance`` relative to itself, or after
/// ``maxIterations`` products. Power iteration finds the eigenvalue of largest magnitude; for
/// these losses that is the largest positive one (a negative result would say otherwise).
/// The model's parameters, buffers and training mode are left as they were.
///
/// ```swift
/// let probe = SharpnessProbe.firstSamples(1_000, of: split)
/// let estimate = probe.estimate(mlp)   // mean cross-entropy over the first 1,000 training samples
/// ```
public struct SharpnessProbe: Sendable {
    /// The seed of the starting direction.
    public static let seed: UInt64 = 2021
    /// The default ``tolerance``: the estimate to about 0.1 % (Docs/LearningRate.md measures
    /// what a tighter one changes).
    public static let defaultTolerance = 1e-5
    /// The default ``maxIterations``.
    public static let defaultMaxIterations = 300

    /// The samples, normalized as the run normalizes them, one per row.
    public let features: NDArray<Float>
    /// Their class labels, one per sample.
    public let labels: [Int]
    /// The relative change of the estimate at which the iteration stops.
    public let tolerance: Double
    /// The most Hessian-vector products one estimate takes.
    public let maxIterations: Int

    /// A probe of the loss over `features` and `labels`, measured to `tolerance` or `maxIterations` products.
    public init(features: NDArray<Float>, labels: [Int], tolerance: Double = SharpnessProbe.defaultTolerance,
                maxIterations: Int = SharpnessProbe.defaultMaxIterations) {
        precondition(features.rank == 2 && features.shape[0] == labels.count && !labels.isEmpty,
                     "SharpnessProbe: \(labels.count) labels for features \(shapeText(features.shape))")
        precondition(tolerance > 0 && maxIterations >= 1,
                     "SharpnessProbe: tolerance \(tolerance) must be positive and maxIterations \(maxIterations) at least 1")
        self.features = features
        self.labels = labels
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// The first `count` samples of `split`'s training set, in file order, normalized with
    /// the split's normalization.
    public static func firstSamples(_ count: Int, of split: DataSplit, tolerance: Double = SharpnessProbe.defaultTolerance,
                                    maxIterations: Int = SharpnessProbe.defaultMaxIterations) -> SharpnessProbe {
        precondition(count >= 1 && count <= split.train.count,
                     "SharpnessProbe: \(count) samples asked of a training set of \(split.train.count)")
        let loader = DataLoader.evaluation(split.train, normalization: split.normalization, batchSize: count)
        var batches = loader.batches().makeIterator()
        let batch = batches.next()!
        return SharpnessProbe(features: batch.features, labels: batch.labels, tolerance: tolerance,
                              maxIterations: maxIterations)
    }

    /// The number of samples.
    public var count: Int { labels.count }

    /// λ_max of `loss(module(features), labels)` over `module`'s parameters.
    public func estimate(_ module: nn.Module<Float>,
                         loss: (_ logits: Tensor<Float>, _ labels: [Int]) -> Tensor<Float> = { crossEntropy(logits: $0, labels: $1) })
        -> SharpnessEstimate {
        let start = DispatchTime.now().uptimeNanoseconds
        let wasTraining = module.isTraining
        module.eval()
        defer { module.train(wasTraining) }
        let parameters = module.parameters()
        let products = HessianVectorProducts(of: loss(module(Tensor(features)), labels), withRespectTo: parameters)

        var generator = SplitMix64(seed: Self.seed)
        var direction = Self.normalized(parameters.map { NDArray<Float>.randomNormal($0.shape, using: &generator) }).vector
        var estimate = Double.nan, change = Double.infinity, iterations = 0, converged = false
        while iterations < maxIterations && !converged {
            let product = products(direction)
            iterations += 1
            let next = Self.dot(direction, product)   // vᵀHv, ‖v‖ = 1
            change = iterations == 1 ? .infinity : Swift.abs(next - estimate) / Swift.abs(next)
            estimate = next
            converged = change <= tolerance
            let (unit, norm) = Self.normalized(product)
            guard norm > 0 && norm.isFinite else {
                converged = norm == 0   // H v = 0: v is in the null space, λ = 0 along it
                break
            }
            direction = unit
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return SharpnessEstimate(lambdaMax: estimate, iterations: iterations, converged: converged,
                                 relativeChange: change, seconds: seconds)
    }

    /// Σ aᵢ·bᵢ over every element of every array, accumulated in `Double`.
    static func dot(_ a: [NDArray<Float>], _ b: [NDArray<Float>]) -> Double {
        var total = 0.0
        for (x, y) in zip(a, b) {
            for (u, v) in zip(x.scalars, y.scalars) { total += Double(u) * Double(v) }
        }
        return total
    }

    /// The arrays divided by their joint Euclidean norm, and that norm.
    static func normalized(_ vector: [NDArray<Float>]) -> (vector: [NDArray<Float>], norm: Double) {
        let norm = dot(vector, vector).squareRoot()
        guard norm > 0 && norm.isFinite else { return (vector, norm) }
        let scale = Float(1 / norm)
        return (vector.map { $0 * scale }, norm)
    }
}
