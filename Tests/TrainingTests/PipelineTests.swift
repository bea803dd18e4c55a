import ArrayAssertions
import ArrayKit
import Foundation
import Testing
@testable import Training

@Suite("Pipeline: normalization, split, batches")
struct PipelineTests {
    let dataset: Dataset
    init() throws { dataset = try Fixture.dataset() }

    /// 60,000 one-pixel samples whose pixel and label encode their position, to check the
    /// default 55,000 / 5,000 split quickly.
    static func synthetic(count: Int = 60_000) -> Dataset {
        let pixels = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
        let labels = (0..<count).map { UInt8($0 % 10) }
        let images = LabeledImages(rows: 1, columns: 1, pixels: pixels, labels: labels)
        let location = LocatedDataset(directory: URL(fileURLWithPath: "/synthetic"), origin: "test", files: [])
        return Dataset(spec: .directory(URL(fileURLWithPath: "/synthetic")), location: location, train: images, test: images)
    }

    @Test func normalizationMatchesNumPy() throws {
        // NumPy: x = images[:400].astype(np.float64) / 255; x.mean(), x.std()
        let split = try DataSplit(dataset, validationCount: 100, shuffle: false, seed: 0)
        #expect(split.normalization.mean == Float(0.2855926620648259))
        #expect(split.normalization.std == Float(0.35416702407591344))
        // NumPy float32: (np.arange(256, dtype=np.float32) / 255 - mean) / std, bit for bit.
        let table = split.normalization.lookupTable()
        expectEqual([table[0], table[1], table[128], table[255]],
                    [Float(-0.8063785433769226), Float(-0.7953058481216431), Float(0.6109212040901184), Float(2.017148017883301)])
        let all = Normalization.fit(dataset.train)
        #expect(all.mean == Float(0.28379596838735494))
        #expect(all.std == Float(0.3520336254637268))
        // Statistics of the training part only: the held-out samples do not leak into them.
        #expect(split.normalization != all)
    }

    @Test func constantImagesAreOnlyCentred() {
        let images = LabeledImages(rows: 2, columns: 2, pixels: [51, 51, 51, 51], labels: [0])
        let normalization = Normalization.fit(images)
        #expect(normalization.std == 1)
        #expect(normalization.mean == Float(0.2))
        #expect(normalization.normalize(51) == 0)
    }

