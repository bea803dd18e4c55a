import ArrayAssertions
import Foundation
import Testing
@testable import ArrayKit

/// A fixture written by scripts/make-npy-fixtures.py with NumPy.
func fixtureURL(_ name: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Fixtures"),
                 "missing fixture \(name).npy — run python3 scripts/make-npy-fixtures.py")
}

/// A fresh directory under the system temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("arraykit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The tests of NPYTests.swift, one nested suite per part.
@Suite struct NPYTests {}

extension NPYTests {
    @Suite struct NPYFixtureTests {
        @Test func readsNumPyFloat32() throws {
            let a = try NDArray<Float>(npyContentsOf: fixtureURL("float32_2x3"))
            #expect(a.shape == [2, 3])
            expectEqual(a, [-0.5, -0.25, 0, 0.25, 0.5, 0.75])
        }

        @Test func readsNumPyFloat64() throws {
            let a = try NDArray<Double>(npyContentsOf: fixtureURL("float64_3"))
            #expect(a.shape == [3])
            expectEqual(a, [1e-300, -2.5, 3.0e300])
        }

        @Test func readsNumPyIntegers() throws {
            guard case .int64(let i) = try NPYArray(contentsOf: fixtureURL("int64_2x2")) else {
                Issue.record("int64 fixture did not load as .int64"); return
            }
            #expect(i == IntegerArray([-1, 0, 1 << 40, 7], shape: [2, 2]))
            guard case .uint8(let u) = try NPYArray(contentsOf: fixtureURL("uint8_4")) else {
                Issue.record("uint8 fixture did not load as .uint8"); return
            }
            #expect(u == IntegerArray<UInt8>([0, 1, 128, 255], shape: [4]))
        }

        @Test func readsEmptyScalarAndVersion2Files() throws {
            let empty = try NDArray<Float>(npyContentsOf: fixtureURL("float32_0x3"))
            #expect(empty.shape == [0, 3])
            #expect(empty.count == 0)
            let scalar = try NDArray<Double>(npyContentsOf: fixtureURL("float64_scalar"))
            #expect(scalar.shape == [])
            #expect(scalar.scalar == 42)
            let v2 = try NDArray<Float>(npyContentsOf: fixtureURL("float32_2x2_v2"))
            expectEqual(v2, NDArray([1, 2, 3, 4], shape: [2, 2]))
        }

        /// The writer reproduces NumPy's bytes exactly (header, padding to 64, data).
        @Test(arguments: ["float32_2x3", "float64_3", "int64_2x2", "uint8_4", "float32_0x3", "float64_scalar"])
        func writesTheSameBytesAsNumPy(name: String) throws {
            let original = try Data(contentsOf: fixtureURL(name))
            #expect(try NPYArray(npyData: original).npyData == original)
        }
    }
}

extension NPYTests {
    @Suite struct NPYRoundTripTests {
        @Test func floatArraysRoundTripThroughAFile() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            var rng = SplitMix64(seed: 3)
            let f = NDArray<Float>.randomNormal([3, 4, 5], using: &rng)
            let d = NDArray<Double>.randomUniform([7], low: -1, high: 1, using: &rng)
            try f.writeNPY(to: directory.appendingPathComponent("f.npy"))
            try d.writeNPY(to: directory.appendingPathComponent("d.npy"))
            expectEqual(try NDArray<Float>(npyContentsOf: directory.appendingPathComponent("f.npy")), f)
            expectEqual(try NDArray<Double>(npyContentsOf: directory.appendingPathComponent("d.npy")), d)
        }

        @Test func integerArraysAndEdgeShapesRoundTrip() throws {
            let cases: [NPYArray] = [
                .int64(IntegerArray([Int.min, -1, 0, Int.max], shape: [2, 1, 2])),
                .uint8(IntegerArray(Array(0...255), shape: [16, 16])),
                .float32(NDArray([], shape: [4, 0, 2])),
                .float64(NDArray(scalar: -0.0)),
            ]
            for original in cases {
                let decoded = try NPYArray(npyData: original.npyData)
                #expect(decoded == original)
                #expect(decoded.shape == original.shape)
            }
        }

        @Test func headerPadsDataToA64ByteBoundary() throws {
            for shape in [[], [1], [10, 20], [123_456_789, 0, 3, 4, 5, 6, 7]] {
                let data = NDArray<Float>.zeros(shape).npyData
                let headerLength = Int(data[8]) | Int(data[9]) << 8
                #expect((10 + headerLength) % 64 == 0)
                #expect(data[10 + headerLength - 1] == 0x0A)
            }
        }

        @Test func aLongHeaderIsWrittenAsVersion2() throws {
            let shape = [Int](repeating: 1, count: 30_000)    // a 90 000-byte shape tuple
            let data = NPYArray.uint8(IntegerArray([7], shape: shape)).npyData
            #expect(data[6] == 2)
            #expect(data[7] == 0)
            #expect(try NPYArray(npyData: data) == .uint8(IntegerArray([7], shape: shape)))
        }
    }
}
