import ArrayKit

/// One batch: normalized features `[count, featureCount]` and the class of each row.
///
/// ```swift
/// for batch in loader.batches(epoch: 0) {
///     let logits = model(batch.features)        // [B, 10]
///     loss = crossEntropy(logits, batch.labels)
/// }
/// ```
public struct Batch: Sendable {
    /// `[count, featureCount]` normalized pixels, one sample per row.
    public let features: NDArray<Float>
    /// The class of each row.
    public let labels: [Int]
    /// The positions of the rows in the loader's image set (useful to replay an order).
    public let indices: ArraySlice<Int>

    /// The number of samples.
    public var count: Int { labels.count }
}

/// Turns a set of labeled images into batches of normalized features, in a seeded order
/// that changes every epoch, or in file order.
///
/// The order of epoch `e` depends only on `(seed, e)`, so epochs can be replayed, and two
/// loaders built alike (e.g. for two backends) give the same batches. Training loaders drop
/// the last partial batch (every step sees `batchSize` samples); evaluation loaders keep it,
/// so every sample is counted exactly once.
///
/// Batches are cheap: the rows are gathered and converted (one table lookup per pixel) into
/// a buffer that is reused from batch to batch when the previous batch is no longer held.
///
/// ```swift
/// let split = try DataSplit(dataset, seed: 42)
/// let train = DataLoader.training(split.train, normalization: split.normalization, batchSize: 128, seed: 42)
/// let validation = DataLoader.evaluation(split.validation, normalization: split.normalization, batchSize: 1000)
/// for epoch in 0..<10 {
///     for batch in train.batches(epoch: epoch) { /* step */ }
/// }
/// ```
public struct DataLoader: Sendable {
    /// The samples the batches are drawn from.
    public let images: LabeledImages
    /// How pixels become features.
    public let normalization: Normalization
    /// Samples per batch (the last one may be smaller unless `dropLast`).
    public let batchSize: Int
    /// Whether every epoch draws a fresh seeded permutation (otherwise: file order).
    public let shuffle: Bool
    /// Whether a final batch smaller than `batchSize` is left out.
    public let dropLast: Bool
    /// The seed the per-epoch orders derive from.
    public let seed: UInt64
    private let table: [Float]

    /// A loader over `images` in batches of `batchSize` (positive); the other arguments set the
    /// properties of the same names.
    public init(_ images: LabeledImages, normalization: Normalization, batchSize: Int,
                shuffle: Bool, dropLast: Bool, seed: UInt64 = 0) {
        precondition(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
        self.images = images
        self.normalization = normalization
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.table = normalization.lookupTable()
    }

    /// A loader for training: reshuffled every epoch (unless `shuffle` is false, as for
    /// `--no-shuffle`), last partial batch dropped.
    public static func training(_ images: LabeledImages, normalization: Normalization, batchSize: Int,
                                shuffle: Bool = true, seed: UInt64) -> DataLoader {
        DataLoader(images, normalization: normalization, batchSize: batchSize, shuffle: shuffle, dropLast: true, seed: seed)
    }

    /// A loader for evaluation: file order, every sample in some batch.
    public static func evaluation(_ images: LabeledImages, normalization: Normalization,
                                  batchSize: Int = 1_000) -> DataLoader {
        DataLoader(images, normalization: normalization, batchSize: batchSize, shuffle: false, dropLast: false)
    }

    /// Batches per epoch.
    public var batchCount: Int {
        dropLast ? images.count / batchSize : (images.count + batchSize - 1) / batchSize
    }

    /// Samples per epoch (all of them, unless the last partial batch is dropped).
    public var sampleCount: Int { dropLast ? batchCount * batchSize : images.count }

    /// The order in which epoch `epoch` visits the samples.
    public func order(epoch: Int) -> [Int] {
        precondition(epoch >= 0, "DataLoader.order: epoch must be ≥ 0, got \(epoch)")
        guard shuffle else { return Array(0..<images.count) }
        var generator = SplitMix64.stream(seed: seed, purpose: .shuffle, index: UInt64(epoch))
        return generator.permutation(images.count)
    }

    /// The batches of epoch `epoch`.
    public func batches(epoch: Int = 0) -> Batches {
        Batches(loader: self, order: order(epoch: epoch))
    }

    /// The batches of one epoch, in order.
    public struct Batches: Sequence, Sendable {
        let loader: DataLoader
        let order: [Int]

        public func makeIterator() -> Iterator { Iterator(loader: loader, order: order) }

        /// Produces the batches, reusing one feature buffer when it can.
        public struct Iterator: IteratorProtocol {
            let loader: DataLoader
            let order: [Int]
            var position = 0
            var buffer = NDArray<Float>.zeros([0, 0])

            public mutating func next() -> Batch? {
                let end = loader.dropLast ? loader.batchCount * loader.batchSize : order.count
                let n = Swift.min(loader.batchSize, end - position)
                guard n > 0 else { return nil }
                let width = loader.images.featureCount
                if buffer.shape != [n, width] { buffer = .zeros([n, width]) }
                let rows = order[position..<(position + n)]
                // Per row range, on all threads: the rows sit at random places in a set
                // larger than the cache, so each row is requested eight rows ahead of its
                // lookups, and the memory system fetches several at once instead of the
                // lookups waiting on each row's misses in turn. When the previous batch has
                // been released the buffer is uniquely owned and is written in place;
                // otherwise copy-on-write gives the caller's copy its own.
                buffer.withUnsafeMutableBufferPointer { out in
                    loader.images.pixels.withUnsafeBufferPointer { pixels in
                        loader.table.withUnsafeBufferPointer { table in
                            rows.withUnsafeBufferPointer { rows in
                                Parallel.forEachRange(n, minimum: 16) { range in
                                    // Local copies: read through the closure's context, every store to `out` could alias
                                    // the pointers, and the loop would reload them.
                                    let (out, table, pixels, rows) = (out, table, pixels, rows)
                                    let ahead = 8
                                    func row(_ index: Int) -> UnsafePointer<UInt8> {
                                        pixels.baseAddress! + rows[index] * width
                                    }
                                    for index in range.prefix(ahead) { prefetch(row(index), bytes: width) }
                                    for index in range {
                                        if index + ahead < range.upperBound { prefetch(row(index + ahead), bytes: width) }
                                        let source = row(index), target = out.baseAddress! + index * width
                                        for j in 0..<width { target[j] = table[Int(source[j])] }
                                    }
                                }
                            }
                        }
                    }
                }
                let labels = loader.images.labels
                position += n
                return Batch(features: buffer, labels: rows.map { Int(labels[$0]) }, indices: rows)
            }
        }
    }
}

extension LabeledImages {
    /// All samples as one normalized feature matrix `[count, featureCount]`.
    ///
    /// ```swift
    /// let x = split.test.features(split.normalization)   // [10000, 784]
    /// ```
    public func features(_ normalization: Normalization) -> NDArray<Float> {
        let table = normalization.lookupTable()
        let values = pixels.map { table[Int($0)] }
        return NDArray(values, shape: [count, featureCount])
    }

    /// The labels as `Int` class indices.
    public var classIndices: [Int] { labels.map(Int.init) }
}
