import Dispatch
import Foundation

/// Images with their labels, as read from an IDX pair: pixels stay bytes (a quarter of the
/// memory of floats) until a ``DataLoader`` turns a batch of them into features.
///
/// ```swift
/// let train = dataset.train
/// train.count, train.featureCount   // 60000, 784
/// train.labels[0]                   // 9 ("Ankle boot")
/// ```
public struct LabeledImages: Sendable, Equatable {
    /// The number of samples.
    public let count: Int
    /// Rows per image.
    public let rows: Int
    /// Columns per image.
    public let columns: Int
    /// `count × rows × columns` pixels, 0…255, sample after sample.
    public let pixels: [UInt8]
    /// One label per sample, each below the dataset's class count.
    public let labels: [UInt8]

    /// Pairs `pixels` (of `count` images of `rows × columns`) with `labels`.
    public init(rows: Int, columns: Int, pixels: [UInt8], labels: [UInt8]) {
        precondition(rows > 0 && columns > 0 && pixels.count == labels.count * rows * columns,
                     "LabeledImages: \(pixels.count) pixels do not make \(labels.count) images of \(rows) × \(columns)")
        self.count = labels.count
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
        self.labels = labels
    }

    /// Pixels per image: the width of a feature row (784 for MNIST-style sets).
    public var featureCount: Int { rows * columns }

    /// The samples at `indices`, in that order.
    ///
    /// ```swift
    /// let firstTen = train.subset(Array(0..<10))
    /// ```
    public func subset(_ indices: [Int]) -> LabeledImages {
        let width = featureCount
        var chosenLabels = [UInt8](repeating: 0, count: indices.count)
        let chosenPixels = [UInt8](unsafeUninitializedCapacity: indices.count * width) { out, initialized in
            pixels.withUnsafeBufferPointer { source in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "subset: index \(index) is out of range for \(count) samples")
                    (out.baseAddress! + row * width).initialize(from: source.baseAddress! + index * width, count: width)
                    chosenLabels[row] = labels[index]
                }
            }
            initialized = indices.count * width
        }
        return LabeledImages(rows: rows, columns: columns, pixels: chosenPixels, labels: chosenLabels)
    }
}

/// An MNIST-style dataset in memory: the training and test splits of its IDX files.
///
/// ```swift
/// let dataset = try Dataset.load(.fashionMNIST)                       // searched as DatasetLocator says
/// let mine = try Dataset.load(.fashionMNIST, locator: DatasetLocator(dataDirectory: dir))
/// let fetched = try Dataset.load(.mnist, download: true) { print($0) } // fetch if missing
/// ```
public struct Dataset: Sendable {
    /// What dataset this is (name, class names, …).
    public let spec: DatasetSpec
    /// Where its files were read from.
    public let location: LocatedDataset
    /// The training split (60,000 samples for the catalogue sets).
    public let train: LabeledImages
    /// The test split (10,000 samples for the catalogue sets).
    public let test: LabeledImages

    /// Finds `spec` with `locator` and reads it. With `download`, a dataset found nowhere is
    /// first fetched into the locator's cache from the spec's mirrors and verified.
    ///
    /// - Throws: ``DatasetError`` naming what was wrong — not found (listing every place
    ///   searched and the fix), a damaged or truncated file, mismatched counts, bad labels.
    public static func load(_ spec: DatasetSpec = .fashionMNIST, locator: DatasetLocator = DatasetLocator(),
                            download: Bool = false, log: (String) -> Void = { _ in }) throws(DatasetError) -> Dataset {
        let located: LocatedDataset
        do {
            located = try locator.locate(spec)
        } catch let error where download && spec.directory == nil && !spec.mirrors.isEmpty {
            guard case .notFound = error else { throw error }
            let downloader = DatasetDownloader(cacheRoot: locator.cacheRoot)
            _ = try downloader.download(spec, log: log)
            located = try locator.locate(spec)
        }
        return try read(spec, from: located)
    }

    /// Reads the four files of `located` (in parallel: the large image file decompresses on
    /// one core while the other three share another) and checks that they fit together.
    public static func read(_ spec: DatasetSpec, from located: LocatedDataset) throws(DatasetError) -> Dataset {
        precondition(located.files.count == 4, "Dataset.read: expected 4 files, got \(located.files.count)")
        let results = ReadResults()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            // Worker 0 takes the training images (most of the bytes); worker 1 the rest.
            for index in worker == 0 ? [0] : [1, 2, 3] {
                let url = located.files[index]
                let result: Result<IDXPart, DatasetError>
                do throws(DatasetError) {
                    result = .success(index % 2 == 0 ? .images(try IDX.readImages(at: url)) : .labels(try IDX.readLabels(at: url)))
                } catch {
                    result = .failure(error)
                }
                results.store(result, at: index)
            }
        }
        let parts = try results.collect()
        guard case let .images(trainImages) = parts[0], case let .labels(trainLabels) = parts[1],
              case let .images(testImages) = parts[2], case let .labels(testLabels) = parts[3] else {
            preconditionFailure("Dataset.read: parts out of order")
        }
        let paths = located.files.map(\.path)
        let train = try pair(trainImages, paths[0], trainLabels, paths[1], classCount: spec.classCount)
        let test = try pair(testImages, paths[2], testLabels, paths[3], classCount: spec.classCount)
        guard train.rows == test.rows && train.columns == test.columns else {
            throw .invalidHeader(path: paths[2], detail: "its images are \(test.rows) × \(test.columns) but the "
                + "training images in \(paths[0]) are \(train.rows) × \(train.columns)")
        }
        return Dataset(spec: spec, location: located, train: train, test: test)
    }

    private static func pair(_ images: IDXImages, _ imagePath: String, _ labels: [UInt8], _ labelPath: String,
                             classCount: Int) throws(DatasetError) -> LabeledImages {
        guard images.count == labels.count else {
            throw .countMismatch(images: imagePath, imageCount: images.count, labels: labelPath, labelCount: labels.count)
        }
        if let bad = labels.firstIndex(where: { Int($0) >= classCount }) {
            throw .labelOutOfRange(path: labelPath, index: bad, label: Int(labels[bad]), classCount: classCount)
        }
        return LabeledImages(rows: images.rows, columns: images.columns, pixels: images.pixels, labels: labels)
    }
}

private enum IDXPart: Sendable {
    case images(IDXImages)
    case labels([UInt8])
}

/// Results written by parallel readers; the lock makes the shared array safe.
private final class ReadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results = [Result<IDXPart, DatasetError>?](repeating: nil, count: 4)

    func store(_ result: Result<IDXPart, DatasetError>, at index: Int) {
        lock.lock()
        results[index] = result
        lock.unlock()
    }

    /// The parts in file order, or the first file's error (so reports are deterministic).
    func collect() throws(DatasetError) -> [IDXPart] {
        lock.lock()
        defer { lock.unlock() }
        return try results.map { result throws(DatasetError) in try result!.get() }
    }
}
