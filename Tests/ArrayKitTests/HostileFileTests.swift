import ArrayAssertions
import Foundation
import Testing
@testable import ArrayKit

/// Hostile inputs for the readers, found while reading them to write the fuzzers
/// (Tests/Fuzz/run.sh; the fuzzers themselves found no crash in 1,000,000 executions each),
/// and the NaN checks that guard loading weights.
@Suite struct HostileFileTests {
    @Test func devicesAndDirectoriesAreRefusedBeforeReading() throws {
        // /dev/zero never ends: reading it whole would allocate until the process dies.
        for path in ["/dev/zero", NSTemporaryDirectory()] {
            let url = URL(fileURLWithPath: path)
            #expect(throws: NPYError.self) { try NPYArray(contentsOf: url) }
            do { _ = try NPYArray(contentsOf: url) } catch {
                #expect(error.description.contains("not a regular file"), "\(error)")
            }
            do { _ = try Safetensors.read(contentsOf: url); Issue.record("\(path) was read") } catch {
                #expect(error.description.contains("not a regular file"), "\(error)")
            }
        }
    }

    @Test func emptyShapesWhoseOtherSizesOverflowAreRefused() {
        // (0, 2^40, 2^40) holds no element, so the old element count (0) passed, but any
        // stride computation on the loaded array overflowed. NumPy refuses it too.
        let npy = decodeError(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }"))
        guard case .invalidShape(let text)? = npy else { Issue.record("got \(String(describing: npy))"); return }
        #expect(text.contains("overflows"))

        let st = safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}}"#, body: [])
        guard case .invalidHeader(let reason)? = safetensorsError({ _ = try Safetensors.decode(st) }) else {
            Issue.record("an empty tensor with an overflowing shape was accepted"); return
        }
        #expect(reason.contains("too many elements"))

        // Still fine: an empty array whose other sizes are reasonable.
        let empty = try? NPYArray(npyData: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }"))
        #expect(empty?.shape == [0, 3])
        #expect(checkedByteCount(shape: [0, 1 << 40, 1 << 40], elementSize: 4) == nil)
        #expect(checkedByteCount(shape: [2, 0, 3], elementSize: 8) == 0)
        #expect(checkedByteCount(shape: [], elementSize: 8) == 8)
    }

    @Test func aTensorNamedTwiceNeverYieldsTwoEntries() throws {
        // Two entries with one name would make `shapes` and `arrays()` trap on the duplicate
        // key. Foundation's JSON decoder keeps the last one (as serde's map does), so the
        // bytes of the first are unclaimed and the file is refused; if both describe the same
        // bytes, one entry remains. (`validate` also refuses a repeated name outright, in case
        // a decoder ever hands both over.)
        let twoRanges = safetensorsBytes(
            header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
            body: [UInt8](repeating: 0, count: 8))
        #expect(safetensorsError({ _ = try Safetensors.decode(twoRanges) }) != nil)
        let sameRange = safetensorsBytes(
            header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
            body: [UInt8](repeating: 0, count: 4))
        let file = try Safetensors.decode(sameRange)
        #expect(file.names == ["w"])
        #expect(file.shapes == ["w": [1]])
    }

    @Test func deeplyNestedHeadersAreRefusedWithoutExhaustingTheStack() {
        // 100 000 open brackets fit easily in a file; a recursive parser without a depth
        // bound would overflow the stack on them.
        let deep = String(repeating: "(", count: 100_000)
        let npy = decodeError(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': \(deep), }", version: 2))
        guard case .malformedHeader(let text)? = npy else { Issue.record("got \(String(describing: npy))"); return }
        #expect(text.contains("nest"))

        let json = "{\"w\":" + String(repeating: "[", count: 100_000) + "}"
        guard case .invalidHeader? = safetensorsError({ _ = try Safetensors.decode(safetensorsBytes(header: json, body: [])) }) else {
            Issue.record("a deeply nested safetensors header was not refused"); return
        }
    }

    @Test func nonFiniteValuesAreFoundWithTheirPlace() throws {
        let w = NDArray<Float>([1, 2, .nan, 4, -.infinity, 6], shape: [2, 3])
        let bad = try #require(w.nonFiniteValues(named: "0.weight"))
        #expect(bad.count == 2)
        #expect(bad.firstIndex == [0, 2])
        #expect(bad.firstValue.isNaN)
        #expect(bad.shape == [2, 3])
        #expect(bad.description.contains("\"0.weight\""))
        #expect(bad.description.contains("2 non-finite values"))
        #expect(NDArray<Double>([1, 2]).nonFiniteValues(named: "b") == nil)
        #expect(NDArray<Double>(scalar: .infinity).nonFiniteValues(named: "s")?.firstIndex == [])
        #expect(throws: NonFiniteError.self) { try w.requireFinite(named: "0.weight") }
        #expect(NonFiniteValues.unravel(17, in: [2, 3, 4]) == [1, 1, 1])

        let npy = try NPYArray(npyData: NDArray<Double>([0, .infinity, 1]).npyData)
        #expect(npy.nonFiniteValues(named: "x.npy")?.firstIndex == [1])
        #expect(NPYArray.uint8(IntegerArray([255], shape: [1])).nonFiniteValues(named: "p") == nil)
    }

    @Test func safetensorsNonFiniteScanCoversEveryFloatType() throws {
        // F32 NaN, F64 -inf, F16 +inf (0x7C00), BF16 NaN (0x7FC0), and finite tensors beside them.
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        let body = le(Float(1).bitPattern) + le(Float.nan.bitPattern)
            + le((-Double.infinity).bitPattern)
            + le(UInt16(0x3C00)) + le(UInt16(0x7C00))
            + le(UInt16(0x7FC0))
            + le(Float(2).bitPattern) + le(Int64.max)
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]},"#
            + #""c":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"d":{"dtype":"BF16","shape":[],"data_offsets":[20,22]},"#
            + #""e":{"dtype":"F32","shape":[1],"data_offsets":[22,26]},"n":{"dtype":"I64","shape":[1],"data_offsets":[26,34]}}"#
        let file = try Safetensors.decode(safetensorsBytes(header: header, body: body))
        let bad = file.nonFiniteValues()
        #expect(bad.map(\.name) == ["a", "b", "c", "d"])
        #expect(bad.map(\.firstIndex) == [[1], [0, 0], [1], []])
        #expect(bad[1].firstValue == -.infinity)
        #expect(bad[2].firstValue == .infinity)
        #expect(bad[3].firstValue.isNaN)
        do { try file.requireFinite(); Issue.record("NaN weights were accepted") } catch {
            #expect(error.arrays.count == 4)
            #expect(error.description.contains("diverged"))
        }
        let clean = Safetensors.encode([("w", NDArray<Float>([1, 2]))])
        #expect(try Safetensors.decode(clean).nonFiniteValues().isEmpty)
    }

    @Test func modelsRefuseNonFiniteWeightsAndStayUnchanged() throws {
        let model = MLP<Float>(inputs: 3, hidden: [4], classes: 2, activation: .relu, seed: 1)
        let before = model.namedParameters()
        var poisoned = before
        poisoned[0].1 = NDArray(poisoned[0].1.scalars.enumerated().map { $0.offset == 5 ? .nan : $0.element },
                                shape: poisoned[0].1.shape)
        do { try model.load(namedParameters: poisoned); Issue.record("NaN weights were loaded") } catch {
            #expect(error.report.nonFinite.map(\.name) == [before[0].0])
            #expect(error.description.contains("NaN"))
            #expect(error.description.contains("earlier checkpoint"))
        }
        expectEqual(model.namedParameters(), before)
        try model.load(namedParameters: before)   // finite weights still load

        let expected = before.map { (name: $0.0, shape: $0.1.shape) }
        let loaded = Dictionary(uniqueKeysWithValues: poisoned)
        do { try StateDict.check(loaded: loaded, expected: expected, strict: false); Issue.record("accepted") } catch {
            #expect(error.report.nonFinite.map(\.firstIndex) == [[1, 2]])   // flat index 5 of (4, 3)
            #expect(error.description.contains("non-finite"))
            #expect(error.description.contains("diverged"))
        }
        // Shape problems and NaN are reported together.
        var both = loaded
        both.removeValue(forKey: before[1].0)
        do { try StateDict.check(loaded: both, expected: expected, strict: true); Issue.record("accepted") } catch {
            #expect(error.report.missing == [before[1].0])
            #expect(error.report.nonFinite.count == 1)
        }
        #expect(try StateDict.check(loaded: Dictionary(uniqueKeysWithValues: before), expected: expected, strict: true).isExactMatch)
    }
}
