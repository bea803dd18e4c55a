import Testing
@testable import ArrayKit

@Suite struct StateDictTests {
    let model: [(name: String, shape: [Int])] = [("0.weight", [128, 784]), ("0.bias", [128]), ("2.weight", [10, 128]), ("2.bias", [10])]

    @Test func anExactMatchPassesStrictly() throws {
        let loaded = Dictionary(uniqueKeysWithValues: model.map { ($0.name, $0.shape) })
        let report = try StateDict.check(loaded: loaded, expected: model, strict: true)
        #expect(report.isExactMatch)
        #expect(report.description == "state dict matches")
    }

    @Test func missingAndUnexpectedKeysThrowOnlyWhenStrict() throws {
        let loaded = ["0.weight": [128, 784], "0.bias": [128], "1.running_mean": [128]]
        let report = try StateDict.check(loaded: loaded, expected: model, strict: false)
        #expect(report.missing == ["2.weight", "2.bias"])
        #expect(report.unexpected == ["1.running_mean"])
        #expect(report.wrongShapes.isEmpty)
        #expect(!report.isExactMatch)
        do {
            try StateDict.check(loaded: loaded, expected: model, strict: true)
            Issue.record("strict check accepted missing and unexpected keys")
        } catch {
            #expect(error.report == report)
            #expect(error.description.contains(#"Missing key(s) in state_dict: "2.weight", "2.bias"."#))
            #expect(error.description.contains(#"Unexpected key(s) in state_dict: "1.running_mean"."#))
        }
    }

    @Test func aWrongShapeThrowsEvenWhenNotStrict() {
        let loaded: [String: NDArray<Float>] = ["0.weight": .zeros([784, 128]), "0.bias": .zeros([128])]
        do {
            try StateDict.check(loaded: loaded, expected: model, strict: false)
            Issue.record("a transposed weight was accepted")
        } catch {
            #expect(error.report.wrongShapes == [.init(name: "0.weight", loaded: [784, 128], expected: [128, 784])])
            #expect(error.report.missing == ["2.weight", "2.bias"])
            #expect(error.description.contains("size mismatch for 0.weight: copying a param with shape (784, 128) from checkpoint, the shape in current model is (128, 784)."))
        }
    }
}
