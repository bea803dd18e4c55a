#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import Synchronization

/// Ctrl-C and `kill` as a request, not a kill: the first SIGINT or SIGTERM sets a flag that
/// the trainers poll between steps, so the step in flight finishes and a checkpoint and the
/// reports are written; a second signal of either kind ends the process at once (the
/// handler restores the default actions).
///
/// SIGTERM is what `kill`, systemd, Docker and CI runners send before they give up, so it is
/// treated exactly like Ctrl-C; only the exit status tells them apart (130 or 143).
///
/// The handler only stores to a lock-free atomic and calls `signal`, both
/// async-signal-safe; everything else happens on the training threads. The kernel may run
/// it on any thread (the product workers too): the flag is process-wide, so that is fine.
///
/// ```swift
/// Interrupts.install()
/// trainer.fit(model, history: history, shouldStop: Interrupts.isRequested, saveCheckpoint: save)
/// if Interrupts.isRequested() { throw ExitCode(Interrupts.exitStatus) }   // 130 or 143
/// ```
public enum Interrupts {
    /// The signals that ask a run to stop.
    static let stopSignals = [SIGINT, SIGTERM]

    /// The first stop signal received, 0 before any.
    private static let received = Atomic<Int32>(0)

    /// Routes SIGINT and SIGTERM to the flag (idempotent), and unblocks them on this thread:
    /// a process may inherit them blocked (some launchers block SIGINT), and then they would
    /// never arrive.
    public static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for number in stopSignals {
            signal(number, handleStopSignal)
            sigaddset(&set, number)
        }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Whether SIGINT or SIGTERM arrived since ``install()``.
    @Sendable public static func isRequested() -> Bool { received.load(ordering: .relaxed) != 0 }

    /// The exit status of a stopped run: 128 + the signal's number, as shells report a process
    /// that signal killed — 130 after SIGINT (Ctrl-C), 143 after SIGTERM.
    public static var exitStatus: Int32 { 128 + (isRequested() ? received.load(ordering: .relaxed) : SIGINT) }

    /// `"SIGINT"` or `"SIGTERM"`, for messages (`"a signal"` before any arrived).
    static var signalName: String {
        switch received.load(ordering: .relaxed) {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "a signal"
        }
    }

    fileprivate static func record(_ number: Int32) {
        _ = received.compareExchange(expected: 0, desired: number, ordering: .relaxed)
    }
}

private func handleStopSignal(_ number: Int32) {
    Interrupts.record(number)
    // A second SIGINT or SIGTERM, of either kind, takes the default action: the process ends.
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
}

/// A command stopped by SIGINT or SIGTERM after writing everything it had (checkpoints,
/// partial reports): not a failure, so ``RunDirectory/keepingOnlyIfSuccessful(_:)`` keeps
/// the directory, and ``interruptible(command:_:)`` turns it into a message and exit status.
protocol InterruptionReport: Error {
    /// What was kept and the command that resumes or reruns the rest.
    func lines(command: String) -> [String]
}

/// Runs `body`; an ``InterruptionReport`` becomes its lines on standard error (standard
/// output may be a `--json` consumer's) and exit status 130 or 143, as for a process the
/// signal killed.
func interruptible<T>(command: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let interrupted as any InterruptionReport {
        fflush(nil)   // the lines printed before stay before
        FileHandle.standardError.write(Data(interrupted.lines(command: command).map { $0 + "\n" }.joined().utf8))
        throw ExitCode(Interrupts.exitStatus)
    }
}
