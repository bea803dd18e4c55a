import CBLAS

/// Asks the CPU to start loading the `bytes` bytes at `address` into its caches: a hint
/// that changes no result, for a loop that knows its next scattered reads in advance.
///
/// ```swift
/// prefetch(rows + nextRow * width, bytes: width)   // while converting the current row
/// ```
@inlinable
public func prefetch(_ address: UnsafeRawPointer, bytes: Int) {
    for offset in stride(from: 0, to: bytes, by: 64) { bp_prefetch(address + offset) }
}
