import ArrayAssertions
import Foundation
import Testing
@testable import ArrayKit

/// Bytes of a hand-made safetensors file: `header` JSON (unpadded) and `body` bytes.
func safetensorsBytes(header: String, body: [UInt8], declaredLength: UInt64? = nil) -> Data {
    var data = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8))
    data.append(contentsOf: body)
    return data
}

func temporaryURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("backprop-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)")
}

/// The error `body` throws, or `nil`; any other error type fails the test.
func safetensorsError(_ body: () throws -> Void) -> SafetensorsError? {
    do { try body(); return nil } catch {
        guard let error = error as? SafetensorsError else { Issue.record("untyped error \(error)"); return nil }
        return error
    }
}

@Suite struct SafetensorsTests {
    @Test func roundTripKeepsNamesOrderShapesValuesAndMetadata() throws {
        var rng = SplitMix64(seed: 3)
        let tensors: [(name: String, array: NDArray<Float>)] = [
            ("0.weight", .randomNormal([5, 7], using: &rng)),
            ("0.bias", .randomNormal([5], using: &rng)),
            ("2.weight", .randomNormal([3, 5], using: &rng)),
            ("2.bias", .randomNormal([3], using: &rng)),
            ("scalar", NDArray(scalar: 4.5)),
            ("empty", .zeros([0, 3])),
        ]
        let url = temporaryURL("roundtrip.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(tensors, to: url, metadata: ["format": "pt", "note": "quote \" and \\ and é"])

