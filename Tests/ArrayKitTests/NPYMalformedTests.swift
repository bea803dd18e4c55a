import Foundation
import Testing
@testable import ArrayKit

/// A `.npy` file with the given header text, version and data bytes, for malformed cases.
func npyBytes(header: String, version: UInt8 = 1, data: [UInt8] = []) -> Data {
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    let h = Array(header.utf8)
    let n = version == 1 ? 2 : 4
    for i in 0..<n { out.append(UInt8(truncatingIfNeeded: h.count >> (8 * i))) }
    return Data(out + h + data)
}

/// The error decoding `data` throws, or nil if it decoded.
func decodeError(_ data: Data) -> NPYError? {
    do { _ = try NPYArray(npyData: data); return nil } catch { return error }
}

@Suite struct NPYMalformedTests {
    let valid = NDArray<Float>([1, 2, 3, 4, 5, 6], shape: [2, 3]).npyData

    @Test func badMagic() {
        var data = valid
        data[1] = UInt8(ascii: "X")
        #expect(decodeError(data) == .badMagic)
        #expect(decodeError(Data()) == .badMagic)
        #expect(decodeError(Data("PK\u{3}\u{4} a zip file".utf8)) == .badMagic)
        #expect("\(NPYError.badMagic)".contains("bad magic"))
    }

    @Test func unsupportedVersion() {
        var data = valid
        data[6] = 4
        #expect(decodeError(data) == .unsupportedVersion(major: 4, minor: 0))
        #expect("\(decodeError(data)!)".contains("version 4.0"))
    }

    @Test func headerLengthBeyondTheFile() {
        var data = valid
        data[8] = 0xFF; data[9] = 0xFF
        guard case .badHeaderLength(declared: 65_535, _)? = decodeError(data) else {
            Issue.record("expected badHeaderLength, got \(String(describing: decodeError(data)))"); return
        }
        // A version-2 length of 4 GiB must be refused before anything is allocated.
        let huge = Data([0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        guard case .badHeaderLength(declared: 4_294_967_295, available: 0)? = decodeError(huge) else {
            Issue.record("expected badHeaderLength, got \(String(describing: decodeError(huge)))"); return
        }
        // The preamble itself cut short.
        guard case .badHeaderLength? = decodeError(Data(valid.prefix(9))) else {
            Issue.record("expected badHeaderLength for a 9-byte file"); return
        }
    }

    @Test(arguments: [
        "{'descr': '<f4', 'fortran_order': False}",                              // missing shape
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",       // extra key
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,",                 // unterminated
        "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",                   // fortran_order not a bool
        "{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}",                // broken quote
        "['descr', '<f4']",                                                      // not a dict
        "{'descr': '<f4', 'fortran_order': False, 'shape': 2}",                  // shape not a tuple
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} trailing",      // text after the dict
        "{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((((((((((1,)))))))))))))))))}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
    ])
    func malformedHeader(header: String) {
        let error = decodeError(npyBytes(header: header, data: [0, 0, 0, 0, 0, 0, 0, 0]))
        switch error {
        case .malformedHeader?, .invalidShape?: #expect("\(error!)".contains("malformed") || "\(error!)".contains("shape"))
        default: Issue.record("header \(header) gave \(String(describing: error))")
        }
    }

    @Test(arguments: ["<i4", ">f4", "<f2", "<c8", "O", "<U3"])
    func unsupportedDType(descr: String) {
        let error = decodeError(npyBytes(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }",
                                         data: [0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(error == .unsupportedDType(descr))
        #expect("\(error!)".contains("dtype '\(descr)' is not supported"))
    }

    @Test func structuredDType() {
        let error = decodeError(npyBytes(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                                         data: [0, 0, 0, 0]))
        guard case .unsupportedDType? = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func fortranOrder() {
        let error = decodeError(npyBytes(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                         data: Array(repeating: 0, count: 24)))
        #expect(error == .fortranOrder)
        // With at most one axis longer than 1, Fortran and C order are the same bytes.
        let vector = decodeError(npyBytes(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3), }",
                                          data: Array(repeating: 0, count: 12)))
        #expect(vector == nil)
    }

    @Test func negativeAndOverflowingShapes() {
        guard case .invalidShape? = decodeError(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }")) else {
            Issue.record("a negative size was accepted"); return
        }
        let overflow = decodeError(npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"))
        guard case .invalidShape(let text)? = overflow else { Issue.record("got \(String(describing: overflow))"); return }
        #expect(text.contains("overflows"))
        // Element count fits, byte count does not.
        let bytes = decodeError(npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }"))
        guard case .invalidShape? = bytes else { Issue.record("got \(String(describing: bytes))"); return }
    }

    @Test func truncatedData() {
        let data = valid.dropLast(3)
        let error = decodeError(Data(data))
        #expect(error == .truncatedData(shape: [2, 3], dtype: "<f4", expectedBytes: 24, actualBytes: 21))
        #expect("\(error!)".contains("truncated"))
    }

    @Test func headerShapeMismatch() {
        let error = decodeError(valid + [0, 0, 0, 0])
        #expect(error == .shapeMismatch(shape: [2, 3], dtype: "<f4", expectedBytes: 24, actualBytes: 28))
        #expect("\(error!)".contains("header/shape mismatch"))
    }

    @Test func typeMismatch() {
        #expect(throws: NPYError.typeMismatch(requested: "<f8 (Double)", found: "<f4")) {
            try NDArray<Double>(npyData: valid)
        }
        let labels = NPYArray.uint8(IntegerArray([1, 2], shape: [2])).npyData
        #expect(throws: NPYError.typeMismatch(requested: "<f4 (Float)", found: "|u1")) {
            try NDArray<Float>(npyData: labels)
        }
    }

    @Test func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/arraykit/weights.npy")
        #expect {
            try NDArray<Float>(npyContentsOf: url)
        } throws: { error in
            guard case .unreadable(let path, _)? = error as? NPYError else { return false }
            return path == url.path && "\(error)".contains("cannot read /nonexistent/arraykit/weights.npy")
        }
    }

    /// Every prefix of a valid file fails cleanly; none crashes or succeeds.
    @Test func everyPrefixOfAValidFileThrows() {
        for length in 0..<valid.count {
            #expect(decodeError(Data(valid.prefix(length))) != nil, "prefix of \(length) bytes decoded")
        }
    }
}
