import Foundation
import Training

/// The run every benchmark here measures, set up as `reference/common.py` sets it up for NumPy
/// and PyTorch: Fashion-MNIST, the last 5,000 training images (in file order) held out for
/// validation, shuffled batches of 128 (or `batchSize`).
///
/// ```swift
/// let (split, loader) = try DefaultRun.training(DefaultRun.loadDataset())
/// ```
public enum DefaultRun {
    /// Fashion-MNIST from `dataDirectory`, or from the usual places (Docs/Datasets.md).
    public static func loadDataset(from dataDirectory: String? = nil) throws -> Dataset {
        let locator = dataDirectory.map { DatasetLocator(dataDirectory: URL(fileURLWithPath: $0)) } ?? DatasetLocator()
        return try Dataset.load(.fashionMNIST, locator: locator)
    }

    /// The training/validation split of `dataset` and the loader of its training batches.
    public static func training(_ dataset: Dataset, batchSize: Int = 128, seed: UInt64 = 42) throws
        -> (split: DataSplit, loader: DataLoader)
    {
        let split = try DataSplit(dataset, validationCount: 5_000, shuffle: false, seed: seed)
        return (split, DataLoader.training(split.train, normalization: split.normalization, batchSize: batchSize, seed: seed))
    }
}

/// Wall-clock seconds from `start` until now.
public func seconds(since start: ContinuousClock.Instant) -> Double { (ContinuousClock.now - start) / .seconds(1) }
