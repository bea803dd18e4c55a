import Foundation
import Testing
@testable import ArrayKit

/// The SHA-256 digests of the data and the header that the writer records in `__metadata__`
/// and the reader checks.
@Suite struct SafetensorsChecksumTests {
    /// A small file with every part of the format: metadata (non-ASCII too), F32 tensors and an I64 one.
    static func bytes(checksum: Bool = true) -> Data {
        Safetensors.encode([("0.weight", NDArray<Float>([1, -2, 3.5, 0.25, 8, -0.125], shape: [2, 3])),
                            ("0.bias", NDArray<Float>([0.5, -1]))],
                           metadata: ["format": "pt", "note": "é \"quoted\""],
                           integerTensors: [("1.num_batches_tracked", [7], [])], checksum: checksum)
    }

    static func headerLength(_ data: Data) -> Int {
        Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }

    /// `data` with bit `bit` of byte `byte` inverted.
    static func flipped(_ data: Data, byte: Int, bit: Int) -> Data {
        var copy = data
        copy[byte] ^= UInt8(1) << UInt8(bit)
        return copy
    }

    @Test func theDataDigestIsTheSHA256OfEverythingAfterTheHeader() throws {
        let data = Self.bytes()
        let file = try Safetensors.decode(data)
        let tail = [UInt8](data[(8 + Self.headerLength(data))...])
        #expect(file.hasChecksums)
        #expect(file.metadata[Safetensors.dataChecksumKey] == SHA256.hexDigest(of: tail))
        #expect(file.metadata[Safetensors.headerChecksumKey].map { $0.count == 64 && $0.allSatisfy(\.isHexDigit) } == true)
        #expect(file.metadata["note"] == "é \"quoted\"")
        #expect(try file.array(named: "0.weight", as: Float.self).scalars == [1, -2, 3.5, 0.25, 8, -0.125])
        #expect(try file.integers(named: "1.num_batches_tracked").values == [7])
    }

    @Test func everyFlippedBitInTheDataIsRefusedAsAChecksumMismatch() throws {
        let data = Self.bytes()
        for byte in (8 + Self.headerLength(data))..<data.count {
            for bit in 0..<8 {
                let error = safetensorsError { _ = try Safetensors.decode(Self.flipped(data, byte: byte, bit: bit)) }
                guard case .dataChecksumMismatch? = error else {
                    Issue.record("byte \(byte) bit \(bit): \(error.map(String.init(describing:)) ?? "accepted")")
                    continue
                }
            }
        }
        // It is the checksum that refuses: unverified, the damaged file reads (with a changed value).
        let damaged = Self.flipped(data, byte: data.count - 9, bit: 0)
        let unchecked = try Safetensors.decode(damaged, verifyingChecksums: false)
        #expect(try unchecked.array(named: "0.bias", as: Float.self).scalars != [0.5, -1])
        let message = "\(safetensorsError { try unchecked.verifyChecksums() }.map(String.init(describing:)) ?? "")"
        #expect(message.contains("tensor data does not match its checksum"), "\(message)")
        #expect(message.contains("corrupted"), "\(message)")
        #expect(message.contains(Safetensors.dataChecksumKey), "\(message)")
        #expect(message.contains("intact copy"), "\(message)")
    }

    @Test func everyFlippedBitInTheHeaderIsRefusedWithAClearError() {
        let data = Self.bytes()
        var byHeaderChecksum = 0
        for byte in 0..<(8 + Self.headerLength(data)) {
            for bit in 0..<8 {
                guard let error = safetensorsError({ _ = try Safetensors.decode(Self.flipped(data, byte: byte, bit: bit)) }) else {
                    Issue.record("byte \(byte) bit \(bit) was accepted")
                    continue
                }
                if case .headerChecksumMismatch = error { byHeaderChecksum += 1 }
                let text = error.description
                #expect(text.contains("corrupt") || text.contains("truncated"), "byte \(byte) bit \(bit): \(text)")
            }
        }
        // Flips that leave valid JSON (a name, a digit, a metadata value) reach the checksum.
        #expect(byHeaderChecksum > 100, "\(byHeaderChecksum)")
    }

    @Test func aChangedMetadataValueIsAHeaderChecksumMismatch() throws {
        let data = Self.bytes()
        let value = try #require(data.range(of: Data("\"format\":\"pt\"".utf8)))
        var changed = data
        changed[value.upperBound - 2] = UInt8(ascii: "u")   // "pt" → "pu": still valid JSON
        guard case .headerChecksumMismatch? = safetensorsError({ _ = try Safetensors.decode(changed) }) else {
            Issue.record("a changed metadata value was not caught by the header checksum")
            return
        }
    }

    @Test func oneDigestWithoutTheOtherIsRefused() throws {
        var metadata = try Safetensors.decode(Self.bytes()).metadata
        metadata[Safetensors.headerChecksumKey] = nil
        let half = Safetensors.encode(["w": NDArray<Float>([1, 2])], metadata: metadata, checksum: false)
        #expect(safetensorsError { _ = try Safetensors.decode(half) } == .checksumMissing(Safetensors.headerChecksumKey))
    }

    @Test func aFileWithoutDigestsLoadsUnverified() throws {
        let plain = Self.bytes(checksum: false)
        let file = try Safetensors.decode(plain)
        #expect(!file.hasChecksums)
        #expect(file.metadata == ["format": "pt", "note": "é \"quoted\""])
        #expect(try file.array(named: "0.bias", as: Float.self).scalars == [0.5, -1])
    }

    @Test func emptyTensorsAtOneOffsetInAnyNameOrderVerify() throws {
        // Zero-size tensors share an offset; the header digest orders ties by name, as the reader does.
        let tensors: [(name: String, array: NDArray<Float>)] = [("z", .zeros([0])), ("a", .zeros([0, 3])), ("m", NDArray([1]))]
        let file = try Safetensors.decode(Safetensors.encode(tensors))
        #expect(file.names == ["a", "z", "m"])
    }

    @Test func reencodingAFileReplacesItsDigests() throws {
        let file = try Safetensors.decode(Self.bytes())
        let other = Safetensors.encode(["x": NDArray<Float>([4, 5, 6])], metadata: file.metadata)
        let again = try Safetensors.decode(other)
        #expect(again.metadata["format"] == "pt")
        #expect(again.metadata[Safetensors.dataChecksumKey] != file.metadata[Safetensors.dataChecksumKey])
    }
}
