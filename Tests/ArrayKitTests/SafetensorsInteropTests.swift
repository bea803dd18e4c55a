import ArrayAssertions
import Foundation
import ReferencePython
import Testing
@testable import ArrayKit

/// `{name: {"dtype", "shape", "values"}}` as Python's `load_file` sees the file.
extension ReferencePython {
    static let dumpScript = """
    import json, sys
    from safetensors.numpy import load_file
    tensors = load_file(sys.argv[1])
    json.dump({k: {"dtype": str(v.dtype), "shape": list(v.shape),
                   "values": [float(x) for x in v.reshape(-1)]} for k, v in tensors.items()}, sys.stdout)
    """

    struct Dumped: Decodable { let dtype: String; let shape: [Int]; let values: [Double] }
}

@Suite(.enabled(if: ReferencePython.hasSafetensors,
                "needs python3 with numpy and safetensors (pip install safetensors)"))
struct SafetensorsInteropTests {
    @Test func aFileWrittenHereLoadsInPythonWithTheSameNamesShapesAndValues() throws {
        var rng = SplitMix64(seed: 11)
        let tensors: [(name: String, array: NDArray<Float>)] = [
            ("0.weight", .randomNormal([16, 12], using: &rng)), ("0.bias", .randomNormal([16], using: &rng)),
            ("2.weight", .randomNormal([4, 16], using: &rng)), ("2.bias", .zeros([4])),
        ]
        let url = temporaryURL("to-python.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(tensors, to: url, metadata: ["format": "pt"])

        let output = try ReferencePython.run(ReferencePython.dumpScript, [url.path])
        let dumped = try JSONDecoder().decode([String: ReferencePython.Dumped].self, from: output)
        #expect(Set(dumped.keys) == Set(tensors.map(\.name)))
        for (name, array) in tensors {
            let seen = try #require(dumped[name])
            #expect(seen.dtype == "float32", "\(name)")
            #expect(seen.shape == array.shape, "\(name)")
            expectEqual(seen.values.map { Float($0) }, array.scalars, "\(name) values differ in Python")
        }
    }

    @Test func pythonWritesTheSameBytesForTheSameTensors() throws {
        let tensors: [String: NDArray<Float>] = [
            "b": NDArray([0.5, -1.25, 3]), "a": NDArray([1, 2, 3, 4, 5, 6], shape: [2, 3]), "scalar": NDArray(scalar: 7),
        ]
        let url = temporaryURL("from-python-same.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try ReferencePython.run("""
        import sys, numpy as np
        from safetensors.numpy import save_file
        save_file({"b": np.array([0.5, -1.25, 3], dtype=np.float32),
                   "a": np.arange(1, 7, dtype=np.float32).reshape(2, 3),
                   "scalar": np.array(7, dtype=np.float32)}, sys.argv[1])
        """, [url.path])
        #expect(try Data(contentsOf: url) == Safetensors.encode(tensors, checksum: false))
    }

    @Test func aFileWrittenByPythonLoadsHere() throws {
        let url = temporaryURL("from-python.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try ReferencePython.run("""
        import sys, numpy as np
        from safetensors.numpy import save_file
        rng = np.random.default_rng(5)
        save_file({"0.weight": rng.standard_normal((8, 5)).astype(np.float32),
                   "0.bias": rng.standard_normal(8).astype(np.float32),
                   "extra.double": rng.standard_normal((3, 2, 2))}, sys.argv[1], metadata={"format": "pt"})
        """, [url.path])
        let dumped = try JSONDecoder().decode([String: ReferencePython.Dumped].self,
                                              from: ReferencePython.run(ReferencePython.dumpScript, [url.path]))
        let file = try Safetensors.read(contentsOf: url)
        #expect(file.metadata == ["format": "pt"])
        #expect(Set(file.names) == Set(dumped.keys))
        for (name, seen) in dumped {
            let array = try file.array(named: name, as: Double.self)
            #expect(array.shape == seen.shape, "\(name)")
            expectEqual(array, seen.values, "\(name) values differ from Python's")
        }
        #expect(file.entries.first { $0.name == "extra.double" }?.dtype == .f64)
    }

    /// Docs/Interop.md's recipe: Python's own SHA-256 and JSON agree with both digests.
    @Test func pythonRecomputesBothChecksumsWithHashlib() throws {
        let url = temporaryURL("checksummed.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write([("0.weight", NDArray<Float>([1, 2, 3, 4], shape: [2, 2])), ("0.bias", .zeros([0])),
                               ("2.bias", NDArray<Float>([-0.5]))],
                              to: url, metadata: ["format": "pt", "note": "é\n\"x\""],
                              integerTensors: [("1.num_batches_tracked", [3], [])])
        let output = try ReferencePython.run("""
        import hashlib, json, struct, sys
        raw = open(sys.argv[1], "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        meta = header.pop("__metadata__")
        data_ok = hashlib.sha256(raw[8 + n:]).hexdigest() == meta["backprop.data_sha256"]
        recorded = meta.pop("backprop.header_sha256")
        canonical = {"__metadata__": dict(sorted(meta.items()))}
        for name, t in sorted(header.items(), key=lambda kv: (kv[1]["data_offsets"], kv[0])):
            canonical[name] = {"dtype": t["dtype"], "shape": t["shape"], "data_offsets": t["data_offsets"]}
        text = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False)
        print(data_ok, hashlib.sha256(text.encode()).hexdigest() == recorded)
        """, [url.path])
        #expect(String(decoding: output, as: UTF8.self) == "True True\n")
    }
}
