import ArrayAssertions
import ArrayKit
import Foundation
import Testing
@testable import Training

/// Untrusted files at the Training layer: IDX data whose gzip ratio is too high to trust
/// the header's size up front, and model files with NaN weights (`--init-from`, resume).
@Suite struct HostileFileTests {
    @Test func highlyCompressedImagesAreReadWithABufferThatGrowsWithTheData() throws {
        // 1500 × 28 × 28 = 1.2 MB of a repeating pattern compresses far beyond the 32 : 1
        // that earns libdeflate's up-front buffer, so zlib reads it in chunks that double
        // (1 MiB, then the rest): the result must be exactly the plain file's.
        let pixels = (0..<(1500 * 784)).map { UInt8(truncatingIfNeeded: $0 % 13 * 19) }
        let raw = idx(magic: IDX.imageMagic, dimensions: [1500, 28, 28], payload: pixels)
        let directory = try TemporaryDirectory()
        let gz = try gzipped(raw)
        #expect(gz.count * FastInflate.maximumRatio < raw.count)
        try directory.write(gz, "images.gz")
        let images = try IDX.readImages(at: directory.url.appendingPathComponent("images.gz"))
        #expect(images.count == 1500)
        #expect(images.rows == 28)
        #expect(images.columns == 28)
        expectEqual(images.pixels, pixels)

        // The same stream cut short: the growing buffer reports what arrived, not the claim.
        try directory.write(Array(gz.prefix(gz.count / 2)), "cut.gz")
        let error = datasetError { _ = try IDX.readImages(at: directory.url.appendingPathComponent("cut.gz")) }
        guard case .truncated(_, let detail) = error else { Issue.record("expected truncated, got \(String(describing: error))"); return }
        #expect(detail.contains("decompressed file ends after"))
    }

    @Test func aSmallGzipClaimingMoreThanDeflateCanHoldIsRefusedBeforeAllocating() throws {
        // A 4 GB claim from a file of a few dozen bytes: over deflate's 1032 : 1 bound.
        let raw = idx(magic: IDX.imageMagic, dimensions: [65_536, 256, 256], payload: [1, 2, 3])
        let directory = try TemporaryDirectory()
        try directory.write(try gzipped(raw), "bomb.gz")
        let error = datasetError { _ = try IDX.readImages(at: directory.url.appendingPathComponent("bomb.gz")) }
        guard case .invalidHeader(_, let detail) = error else { Issue.record("expected invalidHeader, got \(String(describing: error))"); return }
        #expect(detail.contains("4294967296 bytes"))
    }

    @Test func bothBackendsRefuseAModelFileWithNaNWeights() throws {
        let manual = ManualClassifier(inputs: 4, hidden: [3], classes: 2, learningRate: 0.1, seed: 7)
        let autograd = AutoGradClassifier(inputs: 4, hidden: [3], classes: 2, learningRate: 0.1,
                                          epochs: 1, stepsPerEpoch: 1, seed: 7)
        // Written and read back as a file, as `--init-from` would.
        var weights = manual.stateDict()
        weights[2].1 = NDArray(weights[2].1.scalars.enumerated().map { $0.offset == 1 ? .nan : $0.element },
                               shape: weights[2].1.shape)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nan-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(weights.map { (name: $0.0, array: $0.1) }, to: url)
        let file = try Safetensors.read(contentsOf: url)
        #expect(file.nonFiniteValues().map(\.name) == [weights[2].0])
        let loaded = try file.orderedArrays(as: Float.self).map { ($0.name, $0.array) }

        for classifier in [manual, autograd] as [any Classifier] {
            let before = classifier.stateDict()
            do {
                try classifier.load(stateDict: loaded)
                Issue.record("\(classifier.backend) loaded NaN weights")
            } catch {
                let text = "\(error)"
                #expect(text.contains(weights[2].0), "\(classifier.backend): \(text)")
                #expect(text.contains("nan"), "\(classifier.backend): \(text)")
                #expect(text.contains("earlier checkpoint"), "\(classifier.backend): \(text)")
            }
            expectEqual(classifier.stateDict(), before, "\(classifier.backend) changed on a refused load")
        }
    }
}
