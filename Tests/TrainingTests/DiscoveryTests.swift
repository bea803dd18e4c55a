import ArrayAssertions
import ArrayKit
import Foundation
import Testing
@testable import Training

@Suite("Dataset discovery and download")
struct DiscoveryTests {
    /// Fashion-MNIST's spec, but installed by a "package" at `system` (so the test does not
    /// depend on what this machine has installed).
    func spec(system: URL, mirrors: [String] = [], sha256: [String?]? = nil, gzipSHA256: [String?]? = nil) -> DatasetSpec {
        let base = DatasetSpec.fashionMNIST
        return DatasetSpec(name: base.name, displayName: base.displayName, classNames: base.classNames,
                           files: DatasetFiles(sha256: sha256 ?? [nil, nil, nil, nil], gzipSHA256: gzipSHA256 ?? [nil, nil, nil, nil]),
                           mirrors: mirrors, systemDirectories: [system.path], installCommand: base.installCommand)
    }

    @Test func missingDatasetErrorListsEveryPlaceAndTheFix() throws {
        let root = try TemporaryDirectory()
        let env = root.url.appendingPathComponent("env")
        try FileManager.default.createDirectory(at: env.appendingPathComponent("fashion-mnist"), withIntermediateDirectories: true)
        try Data(Fixture.bytes(Fixture.gzip, "train-images-idx3-ubyte.gz"))
            .write(to: env.appendingPathComponent("fashion-mnist/train-images-idx3-ubyte.gz"))
        let system = root.url.appendingPathComponent("usr-share")
        let locator = DatasetLocator(environment: ["BACKPROP_DATA": env.path], cacheRoot: root.url.appendingPathComponent("cache"))
        let error = datasetError { _ = try Dataset.load(spec(system: system), locator: locator) }
        guard case let .notFound(name, searched, fix) = error else { Issue.record("expected notFound, got \(String(describing: error))"); return }
        #expect(name == "Fashion-MNIST")
        #expect(searched.map(\.directory) == [env.appendingPathComponent("fashion-mnist").path, env.path,
                                              root.url.appendingPathComponent("cache/fashion-mnist").path, system.path])
        #expect(searched[0].reason == "missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte")
        #expect(searched[1].reason == "no IDX files")
        #expect(searched[2].reason == "does not exist")
        #expect(searched[3].reason == "does not exist")
        #expect(fix.contains("sudo apt-get install dataset-fashion-mnist"))
        #expect(fix.contains("--download"))
        let text = error!.description
        for place in searched { #expect(text.contains(place.directory!)) }
        #expect(text.contains("Fix: sudo apt-get install dataset-fashion-mnist"))
    }

    @Test func unsetEnvironmentIsListedAndCatalogueSetsWithoutPackageSuggestDownload() {
        let locator = DatasetLocator(environment: ["HOME": "/nonexistent-home"])
        let error = datasetError { _ = try locator.locate(.mnist) }
        guard case let .notFound(_, searched, fix) = error else { Issue.record("expected notFound"); return }
        #expect(searched.first == SearchedLocation(origin: "$BACKPROP_DATA", directory: nil, reason: "not set"))
        #expect(searched.last?.directory == "/nonexistent-home/.cache/backprop/mnist")
        #expect(fix == "run with --download to fetch MNIST into the cache")
    }

    @Test func searchOrderPrefersEnvironmentThenCacheThenSystem() throws {
        let root = try TemporaryDirectory()
        let system = root.url.appendingPathComponent("system"), cache = root.url.appendingPathComponent("cache")
        let env = root.url.appendingPathComponent("env")
        let spec = spec(system: system)
        for directory in [system, cache.appendingPathComponent("fashion-mnist"), env] {
            try FileManager.default.copyItem(at: Fixture.gzip, to: directory)
            let locator = DatasetLocator(environment: ["BACKPROP_DATA": env.path], cacheRoot: cache)
            let found = try locator.locate(spec)
            #expect(found.directory.standardizedFileURL.path == directory.standardizedFileURL.path)
        }
        // An explicit directory is the only place searched.
        let explicit = DatasetLocator(dataDirectory: root.url.appendingPathComponent("nowhere"),
                                      environment: ["BACKPROP_DATA": env.path], cacheRoot: cache)
        let error = datasetError { _ = try explicit.locate(spec) }
        guard case let .notFound(_, searched, _) = error else { Issue.record("expected notFound"); return }
        #expect(searched.allSatisfy { $0.origin == "--data-dir" })
        #expect(try DatasetLocator(dataDirectory: env, environment: [:]).locate(spec).origin == "--data-dir")
    }

    @Test func plainFilesArePreferredOverGzip() throws {
        let directory = try TemporaryDirectory()
        try directory.copyFixture()
        try directory.copyFixture(plain: true)
        let found = try DatasetLocator(dataDirectory: directory.url, environment: [:]).locate(.fashionMNIST)
        #expect(found.files.map(\.lastPathComponent) == Fixture.names)
    }

    @Test func datasetNamesAndDirectories() throws {
        #expect(try DatasetSpec.named("fashion-mnist") == .fashionMNIST)
        #expect(try DatasetSpec.named("KMNIST") == .kmnist)
        #expect(try DatasetSpec.named(Fixture.gzip.path).directory == Fixture.gzip.standardizedFileURL.path)
        #expect(DatasetSpec.catalogue.first == .fashionMNIST)
        #expect(DatasetSpec.catalogue.allSatisfy { $0.classCount == 10 && $0.files.all.count == 4 && !$0.mirrors.isEmpty })
        let error = datasetError { _ = try DatasetSpec.named("cifar") }
        #expect(error == .unknownDataset(name: "cifar", known: ["fashion-mnist", "mnist", "kmnist"]))
    }

    // MARK: Download

    /// A "mirror" serving the fixture's .gz files through a file:// URL.
    func mirror(_ root: TemporaryDirectory) throws -> String {
        let mirror = root.url.appendingPathComponent("mirror")
        try FileManager.default.copyItem(at: Fixture.gzip, to: mirror)
        return mirror.absoluteString.hasSuffix("/") ? mirror.absoluteString : mirror.absoluteString + "/"
    }

    @Test func downloadVerifiesDecompressedChecksumsAndKeepsPlainFiles() throws {
        let root = try TemporaryDirectory()
        let spec = spec(system: root.url.appendingPathComponent("none"), mirrors: [try mirror(root)], sha256: Fixture.sha256)
        let locator = DatasetLocator(environment: [:], cacheRoot: root.url.appendingPathComponent("cache"))
        var lines: [String] = []
        let dataset = try Dataset.load(spec, locator: locator, download: true) { lines.append($0) }
        let cache = locator.cacheDirectory(for: spec)
        #expect(dataset.location.directory.standardizedFileURL.path == cache.standardizedFileURL.path)
        #expect((try FileManager.default.contentsOfDirectory(atPath: cache.path)).sorted() == Fixture.names.sorted())
        for (name, sha) in zip(Fixture.names, Fixture.sha256) {
            expectEqual(try Fixture.bytes(cache, name), try Fixture.bytes(Fixture.plain, name), "\(name)")
            #expect(try DatasetDownloader.sha256(ofFileAt: cache.appendingPathComponent(name).path) == sha)
        }
        #expect(lines.filter { $0.hasPrefix("downloading file://") }.count == 4)
        // A second download finds the verified files and fetches nothing.
        lines = []
        _ = try DatasetDownloader(cacheRoot: locator.cacheRoot).download(spec) { lines.append($0) }
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.contains("already in the cache") })
    }

    @Test func badChecksumLeavesNoFileBehind() throws {
        let root = try TemporaryDirectory()
        var sums: [String?] = Fixture.sha256
        sums[0] = String(repeating: "0", count: 64)
        let spec = spec(system: root.url.appendingPathComponent("none"), mirrors: [try mirror(root)], sha256: sums)
        let cacheRoot = root.url.appendingPathComponent("cache")
        let error = datasetError { _ = try DatasetDownloader(cacheRoot: cacheRoot).download(spec) }
        guard case let .checksumMismatch(file, _, expected, actual) = error else {
            Issue.record("expected checksumMismatch, got \(String(describing: error))"); return
        }
        #expect(file == "train-images-idx3-ubyte")
        #expect(expected == sums[0])
        #expect(actual == Fixture.sha256[0])
        let cache = cacheRoot.appendingPathComponent("fashion-mnist").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache) == [])   // not even a temporary file
    }

    @Test func gzipOnlyChecksumsVerifyTheArchive() throws {
        let root = try TemporaryDirectory()
        let gzipSums = try Fixture.names.map { try DatasetDownloader.sha256(ofFileAt: Fixture.gzip.appendingPathComponent($0 + ".gz").path) }
        let mirror = try mirror(root)
        let good = spec(system: root.url.appendingPathComponent("none"), mirrors: [mirror], gzipSHA256: gzipSums)
        let cacheRoot = root.url.appendingPathComponent("cache")
        let directory = try DatasetDownloader(cacheRoot: cacheRoot).download(good)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == Fixture.names.map { $0 + ".gz" }.sorted())
        var badSums = gzipSums
        badSums[3] = String(repeating: "f", count: 64)
        let otherRoot = root.url.appendingPathComponent("cache2")
        let bad = spec(system: root.url.appendingPathComponent("none"), mirrors: [mirror], gzipSHA256: badSums)
        let error = datasetError { _ = try DatasetDownloader(cacheRoot: otherRoot).download(bad) }
        guard case .checksumMismatch(let file, _, _, _) = error else { Issue.record("expected checksumMismatch, got \(String(describing: error))"); return }
        #expect(file == "t10k-labels-idx1-ubyte.gz")
        // The three verified files stay; the bad one left nothing.
        #expect(try FileManager.default.contentsOfDirectory(atPath: otherRoot.appendingPathComponent("fashion-mnist").path).sorted()
            == Fixture.names.prefix(3).map { $0 + ".gz" }.sorted())
    }

    @Test func unreachableMirrorsReportEveryAttempt() throws {
        let root = try TemporaryDirectory()
        let spec = spec(system: root.url.appendingPathComponent("none"),
                        mirrors: [root.url.appendingPathComponent("a").absoluteString + "/", root.url.appendingPathComponent("b").absoluteString + "/"])
        let error = datasetError { _ = try DatasetDownloader(cacheRoot: root.url.appendingPathComponent("cache")).download(spec) }
        guard case let .downloadFailed(file, attempts) = error else { Issue.record("expected downloadFailed, got \(String(describing: error))"); return }
        #expect(file == "train-images-idx3-ubyte.gz")
        #expect(attempts.count == 2)
        #expect(attempts[0].contains("/a/train-images-idx3-ubyte.gz"))
        #expect(attempts[1].contains("/b/train-images-idx3-ubyte.gz"))
    }
}

extension DiscoveryTests {
    @Suite struct FixtureChecksumTests {
        @Test func fixtureFilesMatchSha256sum() throws {
            for (name, sha) in zip(Fixture.names, Fixture.sha256) {
                #expect(SHA256.hexDigest(of: try Fixture.bytes(Fixture.plain, name)) == sha)
            }
        }
    }
}
