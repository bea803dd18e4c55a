import CBLAS

/// Loops split across Backprop's threads: the calling thread and `BLAS.threads - 1`
/// persistent workers, the same threads that share a large matrix product
/// (Sources/CBLAS/parallel.c).
///
/// A range is claimed by whichever thread is free first, so when another process holds a
/// core the caller simply runs more of the loop itself. While one loop runs, a loop
/// started from another thread runs on its caller alone.
///
/// ```swift
/// Parallel.forEachRange(rows, minimum: 16) { range in
///     for row in range { /* independent work on row */ }
/// }
/// ```
public enum Parallel {
    /// Runs `body` on contiguous ranges that together cover `0..<count`, at most one per
    /// thread and none shorter than `minimum` (so a short loop stays on this thread), and
    /// returns when all have run. `body` must be safe to run concurrently on distinct ranges.
    /// Each call that splits allocates one small closure context (`withoutActuallyEscaping`),
    /// so callers split only work large enough to pay for it: the data loader, and optimizer
    /// updates from `NDArray.updateSplitMinimum` × 2 parameters (the default network's
    /// training step stays allocation-free).
    public static func forEachRange(_ count: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let pieces = Swift.min(BLAS.threads, count / Swift.max(minimum, 1))
        guard pieces > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var loop = Loop(body: body, count: count, pieces: pieces)
            withUnsafeMutablePointer(to: &loop) { pointer in
                bp_parallel_for(Int32(pieces), { context, index in
                    let loop = context!.assumingMemoryBound(to: Loop.self).pointee
                    let piece = Int(index)
                    loop.body((loop.count * piece / loop.pieces)..<(loop.count * (piece + 1) / loop.pieces))
                }, pointer)
            }
        }
    }

    private struct Loop {
        let body: (Range<Int>) -> Void
        let count: Int
        let pieces: Int
    }
}
