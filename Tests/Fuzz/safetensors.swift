// libFuzzer entry point for the safetensors reader (Safetensors.decode and the conversions
// on a decoded file); built by run.sh, not by SwiftPM. Any input must either decode or
// throw a SafetensorsError: a trap, a sanitizer report or an allocation over
// -malloc_limit_mb is a failure.
import ArrayKit
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = count == 0 ? Data() : Data(bytes: start!, count: count)
    let file: SafetensorsFile
    do { file = try Safetensors.decode(data) } catch { _ = error.description; return 0 }

    _ = file.shapes   // a dictionary by name: duplicate names would trap here
    _ = file.nonFiniteValues()
    for entry in file.entries {
        _ = try? file.integers(named: entry.name)
        _ = try? file.array(named: entry.name, as: Double.self)
    }
    // Everything that converts to Float must be written back and read again unchanged.
    guard let floats = try? file.orderedArrays(as: Float.self) else { return 0 }
    let encoded = Safetensors.encode(floats, metadata: file.metadata)
    guard let again = try? Safetensors.decode(encoded) else { fatalError("re-reading our own encoding failed") }
    guard again.names == floats.map(\.name), again.metadata == file.metadata,
          let back = try? again.orderedArrays(as: Float.self),
          Safetensors.encode(back, metadata: again.metadata) == encoded else {
        fatalError("round trip changed the tensors")
    }
    return 0
}