        let file = try Safetensors.read(contentsOf: url)
        #expect(file.names == tensors.map(\.name))
        #expect(file.metadata.filter { !$0.key.hasPrefix("backprop.") } == ["format": "pt", "note": "quote \" and \\ and é"])
        #expect(file.hasChecksums)
        #expect(file.metadata[Safetensors.dataChecksumKey]?.count == 64)
        #expect(file.entries.allSatisfy { $0.dtype == .f32 })
        for (name, array) in tensors {
            let back: NDArray<Float> = try file.array(named: name)
            expectEqual(back, array, "\(name) changed in the round trip")
            let wide = try file.array(named: name, as: Double.self)
            expectEqual(wide, NDArray<Double>(array))
        }
        let ordered = try file.orderedArrays(as: Float.self)
        #expect(ordered.map(\.name) == tensors.map(\.name))
    }

    @Test func doublesAreWrittenAsF64AndCanBeReadAsFloat() throws {
        let values = NDArray<Double>([1.0 / 3, -2.5, 1e-300, 7], shape: [2, 2])
        let file = try Safetensors.decode(Safetensors.encode(["x": values]))
        #expect(file.entries.map(\.dtype) == [.f64])
        #expect(try file.array(named: "x", as: Double.self) == values)
        expectEqual(try file.array(named: "x", as: Float.self), NDArray<Float>(values))
    }

    @Test func headerIsPaddedWithSpacesToEightBytesAndMatchesTheReferenceLayout() throws {
        let bytes = Safetensors.encode(["a": NDArray<Float>([1, 2, 3])], checksum: false)
        let length = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect(length % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        #expect(header.trimmingCharacters(in: .whitespaces) == #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#)
        #expect(header.hasSuffix(" "))
        #expect(!header.contains("\n"))
        #expect(bytes.count == 8 + length + 12)
    }

    @Test func readsTheFileWrittenByPythonSafetensors() throws {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/python_written.safetensors")
        let file = try Safetensors.read(contentsOf: url)
        #expect(file.metadata == ["format": "pt", "source": "numpy"])
        #expect(Set(file.names) == ["0.weight", "0.bias", "2.weight", "2.bias", "scalar"])
        #expect(file.shapes["0.weight"] == [3, 4])
        #expect(file.shapes["scalar"] == [])
        #expect(file.entries.first { $0.name == "2.weight" }?.dtype == .f64)
        #expect(file.entries.first { $0.name == "2.bias" }?.dtype == .f16)
        // The script fills each tensor with (index / 8 - 1) · scale; all are exact in F16 too.
        for (name, scale) in [("0.weight", 1.0), ("0.bias", 0.5), ("2.weight", 2.0), ("2.bias", 0.25), ("scalar", 3.0)] {
            let array = try file.array(named: name, as: Double.self)
            expectEqual(array, (0..<array.count).map { (Double($0) / 8 - 1) * scale }, "\(name)")
        }
    }

    @Test func convertsHalfAndBFloat16() throws {
        // F16 1.0 = 0x3C00, -2 = 0xC000, 2^-24 (smallest subnormal) = 0x0001; BF16 1.5 = 0x3FC0.
        let half = safetensorsBytes(header: #"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]}}"#,
                                    body: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0xC0, 0x3F])
        let file = try Safetensors.decode(half)
        expectEqual(try file.array(named: "h", as: Double.self), [1, -2, 0x1p-24])
        expectEqual(try file.array(named: "b", as: Float.self), [1.5])
    }

    // MARK: - Rejections

    @Test func rejectsAHeaderLengthBeyondTheLimitOrTheFile() {
        let huge = safetensorsBytes(header: "{}", body: [], declaredLength: UInt64.max)
        #expect(safetensorsError { _ = try Safetensors.decode(huge) } == .headerTooLarge(length: .max, limit: 100_000_000))
        let past = safetensorsBytes(header: "{}", body: [], declaredLength: 64)
        let error = safetensorsError { _ = try Safetensors.decode(past) }
        #expect(error == .headerLengthBeyondFile(length: 64, fileSize: 10))
        #expect(error?.description.contains("runs past the end of the 10-byte file") == true)
        #expect(safetensorsError { _ = try Safetensors.decode(Data([1, 2, 3])) } == .fileTooSmall(byteCount: 3))
    }

    @Test func rejectsAnUnknownDType() {
        let data = safetensorsBytes(header: #"{"w":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}"#, body: [0, 0, 0, 0])
        let error = safetensorsError { _ = try Safetensors.decode(data) }
        #expect(error == .unknownDType(tensor: "w", dtype: "F99"))
        #expect(error?.description.contains("F32") == true)
    }

    @Test func rejectsShortData() {
        let data = safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, body: [0, 0, 0, 0])
        #expect(safetensorsError { _ = try Safetensors.decode(data) } == .dataTooShort(expectedBytes: 8, actualBytes: 4))
        // A file cut anywhere inside its data is rejected the same way.
        let full = Safetensors.encode(["w": NDArray<Float>.ones([4, 4])])
        #expect(safetensorsError { _ = try Safetensors.decode(full.dropLast(5)) } == .dataTooShort(expectedBytes: 64, actualBytes: 59))
    }

    @Test func rejectsOverlappingData() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let error = safetensorsError { _ = try Safetensors.decode(safetensorsBytes(header: header, body: .init(repeating: 0, count: 12))) }
        #expect(error == .overlappingData(tensor: "b", start: 4, previous: "a", previousEnd: 8))
    }

    @Test func rejectsAShapeThatDoesNotMatchTheByteSize() {
        let data = safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}"#, body: .init(repeating: 0, count: 16))
        let error = safetensorsError { _ = try Safetensors.decode(data) }
        #expect(error == .shapeSizeMismatch(tensor: "w", shape: [2, 3], dtype: "F32", expectedBytes: 24, actualBytes: 16))
        // A shape whose byte count overflows Int is caught before any arithmetic wraps.
        let overflow = safetensorsBytes(header: #"{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, body: .init(repeating: 0, count: 8))
        guard case .invalidHeader(let reason)? = safetensorsError({ _ = try Safetensors.decode(overflow) }) else {
            Issue.record("overflowing shape was not rejected"); return
        }
        #expect(reason.contains("too many elements"))
    }

    @Test func rejectsGapsTrailingBytesBadOffsetsAndBadJSON() {
        let gap = safetensorsBytes(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, body: [0, 0])
        #expect(safetensorsError { _ = try Safetensors.decode(gap) } == .gapInData(tensor: "a", start: 1, expectedStart: 0))
        let trailing = safetensorsBytes(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, body: [0, 0])
        #expect(safetensorsError { _ = try Safetensors.decode(trailing) } == .trailingData(expectedBytes: 1, actualBytes: 2))
        let backwards = safetensorsBytes(header: #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[3,1]}}"#, body: [])
        #expect(safetensorsError { _ = try Safetensors.decode(backwards) } == .invalidOffsets(tensor: "a", offsets: [3, 1]))
        for header in [#"[1,2]"#, #"{"a":{"dtype":"F32","shape":[1]}}"#, #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, "{\"a\":"] {
            guard case .invalidHeader? = safetensorsError({ _ = try Safetensors.decode(safetensorsBytes(header: header, body: [])) }) else {
                Issue.record("header \(header) was not rejected as invalid"); continue
            }
        }
    }

    @Test func integerTensorsValidateButDoNotConvertToFloatingPoint() throws {
        let file = try Safetensors.decode(safetensorsBytes(header: #"{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, body: .init(repeating: 0, count: 8)))
        #expect(safetensorsError { _ = try file.array(named: "n", as: Float.self) } == .unsupportedDType(tensor: "n", dtype: "I64", requested: "Float"))
        #expect(safetensorsError { _ = try file.array(named: "m", as: Float.self) } == .missingTensor("m"))
    }

    @Test func unreadableFileIsATypedError() {
        let url = temporaryURL("absent.safetensors")
        guard case .cannotRead(let path, _)? = safetensorsError({ _ = try Safetensors.read(contentsOf: url) }) else {
            Issue.record("reading a missing file did not throw cannotRead"); return
        }
        #expect(path == url.path)
    }
}

extension SafetensorsTests {
    @Suite struct SafetensorsIntegerTests {
        @Test func int64TensorsRoundTripBesideFloats() throws {
            let bytes = Safetensors.encode([("1.running_mean", NDArray<Float>([0.5, -1]))],
                                           integerTensors: [("1.num_batches_tracked", [938], [])])
            let file = try Safetensors.decode(bytes)
            #expect(file.entries.map(\.dtype) == [.f32, .i64])
            let (values, shape) = try file.integers(named: "1.num_batches_tracked")
            #expect(values == [938])
            #expect(shape == [])
            expectEqual(try file.array(named: "1.running_mean", as: Float.self), [0.5, -1])
            #expect(safetensorsError { _ = try file.integers(named: "1.running_mean") }
                    == .unsupportedDType(tensor: "1.running_mean", dtype: "F32", requested: "Int64"))
        }
    }
}
