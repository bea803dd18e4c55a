import Foundation

/// Where a dataset's four files were found.
///
/// ```swift
/// let found = try DatasetLocator().locate(.fashionMNIST)
/// print(found.directory.path, found.origin)   // /usr/share/datasets/fashion-mnist  dataset-fashion-mnist
/// ```
public struct LocatedDataset: Sendable, Equatable {
    /// The directory that holds the files.
    public let directory: URL
    /// Which rule found it: `--data-dir`, `$BACKPROP_DATA`, `cache` or a system directory.
    public let origin: String
    /// The four files in the order of ``DatasetFiles/all``, each plain or `.gz`.
    public let files: [URL]
}

/// Finds a dataset's files. The search order is: the explicit data directory (`--data-dir`);
/// `$BACKPROP_DATA` (its `<name>` subdirectory, then itself); the cache
/// `~/.cache/backprop/<name>`; the directories a system package installs into (Debian's
/// `dataset-fashion-mnist`). A directory qualifies when it holds all four files, each plain
/// or `.gz` (plain wins: it loads faster).
///
/// An explicit data directory is the only place searched: if the user names a directory, a
/// dataset found elsewhere would be a silent surprise, so its absence is reported instead.
///
/// ```swift
/// let locator = DatasetLocator(dataDirectory: nil)            // environment and ~ from the process
/// let found = try locator.locate(.fashionMNIST)
/// ```
public struct DatasetLocator: Sendable {
    /// `--data-dir`: the directory holding the files (or a `<name>` subdirectory holding them).
    public var dataDirectory: URL?
    /// The environment to read `BACKPROP_DATA` and `HOME` from.
    public var environment: [String: String]
    /// The cache root; datasets go into `<cacheRoot>/<name>`. Defaults to `~/.cache/backprop`.
    public var cacheRoot: URL

    /// A locator that searches only `dataDirectory` when it is given, reads `BACKPROP_DATA` and
    /// `HOME` from `environment`, and caches under `cacheRoot` (by default `~/.cache/backprop`).
    public init(dataDirectory: URL? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                cacheRoot: URL? = nil) {
        self.dataDirectory = dataDirectory
        self.environment = environment
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        self.cacheRoot = cacheRoot ?? home.appendingPathComponent(".cache/backprop", isDirectory: true)
    }

    /// The cache directory of `spec`, where `--download` puts the files.
    public func cacheDirectory(for spec: DatasetSpec) -> URL {
        cacheRoot.appendingPathComponent(spec.name, isDirectory: true)
    }

    /// The places searched for `spec`, in order, with the name of the rule for each.
    public func candidates(for spec: DatasetSpec) -> [(origin: String, directory: URL?)] {
        if let explicit = dataDirectory ?? spec.directory.map({ URL(fileURLWithPath: $0) }) {
            let origin = dataDirectory == nil ? "--dataset directory" : "--data-dir"
            return [(origin, explicit), (origin, explicit.appendingPathComponent(spec.name, isDirectory: true))]
        }
        var places: [(String, URL?)] = []
        if let root = environment["BACKPROP_DATA"], !root.isEmpty {
            let url = URL(fileURLWithPath: root, isDirectory: true)
            places.append(("$BACKPROP_DATA", url.appendingPathComponent(spec.name, isDirectory: true)))
            places.append(("$BACKPROP_DATA", url))
        } else {
            places.append(("$BACKPROP_DATA", nil))
        }
        places.append(("cache", cacheDirectory(for: spec)))
        for system in spec.systemDirectories {
            let package = spec.installCommand?.split(separator: " ").last.map(String.init) ?? "system package"
            places.append((package, URL(fileURLWithPath: system, isDirectory: true)))
        }
        return places
    }

    /// The first candidate directory that holds all four files.
    ///
    /// - Throws: ``DatasetError/notFound(dataset:searched:fix:)`` listing every place and why
    ///   it did not qualify, and the command that fixes it.
    public func locate(_ spec: DatasetSpec) throws(DatasetError) -> LocatedDataset {
        var searched: [SearchedLocation] = []
        for (origin, directory) in candidates(for: spec) {
            guard let directory else {
                searched.append(SearchedLocation(origin: origin, directory: nil, reason: "not set"))
                continue
            }
            switch Self.files(of: spec, in: directory) {
            case .success(let files):
                return LocatedDataset(directory: directory, origin: origin, files: files)
            case .failure(let reason):
                searched.append(SearchedLocation(origin: origin, directory: directory.path, reason: reason.text))
            }
        }
        throw .notFound(dataset: spec.displayName, searched: searched, fix: spec.fix)
    }

    struct Reason: Error { let text: String }

    /// The four files in `directory`, or why they are not all there.
    static func files(of spec: DatasetSpec, in directory: URL) -> Result<[URL], Reason> {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            return .failure(Reason(text: "does not exist"))
        }
        guard isDirectory.boolValue else { return .failure(Reason(text: "is not a directory")) }
        var found: [URL] = []
        var missing: [String] = []
        for file in spec.files.all {
            let plain = directory.appendingPathComponent(file.name)
            let gzip = directory.appendingPathComponent(file.name + ".gz")
            if manager.fileExists(atPath: plain.path) { found.append(plain) }
            else if manager.fileExists(atPath: gzip.path) { found.append(gzip) }
            else { missing.append(file.name) }
        }
        if missing.isEmpty { return .success(found) }
        if missing.count == 4 { return .failure(Reason(text: "no IDX files")) }
        return .failure(Reason(text: "missing \(missing.joined(separator: ", "))"))
    }
}
