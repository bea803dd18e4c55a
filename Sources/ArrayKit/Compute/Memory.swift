import CBLAS

/// How the memory of freed arrays goes back to the system.
///
/// A training step allocates its activations and their gradients afresh and frees them at the
/// end of the step: at batch 512 and width 1024 that is five arrays of 2 MB a step. glibc's
/// malloc serves arrays that large from the top of its heap and returns the heap's top to the
/// system as soon as more than twice the largest freed array lies free there, so the next
/// step's arrays arrive as new pages, each zeroed by the kernel on its first write: a page
/// fault per 4 KB. On 784-1024-10 at batch 512 that was 172 K page faults in a 65-step run
/// against 33 K with this setting, and 0.81× the CPU time of an epoch with it
/// (Docs/Performance.md, "Freed memory kept").
///
/// ``keepFreedMemory(upTo:)`` lets malloc keep that much free memory for the next
/// allocations instead. The command-line tools call it at start; a program that uses the
/// library directly may call it once, at its start. It is a setting of the whole process
/// (glibc's `mallopt`), it changes no result, and it only does something on Linux with glibc.
///
/// ```swift
/// Memory.keepFreedMemory()    // before training
/// ```
public enum Memory {
    /// Keeps up to `bytes` of freed memory in the process for later allocations, and serves
    /// every allocation below 32 MB (glibc's largest automatic threshold) from the heap rather
    /// than from separate mappings. Returns whether glibc accepted both settings; `false` on
    /// systems without glibc, where nothing changes.
    ///
    /// The cost is memory held while idle: at most `bytes` more resident than without it
    /// (64 MB by default).
    ///
    /// - Precondition: `bytes` is positive.
    @discardableResult
    public static func keepFreedMemory(upTo bytes: Int = 64 << 20) -> Bool {
        precondition(bytes > 0, "Memory.keepFreedMemory: bytes must be positive, got \(bytes)")
        return bp_keep_freed_memory(bytes) == 1
    }
}
