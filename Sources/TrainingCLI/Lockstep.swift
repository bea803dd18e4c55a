import Foundation

/// Two trainings of the same length run in turns, one step each, so that a stop request
/// ends both at the same step boundary — what `compare-backends` needs to compare them after
/// Ctrl-C. Only one of them runs at any time (the other waits at its boundary), so the
/// results, and the products' use of every core, are those of running them one after the other.
///
/// Each body gets `boundary`, to pass as the trainer's `shouldStop`: it is polled at the same
/// points of both runs (after each step but an epoch's last, and after each epoch but the
/// last), so the n-th call of one run is the same position as the n-th of the other. The
/// first call (in either run) at which `shouldStop` says yes becomes the stop for both. A run
/// that ends early (diverged, failed) no longer holds the other up.
///
/// ```swift
/// let (manual, autograd) = Lockstep.run(shouldStop: Interrupts.isRequested,
///     { try trainer.fit(a, history: h, shouldStop: $0, saveCheckpoint: save) },
///     { try trainer.fit(b, history: h, shouldStop: $0, saveCheckpoint: save) })
/// ```
final class Lockstep: @unchecked Sendable {   // every access to the state goes through `condition`
    private let condition = NSCondition()
    private let shouldStop: @Sendable () -> Bool
    private var turn = 0
    private var calls = [0, 0]
    private var finished = [false, false]
    private var stopAt: Int?

    private init(shouldStop: @escaping @Sendable () -> Bool) { self.shouldStop = shouldStop }

    /// Runs `first` on this thread and `second` on a new one, in turns; returns when both ended.
    static func run<A, B>(shouldStop: @escaping @Sendable () -> Bool,
                          _ first: (_ boundary: () -> Bool) throws -> A,
                          _ second: @escaping (_ boundary: () -> Bool) throws -> B)
        -> (Result<A, any Error>, Result<B, any Error>)
    {
        let lockstep = Lockstep(shouldStop: shouldStop)
        let secondResult = UncheckedBox<Result<B, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let body = UncheckedSendable(second)
        let thread = Thread {
            secondResult.value = lockstep.turn(of: 1) { try body.value($0) }
            done.signal()
        }
        thread.stackSize = 8 << 20   // as the main thread's, for the deepest model
        thread.start()
        let firstResult = lockstep.turn(of: 0, first)
        done.wait()
        return (firstResult, secondResult.value!)
    }

    /// Runs `body` as side `side`: it starts on its turn and hands the turn over when it ends.
    private func turn<T>(of side: Int, _ body: (_ boundary: () -> Bool) throws -> T) -> Result<T, any Error> {
        condition.lock()
        while turn != side && !finished[1 - side] { condition.wait() }
        condition.unlock()
        let result = Result { try body { boundary(side) } }
        condition.lock()
        finished[side] = true
        turn = 1 - side
        condition.broadcast()
        condition.unlock()
        return result
    }

    /// One of `side`'s stop points: decides or learns whether to stop here, then lets the other run.
    private func boundary(_ side: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        calls[side] += 1
        // The other side is at most one call behind, so it still reaches this point.
        if stopAt == nil && shouldStop() { stopAt = calls[side] }
        turn = 1 - side
        condition.broadcast()
        while turn != side && !finished[1 - side] { condition.wait() }
        return stopAt.map { calls[side] >= $0 } ?? false
    }
}

/// A value one thread writes and another reads after a semaphore orders them.
final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