    @Test func defaultSplitIs55000And5000() throws {
        let data = Self.synthetic()
        let split = try DataSplit(data, seed: 42)
        #expect(split.train.count == 55_000)
        #expect(split.validation.count == 5_000)
        #expect(split.test.count == 60_000)
        let validation = Set(split.validationIndices)
        #expect(validation.count == 5_000)
        #expect(split.validationIndices == split.validationIndices.sorted())
        // A random choice, not a block: some validation samples come from each tenth of the file.
        #expect(Set(split.validationIndices.map { $0 / 6_000 }) == Set(0..<10))
        // The train part is every other sample, in file order.
        let trainIndices = (0..<60_000).filter { !validation.contains($0) }
        expectEqual(split.train.labels, trainIndices.map { UInt8($0 % 10) })
        expectEqual(split.train.pixels, trainIndices.map { UInt8(truncatingIfNeeded: $0) })
        expectEqual(split.validation.pixels, split.validationIndices.map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test func splitIsDeterministicPerSeed() throws {
        let a = try DataSplit(dataset, validationCount: 100, seed: 7)
        let b = try DataSplit(dataset, validationCount: 100, seed: 7)
        let c = try DataSplit(dataset, validationCount: 100, seed: 8)
        expectEqual(a.validationIndices, b.validationIndices)
        expectEqual(a.train, b.train)
        #expect(a.normalization == b.normalization)
        expectNotEqual(a.validationIndices, c.validationIndices)
        #expect(a.train.count == 400)
        #expect(a.validation.count == 100)
        let first = a.validationIndices[0]
        expectEqual(a.validation.subset([0]).pixels, dataset.train.subset([first]).pixels)
    }

    @Test func noShuffleValidationIsTheLastSamplesOfTheFile() throws {
        let split = try DataSplit(dataset, validationCount: 100, shuffle: false, seed: 99)
        expectEqual(split.validationIndices, Array(400..<500))
        expectEqual(split.validation, dataset.train.subset(Array(400..<500)), "validation")
        expectEqual(split.train, dataset.train.subset(Array(0..<400)), "train")
        let synthetic = try DataSplit(Self.synthetic(), shuffle: false, seed: 1)
        expectEqual(synthetic.validationIndices, Array(55_000..<60_000))
    }

    @Test func tooSmallATrainingFileIsAnError() {
        let error = datasetError { _ = try DataSplit(dataset, validationCount: 500, seed: 0) }
        #expect(error == .tooFewSamples(dataset: dataset.spec.displayName, count: 500, validationCount: 500))
    }

    @Test func shufflingIsDeterministicAndDiffersPerEpoch() throws {
        let split = try DataSplit(dataset, validationCount: 100, seed: 42)
        let a = DataLoader.training(split.train, normalization: split.normalization, batchSize: 64, seed: 42)
        let b = DataLoader.training(split.train, normalization: split.normalization, batchSize: 64, seed: 42)
        let other = DataLoader.training(split.train, normalization: split.normalization, batchSize: 64, seed: 43)
        for epoch in 0..<3 {
            expectEqual(a.order(epoch: epoch), b.order(epoch: epoch))
            expectEqual(a.order(epoch: epoch).sorted(), Array(0..<400))
            expectNotEqual(a.order(epoch: epoch), other.order(epoch: epoch))
        }
        expectNotEqual(a.order(epoch: 0), a.order(epoch: 1))
        expectNotEqual(a.order(epoch: 1), a.order(epoch: 2))
        // Neighbouring epochs are unrelated permutations, not shifts of one another.
        let agree = zip(a.order(epoch: 0), a.order(epoch: 1)).filter { $0 == $1 }.count
        #expect(agree < 10)
        let batchesA = a.batches(epoch: 1).map { Array($0.indices) }
        let batchesB = b.batches(epoch: 1).map { Array($0.indices) }
        #expect(batchesA.map(\.count) == batchesB.map(\.count))
        expectEqual(Array(batchesA.joined()), Array(batchesB.joined()))
    }

    @Test func trainingDropsTheLastPartialBatch() throws {
        let split = try DataSplit(dataset, validationCount: 100, seed: 1)
        let loader = DataLoader.training(split.train, normalization: split.normalization, batchSize: 64, seed: 1)
        let batches = Array(loader.batches(epoch: 0))
        #expect(loader.batchCount == 6)
        #expect(loader.sampleCount == 384)
        #expect(batches.count == 6)
        #expect(batches.allSatisfy { $0.count == 64 && $0.features.shape == [64, 784] })
        let seen = batches.flatMap(\.indices)
        #expect(Set(seen).count == 384)
        expectEqual(seen, Array(loader.order(epoch: 0).prefix(384)))
    }

    @Test func evaluationCoversEverySampleInFileOrder() throws {
        let split = try DataSplit(dataset, validationCount: 100, seed: 1)
        let loader = DataLoader.evaluation(split.validation, normalization: split.normalization, batchSize: 32)
        let batches = Array(loader.batches())
        #expect(batches.map(\.count) == [32, 32, 32, 4])
        #expect(loader.batchCount == 4)
        #expect(loader.sampleCount == 100)
        expectEqual(batches.flatMap(\.indices), Array(0..<100))
        #expect(batches.last!.features.shape == [4, 784])
        expectEqual(batches.flatMap(\.labels), split.validation.classIndices)
    }

    @Test func noShuffleBatchesComeInFileOrder() throws {
        let split = try DataSplit(dataset, validationCount: 100, shuffle: false, seed: 5)
        let loader = DataLoader.training(split.train, normalization: split.normalization, batchSize: 50, shuffle: false, seed: 5)
        for epoch in 0..<2 {
            let batches = Array(loader.batches(epoch: epoch))
            expectEqual(batches.flatMap(\.indices), Array(0..<400))
            expectEqual(batches.flatMap(\.labels), dataset.train.classIndices.prefix(400).map { $0 })
        }
    }

    @Test func batchesHoldTheNormalizedPixelsOfTheirSamples() throws {
        let split = try DataSplit(dataset, validationCount: 100, seed: 3)
        let loader = DataLoader.training(split.train, normalization: split.normalization, batchSize: 16, seed: 3)
        let n = split.normalization
        var batches: [Batch] = []
        for batch in loader.batches(epoch: 2) { batches.append(batch) }   // all held at once
        for (number, batch) in batches.enumerated() {
            expectEqual(batch.labels, batch.indices.map { Int(split.train.labels[$0]) }, "labels of batch \(number)")
            let pixels = batch.indices.flatMap { index in (0..<784).map { n.normalize(split.train.pixels[index * 784 + $0]) } }
            expectEqual(batch.features, pixels, "features of batch \(number)")
        }
        // The whole-set matrix agrees with the batches.
        let all = split.train.features(n)
        #expect(all.shape == [400, 784])
        expectEqual(all.gatherRows(Array(batches[0].indices)), batches[0].features)
    }

    @Test func batchBufferIsReusedWhenThePreviousBatchIsReleased() throws {
        let split = try DataSplit(dataset, validationCount: 100, seed: 3)
        let loader = DataLoader.evaluation(split.train, normalization: split.normalization, batchSize: 100)
        var iterator = loader.batches().makeIterator()
        func address(_ batch: Batch) -> UnsafeRawPointer? { batch.features.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        var addresses: [UnsafeRawPointer?] = []
        for _ in 0..<3 { addresses.append(address(iterator.next()!)) }
        #expect(addresses[0] == addresses[1])
        #expect(addresses[1] == addresses[2])
        // A batch that is still held keeps its values while the next one is produced.
        let held = iterator.next()!                       // rows 300..<400 (the last batch)
        #expect(iterator.next() == nil)
        var again = loader.batches().makeIterator()
        let first = again.next()!
        let second = again.next()!
        let all = split.train.features(split.normalization)
        expectEqual(first.features, all.gatherRows(Array(0..<100)))
        expectEqual(second.features, all.gatherRows(Array(100..<200)))
        expectEqual(held.features, all.gatherRows(Array(300..<400)))
        #expect(address(first) != address(second))
    }
}
