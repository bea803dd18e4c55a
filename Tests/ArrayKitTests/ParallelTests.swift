import Synchronization
import Testing
@testable import ArrayKit

@Suite struct ParallelTests {
    /// Every index is visited exactly once, in contiguous ranges no shorter than asked.
    @Test(arguments: [0, 1, 7, 100, 100_000])
    func rangesCoverEveryIndexOnce(count: Int) {
        let visits = Mutex([Int](repeating: 0, count: count))
        let ranges = Mutex<[Range<Int>]>([])
        Parallel.forEachRange(count, minimum: 16) { range in
            visits.withLock { for i in range { $0[i] += 1 } }
            ranges.withLock { $0.append(range) }
        }
        #expect(visits.withLock { $0.allSatisfy { $0 == 1 } })
        let sorted = ranges.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
        #expect(sorted.count <= Swift.max(1, count / 16))
        #expect(sorted.count <= 8)
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        if count >= 16 { #expect(sorted.allSatisfy { $0.count >= 16 }) }
    }

    /// A loop started inside a loop (or while another thread's loop runs) runs on its
    /// caller instead of waiting for the busy workers: no deadlock, same coverage.
    @Test func nestedLoopsRunOnTheirCaller() {
        let total = Atomic<Int>(0)
        Parallel.forEachRange(64, minimum: 1) { outer in
            for _ in outer {
                Parallel.forEachRange(10, minimum: 1) { inner in total.add(inner.count, ordering: .relaxed) }
            }
        }
        #expect(total.load(ordering: .relaxed) == 640)
    }

    /// Loops from many threads at once, each with products inside: all complete, all right.
    @Test func concurrentCallersAllFinish() async {
        var rng = SplitMix64(seed: 3)
        let a = NDArray<Float>.randomNormal([256, 300], using: &rng)
        let b = NDArray<Float>.randomNormal([300, 64], using: &rng)
        let reference = NDArray.matmul(a, b)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let sum = Atomic<Int>(0)
                    Parallel.forEachRange(1000, minimum: 1) { range in sum.add(range.count, ordering: .relaxed) }
                    return sum.load(ordering: .relaxed) == 1000 && NDArray.matmul(a, b).scalars == reference.scalars
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}
