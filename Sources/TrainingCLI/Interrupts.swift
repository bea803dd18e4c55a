#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Ctrl-C as a request, not a kill: the first SIGINT sets a flag that the trainer polls
/// between steps, so the step in flight finishes and a checkpoint is written; a second
/// SIGINT ends the process at once (the handler restores the default action).
///
/// The handler only stores to a lock-free atomic and calls `signal`, both
/// async-signal-safe; everything else happens on the training thread.
///
/// ```swift
/// Interrupts.install()
/// trainer.fit(model, history: history, shouldStop: Interrupts.isRequested)
/// ```
public enum Interrupts {
    /// The exit status of a run stopped by SIGINT: 128 + 2, as shells report it.
    public static let exitStatus: Int32 = 130

    private static let requested = Atomic<Bool>(false)

    /// Routes SIGINT to the flag (idempotent), and unblocks it on this thread: a process
    /// may inherit SIGINT blocked (some launchers block it), and then it would never arrive.
    public static func install() {
        signal(SIGINT, handleInterrupt)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Whether SIGINT arrived since ``install()``.
    @Sendable public static func isRequested() -> Bool { requested.load(ordering: .relaxed) }

    fileprivate static func record() { requested.store(true, ordering: .relaxed) }
}

private func handleInterrupt(_: Int32) {
    Interrupts.record()
    signal(SIGINT, SIG_DFL)
}
