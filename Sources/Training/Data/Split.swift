import ArrayKit

/// The scalar mean and standard deviation of all pixels (scaled to [0, 1]) of a training
/// split, and the map from a byte to its normalized feature. Recorded in a run's history.
///
/// A pixel `v` becomes `(Float(v) / 255 - mean) / std`, evaluated in `Float` in that order:
/// the same operations, so the same bits, as torchvision's `ToTensor` then `Normalize`, or
/// NumPy's `(x.astype(np.float32) / 255 - mean) / std` with `float32` scalars.
///
/// ```swift
/// let normalization = Normalization.fit(split.train)   // ≈ (0.286, 0.353) for Fashion-MNIST
/// normalization.normalize(255)                          // ≈ 2.02
/// ```
public struct Normalization: Sendable, Equatable, Codable {
    /// The mean of all pixels after scaling to [0, 1].
    public let mean: Float
    /// Their population standard deviation (NumPy's default `ddof = 0`).
    public let std: Float

    /// A normalization with the given statistics; both must be finite, `std` positive.
    public init(mean: Float, std: Float) {
        precondition(mean.isFinite && std.isFinite && std > 0,
                     "Normalization: mean \(mean) and std \(std) must be finite, std positive")
        self.mean = mean
        self.std = std
    }

    /// The statistics of every pixel of `images`. They are computed from a 256-bin
    /// histogram in `Double`, so they are exact up to one final rounding to `Float`, and
    /// independent of the order of the samples. A set whose pixels are all equal has no
    /// spread to divide by; it is only centred (`std` = 1).
    public static func fit(_ images: LabeledImages) -> Normalization {
        var histogram = [Int](repeating: 0, count: 256)
        histogram.withUnsafeMutableBufferPointer { bins in
            images.pixels.withUnsafeBufferPointer { pixels in
                for p in pixels { bins[Int(p)] += 1 }
            }
        }
        let total = Double(images.pixels.count)
        precondition(total > 0, "Normalization.fit: no pixels")
        var mean = 0.0
        for v in 0..<256 { mean += Double(histogram[v]) * (Double(v) / 255) }
        mean /= total
        var variance = 0.0
        for v in 0..<256 {
            let d = Double(v) / 255 - mean
            variance += Double(histogram[v]) * d * d
        }
        variance /= total
        let std = Float(variance.squareRoot())
        return Normalization(mean: Float(mean), std: std > 0 ? std : 1)
    }

    /// The normalized feature of one pixel.
    @inlinable
    public func normalize(_ pixel: UInt8) -> Float {
        (Float(pixel) / 255 - mean) / std
    }

    /// `normalize(v)` for every byte `v`: converting a batch is then one lookup per pixel.
    public func lookupTable() -> [Float] {
        (0..<256).map { normalize(UInt8($0)) }
    }
}

/// Training, validation and test samples with the normalization fitted on training alone.
///
/// With `shuffle`, the validation samples are a seeded random choice from the training
/// file; without it they are the file's last `validationCount` samples, so another framework
/// can rebuild the same split. Either way both sets keep file order.
///
/// ```swift
/// let split = try DataSplit(dataset, validationCount: 5_000, shuffle: true, seed: 42)
/// split.train.count, split.validation.count    // 55000, 5000
/// split.normalization                           // record it in the run's history
/// ```
public struct DataSplit: Sendable {
    /// The samples to train on.
    public let train: LabeledImages
    /// The held-out samples for model selection.
    public let validation: LabeledImages
    /// The test samples, untouched.
    public let test: LabeledImages
    /// Positions in the training file of the validation samples, ascending.
    public let validationIndices: [Int]
    /// Mean and std of `train`'s pixels, applied to all three sets.
    public let normalization: Normalization

    /// Splits `dataset`'s training file.
    ///
    /// - Throws: ``DatasetError/tooFewSamples(dataset:count:validationCount:)`` when the
    ///   training file cannot give `validationCount` samples and keep at least one.
    public init(_ dataset: Dataset, validationCount: Int = 5_000, shuffle: Bool = true,
                seed: UInt64) throws(DatasetError) {
        precondition(validationCount >= 0, "DataSplit: validationCount must be ≥ 0, got \(validationCount)")
        let count = dataset.train.count
        guard validationCount < count else {
            throw .tooFewSamples(dataset: dataset.spec.displayName, count: count, validationCount: validationCount)
        }
        let validationIndices: [Int]
        if shuffle {
            var generator = SplitMix64.stream(seed: seed, purpose: .split)
            validationIndices = Array(generator.permutation(count).suffix(validationCount)).sorted()
        } else {
            validationIndices = Array((count - validationCount)..<count)
        }
        var isValidation = [Bool](repeating: false, count: count)
        for i in validationIndices { isValidation[i] = true }
        let trainIndices = (0..<count).filter { !isValidation[$0] }
        self.train = dataset.train.subset(trainIndices)
        self.validation = dataset.train.subset(validationIndices)
        self.test = dataset.test
        self.validationIndices = validationIndices
        self.normalization = Normalization.fit(train)
    }
}

/// Generators derived from a run's seed, one stream per purpose.
extension SplitMix64 {
    /// What a derived generator is for; each purpose gets its own unrelated stream.
    public enum Purpose: UInt64, Sendable {
        /// The split of the training file into training and validation samples.
        case split = 1
        /// The order of the training samples in each epoch.
        case shuffle = 2
    }

    /// An independent generator for `purpose` (and, e.g., an epoch `index`) derived from a
    /// run's `seed`. Seeding with `seed + index` instead would give overlapping streams:
    /// SplitMix64 seeded one Weyl step apart produces the same sequence shifted by one.
    ///
    /// ```swift
    /// var epochGenerator = SplitMix64.stream(seed: 42, purpose: .shuffle, index: 3)
    /// ```
    public static func stream(seed: UInt64, purpose: Purpose, index: UInt64 = 0) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed)
        let base = mixer.next()
        var scrambler = SplitMix64(seed: base ^ (purpose.rawValue &* 0xD1B5_4A32_D192_ED03) ^ (index &* 0x8CB9_2BA7_2F3D_8DD7))
        return SplitMix64(seed: scrambler.next())
    }
}
