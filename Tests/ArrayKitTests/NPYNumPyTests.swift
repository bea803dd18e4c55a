import ArrayAssertions
import Foundation
import ReferencePython
import Testing
@testable import ArrayKit

/// Whether `python3` with NumPy is installed (CI installs it; elsewhere the suite is skipped).
let numpyIsAvailable: Bool = (try? ReferencePython.run("import numpy")) != nil

@Suite(.enabled(if: numpyIsAvailable, "needs python3 with numpy"))
struct NPYNumPyTests {
    /// Swift writes, NumPy loads and checks dtype, shape and values, computes on them
    /// and writes back; Swift loads NumPy's result.
    @Test func arraysSurviveARoundTripThroughNumPy() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var rng = SplitMix64(seed: 11)
        let f = NDArray<Float>.randomNormal([3, 5], using: &rng)
        let d = NDArray<Double>.randomUniform([2, 2, 3], using: &rng)
        let labels = IntegerArray<Int>([9, -4, 1 << 50], shape: [3])
        let pixels = IntegerArray<UInt8>([0, 17, 255, 3], shape: [2, 2])
        try f.writeNPY(to: directory.appendingPathComponent("f.npy"))
        try d.writeNPY(to: directory.appendingPathComponent("d.npy"))
        try NPYArray.int64(labels).write(to: directory.appendingPathComponent("i.npy"))
        try NPYArray.uint8(pixels).write(to: directory.appendingPathComponent("u.npy"))
        // The expected values travel as exact text: float.hex for the floats.
        let script = """
        import sys, numpy as np
        d = sys.argv[1]
        f, g = np.load(d + '/f.npy'), np.load(d + '/d.npy')
        i, u = np.load(d + '/i.npy'), np.load(d + '/u.npy')
        assert f.dtype == np.float32 and f.shape == (3, 5), (f.dtype, f.shape)
        assert g.dtype == np.float64 and g.shape == (2, 2, 3), (g.dtype, g.shape)
        assert i.dtype == np.int64 and i.tolist() == [9, -4, 2**50], i
        assert u.dtype == np.uint8 and u.tolist() == [[0, 17], [255, 3]], u
        assert [float(x).hex() for x in f.ravel()] == sys.argv[2].split(','), 'float32 values differ'
        assert [float(x).hex() for x in g.ravel()] == sys.argv[3].split(','), 'float64 values differ'
        np.save(d + '/f2.npy', (f * 2 + 1).astype(np.float32))
        np.save(d + '/i2.npy', i[::-1].copy())
        with open(d + '/g2.npy', 'wb') as out:
            np.lib.format.write_array(out, g.sum(axis=2), version=(2, 0))
        print('ok')
        """
        let hex = { (values: [Double]) in values.map { hexText($0) }.joined(separator: ",") }
        // A failing assertion in the script throws, with NumPy's message, and fails the test.
        let output = String(decoding: try ReferencePython.run(script, [directory.path,
                                                                    hex(f.scalars.map(Double.init)), hex(d.scalars)]),
                            as: UTF8.self)
        #expect(output.hasSuffix("ok\n"), "numpy said: \(output)")

        let f2 = try NDArray<Float>(npyContentsOf: directory.appendingPathComponent("f2.npy"))
        expectEqual(f2, f * 2 + 1)
        let g2 = try NDArray<Double>(npyContentsOf: directory.appendingPathComponent("g2.npy"))
        #expect(g2.isClose(to: d.sum(axis: 2), rtol: 1e-15, atol: 0))
        #expect(try NPYArray(contentsOf: directory.appendingPathComponent("i2.npy"))
                == .int64(IntegerArray([1 << 50, -4, 9], shape: [3])))
    }
}

/// Python's `float.hex()` spelling of `x`, e.g. `-0x1.8000000000000p+1` for -3.
func hexText(_ x: Double) -> String {
    if x == 0 { return x.sign == .minus ? "-0x0.0p+0" : "0x0.0p+0" }
    let significand = String(x.significandBitPattern, radix: 16)
    let padded = String(repeating: "0", count: 13 - significand.count) + significand
    return "\(x < 0 ? "-" : "")0x1.\(padded)p\(x.exponent >= 0 ? "+" : "")\(x.exponent)"
}
