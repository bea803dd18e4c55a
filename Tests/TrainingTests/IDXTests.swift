import ArrayAssertions
import Foundation
import Testing
@testable import Training

@Suite("IDX reader")
struct IDXTests {
    @Test func readsPlainAndGzipToTheSameBytes() throws {
        let gz = try IDX.readImages(at: Fixture.gzip.appendingPathComponent("train-images-idx3-ubyte.gz"))
        let plain = try IDX.readImages(at: Fixture.plain.appendingPathComponent("train-images-idx3-ubyte"))
        #expect(gz.count == plain.count)
        #expect(gz.rows == plain.rows)
        #expect(gz.columns == plain.columns)
        expectEqual(gz.pixels, plain.pixels)
        #expect(gz.count == 500)
        #expect(gz.rows == 28)
        #expect(gz.columns == 28)
        #expect(gz.pixels.count == 500 * 784)
        let raw = try Fixture.bytes(Fixture.plain, "train-images-idx3-ubyte")
        expectEqual(gz.pixels, Array(raw[16...]))
        let labels = try IDX.readLabels(at: Fixture.gzip.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        expectEqual(Array(labels.prefix(10)), Fixture.firstTrainLabels)
        expectEqual(labels, try IDX.readLabels(at: Fixture.plain.appendingPathComponent("train-labels-idx1-ubyte")))
    }

    @Test func loadsTheFixtureAsADataset() throws {
        let gz = try Fixture.dataset()
        let plain = try Fixture.dataset(plain: true)
        expectEqual(gz.train, plain.train, "train")
        expectEqual(gz.test, plain.test, "test")
        #expect(gz.train.count == 500)
        #expect(gz.test.count == 100)
        #expect(gz.train.featureCount == 784)
        #expect(Set(gz.train.labels) == Set(0..<10))
    }

    @Test func readsAMultiMemberGzip() throws {
        let raw = try Fixture.bytes(Fixture.plain, "t10k-labels-idx1-ubyte")
        let directory = try TemporaryDirectory()
        try directory.write(try gzipped(Array(raw[..<50])) + gzipped(Array(raw[50...])), "labels.gz")
        expectEqual(try IDX.readLabels(at: directory.url.appendingPathComponent("labels.gz")), Array(raw[8...]))
    }

    @Test func truncatedGzipIsAnError() throws {
        let gz = try Fixture.bytes(Fixture.gzip, "train-images-idx3-ubyte.gz")
        let directory = try TemporaryDirectory()
        try directory.write(Array(gz.prefix(gz.count / 2)), "half.gz")
        let error = datasetError { _ = try IDX.readImages(at: directory.url.appendingPathComponent("half.gz")) }
        guard case .truncated(let path, _) = error else { Issue.record("expected truncated, got \(String(describing: error))"); return }
        #expect(path.hasSuffix("half.gz"))
        #expect(error!.description.contains("truncated"))
    }

    @Test func gzipMissingOnlyItsTrailerIsAnError() throws {
        // All pixels decompress, but the CRC-32 and length that vouch for them are gone.
        let gz = try Fixture.bytes(Fixture.gzip, "t10k-labels-idx1-ubyte.gz")
        let directory = try TemporaryDirectory()
        try directory.write(Array(gz.dropLast(8)), "labels.gz")
        let error = datasetError { _ = try IDX.readLabels(at: directory.url.appendingPathComponent("labels.gz")) }
        guard case .truncated(_, let detail) = error else { Issue.record("expected truncated, got \(String(describing: error))"); return }
        #expect(detail.contains("end marker"))
    }

    @Test func truncatedPlainFileIsAnError() throws {
        let raw = try Fixture.bytes(Fixture.plain, "t10k-images-idx3-ubyte")
        let directory = try TemporaryDirectory()
        try directory.write(Array(raw.dropLast(100)), "images")
        let error = datasetError { _ = try IDX.readImages(at: directory.url.appendingPathComponent("images")) }
        guard case .truncated(_, let detail) = error else { Issue.record("expected truncated, got \(String(describing: error))"); return }
        #expect(detail.contains("78400"))
        #expect(detail.contains("78300"))
    }

    @Test func wrongMagicIsAnError() throws {
        // A label file where an image file belongs: magic 0x801, not 0x803.
        let labels = Fixture.gzip.appendingPathComponent("t10k-labels-idx1-ubyte.gz")
        let error = datasetError { _ = try IDX.readImages(at: labels) }
        #expect(error == .wrongMagic(path: labels.path, found: 0x801, expected: 0x803))
        #expect(error!.description.contains("0x00000801"))
        #expect(error!.description.contains("0x00000803"))
    }

    @Test func imageAndLabelCountMismatchIsAnError() throws {
        let directory = try TemporaryDirectory()
        let labels = try Fixture.bytes(Fixture.plain, "t10k-labels-idx1-ubyte")   // 100 labels
        try directory.copyFixture(replacing: ["train-labels-idx1-ubyte.gz": try gzipped(labels)])
        let error = datasetError { _ = try Dataset.load(.directory(directory.url), locator: DatasetLocator(environment: [:])) }
        guard case let .countMismatch(_, imageCount, _, labelCount) = error else {
            Issue.record("expected countMismatch, got \(String(describing: error))"); return
        }
        #expect(imageCount == 500)
        #expect(labelCount == 100)
    }

    @Test func labelBeyondTheClassesIsAnError() throws {
        let directory = try TemporaryDirectory()
        var labels = try Fixture.bytes(Fixture.plain, "t10k-labels-idx1-ubyte")
        labels[8 + 42] = 10                                                     // 10 classes: 0…9
        try directory.copyFixture(plain: true, replacing: ["t10k-labels-idx1-ubyte": labels])
        let error = datasetError { _ = try Dataset.load(.directory(directory.url), locator: DatasetLocator(environment: [:])) }
        guard case let .labelOutOfRange(_, index, label, classCount) = error else {
            Issue.record("expected labelOutOfRange, got \(String(describing: error))"); return
        }
        #expect(index == 42)
        #expect(label == 10)
        #expect(classCount == 10)
    }

    @Test func trailingBytesAreAnError() throws {
        let directory = try TemporaryDirectory()
        try directory.write(idx(magic: 0x801, dimensions: [3], payload: [1, 2, 3, 4]), "labels")
        let error = datasetError { _ = try IDX.readLabels(at: directory.url.appendingPathComponent("labels")) }
        #expect(error == .trailingData(path: directory.url.appendingPathComponent("labels").path, extra: "1 bytes"))
    }

    @Test func headersThatCannotFitAreRejectedBeforeAllocating() throws {
        let directory = try TemporaryDirectory()
        // 2^32−1 images of 2^32−1 × 2^32−1 pixels: the product overflows Int.
        try directory.write(idx(magic: 0x803, dimensions: [.max, .max, .max], payload: []), "overflow")
        #expect(datasetError { _ = try IDX.readImages(at: directory.url.appendingPathComponent("overflow")) }
            .map { if case .invalidHeader = $0 { true } else { false } } == true)
        // 1,000,000 images declared in a gzip of a few dozen bytes: more than deflate can expand to.
        try directory.write(try gzipped(idx(magic: 0x803, dimensions: [1_000_000, 28, 28], payload: [0])), "huge.gz")
        let error = datasetError { _ = try IDX.readImages(at: directory.url.appendingPathComponent("huge.gz")) }
        guard case .invalidHeader(_, let detail) = error else { Issue.record("expected invalidHeader, got \(String(describing: error))"); return }
        #expect(detail.contains("784000000"))
        try directory.write(idx(magic: 0x803, dimensions: [0, 28, 28], payload: []), "empty")
        #expect(datasetError { _ = try IDX.readImages(at: directory.url.appendingPathComponent("empty")) }
            .map { if case .invalidHeader = $0 { true } else { false } } == true)
    }

    @Test func corruptGzipIsAnError() throws {
        var gz = try Fixture.bytes(Fixture.gzip, "t10k-images-idx3-ubyte.gz")
        for i in 100..<200 { gz[i] ^= 0x5A }
        let directory = try TemporaryDirectory()
        try directory.write(gz, "images.gz")
        let error = datasetError { _ = try IDX.readImages(at: directory.url.appendingPathComponent("images.gz")) }
        guard case .corrupt = error else { Issue.record("expected corrupt, got \(String(describing: error))"); return }
    }

    @Test func missingFileIsUnreadable() {
        let error = datasetError { _ = try IDX.readLabels(at: URL(fileURLWithPath: "/nonexistent/labels")) }
        guard case .unreadable(let path, _) = error else { Issue.record("expected unreadable, got \(String(describing: error))"); return }
        #expect(path == "/nonexistent/labels")
    }
}

@Suite("gzip decoding paths")
struct InflatePathTests {
    /// zlib's streaming inflate and libdeflate's whole-file fast path give the same bytes;
    /// without libdeflate the fast path declines and zlib does the work.
    @Test func zlibAndLibdeflateAgree() throws {
        for name in Fixture.names {
            let path = Fixture.gzip.appendingPathComponent(name + ".gz").path
            let plain = try Fixture.bytes(Fixture.plain, name)
            let source = try ByteSource.open(path)
            var streamed = [UInt8](repeating: 0, count: plain.count + 1)
            #expect(try source.read(into: &streamed, count: streamed.count) == plain.count)
            expectEqual(Array(streamed.prefix(plain.count)), plain, "\(name) streamed")
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            let fast = FastInflate.decompress(fd: fd, fileSize: size, total: plain.count, keepingFrom: 8)
            if FastInflate.isAvailable {
                expectEqual(fast ?? [], Array(plain[8...]), "\(name) through libdeflate")
                // A wrong expected size is declined, not trusted.
                #expect(FastInflate.decompress(fd: fd, fileSize: size, total: plain.count - 1, keepingFrom: 8) == nil)
            } else {
                #expect(fast == nil)
            }
        }
    }
}
