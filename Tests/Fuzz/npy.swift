// libFuzzer entry point for the .npy reader (NPYArray(npyData:)); built by run.sh, not by SwiftPM.
// Any input must either decode or throw an NPYError: a trap, a sanitizer report or an
// allocation over -malloc_limit_mb is a failure. A decoded array must survive a round trip.
import ArrayKit
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = count == 0 ? Data() : Data(bytes: start!, count: count)
    let array: NPYArray
    do { array = try NPYArray(npyData: data) } catch { _ = error.description; return 0 }

    // Whatever was read must be written back bit for bit (compared as bytes: NaN ≠ NaN).
    let encoded = array.npyData
    guard let again = try? NPYArray(npyData: encoded) else { fatalError("re-reading our own encoding failed") }
    guard again.npyData == encoded, again.shape == array.shape else { fatalError("round trip changed the array") }
    switch array {
    case .float32(let a):
        _ = a.nonFiniteValues(named: "x")
        guard (try? NDArray<Float>(npyData: data)) != nil else { fatalError("typed read of <f4 failed") }
    case .float64(let a):
        _ = a.nonFiniteValues(named: "x")
        guard (try? NDArray<Float>(npyData: data)) == nil else { fatalError("<f8 read as Float") }
    case .int64, .uint8:
        break
    }
    return 0
}
