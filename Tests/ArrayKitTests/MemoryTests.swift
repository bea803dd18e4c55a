import Foundation
import Testing
@testable import ArrayKit

@Suite struct MemoryTests {
    /// What a training step does to malloc: several 2 MB arrays written, then all freed, ten
    /// times. With the freed memory kept, only the first round meets fresh pages; without it
    /// glibc returns the heap's top to the system after each round, and every round
    /// page-faults on all 2,560 of its pages (about 3,000 faults in all with it, 17,000
    /// without). In a fresh process, as the setting is process-wide.
    @Test func keptMemoryIsReusedWithoutPageFaults() async {
        await #expect(processExitsWith: .success) {
            precondition(Memory.keepFreedMemory(), "glibc refused the settings")
            func minorFaults() -> Int {
                var usage = rusage()
                getrusage(RUSAGE_SELF.rawValue, &usage)
                return usage.ru_minflt
            }
            let pagesPerRound = 5 * 512 * 1024 * MemoryLayout<Float>.size / 4096
            var checksum: Float = 0
            let before = minorFaults()
            for round in 0..<10 {
                var arrays: [NDArray<Float>] = []
                for index in 0..<5 { arrays.append(.full([512, 1024], Float(round + index))) }
                checksum += arrays.reduce(0) { $0 + $1.scalars[1000] }
                arrays.removeAll()
            }
            let faults = minorFaults() - before
            precondition(checksum == 325, "checksum \(checksum)")
            precondition(faults < 2 * pagesPerRound,
                         "\(faults) page faults in 10 rounds of \(pagesPerRound) pages: freed memory was not kept")
        }
    }

    @Test func refusesANonPositiveSize() async {
        await #expect(processExitsWith: .failure) {
            Memory.keepFreedMemory(upTo: 0)
        }
    }
}
