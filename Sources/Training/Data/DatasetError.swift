import Foundation

/// Everything a user can get wrong about a dataset: where it is, what its files hold, and
/// what a download delivered. The text of each case says what was wrong and what to do.
///
/// ```swift
/// do { _ = try Dataset.load(.fashionMNIST) }
/// catch { print(error) }   // e.g. "Fashion-MNIST was not found. Looked in: …"
/// ```
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// No searched place held all four files. `searched` lists each place with why it failed.
    case notFound(dataset: String, searched: [SearchedLocation], fix: String)
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file ends before the data its header declares (or, for gzip, before its end marker).
    case truncated(path: String, detail: String)
    /// The header's magic number is not the IDX unsigned-byte magic expected for this file.
    case wrongMagic(path: String, found: UInt32, expected: UInt32)
    /// The header declares dimensions that cannot be right (zero-sized images, sizes that
    /// overflow, or more data than the file could possibly hold).
    case invalidHeader(path: String, detail: String)
    /// The file holds more bytes than its header declares.
    case trailingData(path: String, extra: String)
    /// The gzip stream is damaged.
    case corrupt(path: String, reason: String)
    /// The image file and the label file disagree on how many samples there are.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A label names a class the dataset does not have.
    case labelOutOfRange(path: String, index: Int, label: Int, classCount: Int)
    /// A downloaded file's SHA-256 is not the published one.
    case checksumMismatch(file: String, source: String, expected: String, actual: String)
    /// Every mirror failed for a file.
    case downloadFailed(file: String, attempts: [String])
    /// The cache directory could not be created or written.
    case cacheUnwritable(path: String, reason: String)
    /// `--dataset` names neither a known dataset nor a directory.
    case unknownDataset(name: String, known: [String])
    /// The training split is too small to hold out the validation samples and still train.
    case tooFewSamples(dataset: String, count: Int, validationCount: Int)

    public var description: String {
        switch self {
        case let .notFound(dataset, searched, fix):
            let places = searched.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
            return "\(dataset) was not found. Looked for its four IDX files (plain or .gz) in:\n\(places)\nFix: \(fix)"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason) — check that the file exists and is readable"
        case let .truncated(path, detail):
            return "\(path) is truncated: \(detail) — the file is incomplete; download or reinstall it"
        case let .wrongMagic(path, found, expected):
            return "\(path) is not an IDX \(expected == IDX.labelMagic ? "label" : "image") file: magic number "
                + "0x\(hex(found)), expected 0x\(hex(expected)) — check that the file names are not swapped and the file is not corrupt"
        case let .invalidHeader(path, detail):
            return "\(path) has an invalid IDX header: \(detail) — the file is corrupt or not an MNIST-style dataset"
        case let .trailingData(path, extra):
            return "\(path) holds \(extra) beyond what its header declares — the file is corrupt or not an MNIST-style dataset"
        case let .corrupt(path, reason):
            return "\(path) is not a valid gzip file (\(reason)) — the file is damaged; download or reinstall it"
        case let .countMismatch(images, imageCount, labels, labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels — "
                + "the two files must come from the same split of the same dataset"
        case let .labelOutOfRange(path, index, label, classCount):
            return "\(path): label \(label) at index \(index) is not a class of this dataset (\(classCount) classes: 0…\(classCount - 1)) "
                + "— the labels belong to another dataset or the file is corrupt"
        case let .checksumMismatch(file, source, expected, actual):
            return "\(file) from \(source) has SHA-256 \(actual), expected \(expected) — the download is damaged "
                + "or the mirror serves other data; nothing was kept; try again or use another mirror"
        case let .downloadFailed(file, attempts):
            return "could not download \(file):\n" + attempts.map { "  - \($0)" }.joined(separator: "\n")
                + "\nCheck the network connection, or place the files in a directory and pass --data-dir"
        case let .cacheUnwritable(path, reason):
            return "cannot write the dataset cache \(path): \(reason) — check permissions, or set BACKPROP_DATA to a writable directory"
        case let .unknownDataset(name, known):
            return "unknown dataset '\(name)': not one of \(known.joined(separator: ", ")) and not a directory — "
                + "pass one of those names or a directory holding the four IDX files"
        case let .tooFewSamples(dataset, count, validationCount):
            return "\(dataset) has \(count) training samples, too few to hold out \(validationCount) for validation "
                + "and train on the rest — use a larger dataset or a smaller validation split"
        }
    }
}

/// One place the dataset search looked, and why it was not used.
public struct SearchedLocation: Equatable, Sendable, CustomStringConvertible {
    /// Where the files were sought, e.g. `$BACKPROP_DATA` or `--data-dir`.
    public let origin: String
    /// The directory, or `nil` when the origin was not set.
    public let directory: String?
    /// Why it did not qualify, e.g. `does not exist` or `missing t10k-labels-idx1-ubyte`.
    public let reason: String

    public var description: String {
        if let directory { return "\(directory) (\(origin)): \(reason)" }
        return "\(origin): \(reason)"
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
