// update-bench: nanoseconds per parameter per step of ArrayKit's optimizer updates
// (`sgdUpdate`, `sgdMomentumUpdate`, `adamUpdate`) on Float tensors of several sizes, on 1
// thread and on `BLAS.threads` (the default), and a digest of their results for checking
// that two builds compute the same bits.
//
//   swift run -c release update-bench                     # timings, best of 7 rounds
//   swift run -c release update-bench --rounds 15 --sizes 4096,65536,401408
//   swift run -c release update-bench --digest            # one hash of many updates' bits
//
// Each timing is the best of `rounds` passes of enough steps to take ~20 ms; the sizes
// include the layers of 784-512-256-10 (401,408 and 131,072 weights) and its biases.
import ArrayKit
import Foundation

struct Options {
    var rounds = 7
    var sizes = [256, 2_560, 16_384, 32_768, 65_536, 131_072, 401_408, 1_048_576]
    var digest = false

    init(_ arguments: [String]) {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            switch flag {
            case "--rounds": rounds = rest.popFirst().flatMap { Int($0) } ?? { fail("--rounds takes a whole number") }()
            case "--sizes":
                sizes = rest.popFirst()?.split(separator: ",").compactMap { Int($0) } ?? []
                if sizes.isEmpty || sizes.contains(where: { $0 < 1 }) { fail("--sizes takes positive whole numbers, comma-separated") }
            case "--digest": digest = true
            case "-h", "--help":
                print("usage: update-bench [--rounds N] [--sizes N,N,…] [--digest]")
                exit(0)
            default: fail("unknown option \(flag); see --help")
            }
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("update-bench: \(message)\n".utf8))
    exit(2)
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The state of one parameter under one optimizer.
struct Slot<Scalar: NDScalar> {
    var weight, gradient, first, second: NDArray<Scalar>
    init(count: Int, rng: inout SplitMix64) {
        weight = .randomNormal([count], using: &rng)
        gradient = .randomNormal([count], std: 0.1, using: &rng)
        first = .randomNormal([count], std: 0.01, using: &rng)
        second = .randomNormal([count], std: 0.01, using: &rng).map { $0 * $0 }
    }
}

enum Update: String, CaseIterable {
    case sgd, momentum, nesterov, adam, adamw
}

@inline(never)
func run<Scalar: NDScalar>(_ update: Update, _ slot: inout Slot<Scalar>, step: Int) {
    switch update {
    case .sgd:
        slot.weight.sgdUpdate(gradient: slot.gradient, learningRate: 0.01)
    case .momentum:
        slot.weight.sgdMomentumUpdate(gradient: slot.gradient, buffer: &slot.first, isFirstStep: step == 1,
                                      learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4)
    case .nesterov:
        slot.weight.sgdMomentumUpdate(gradient: slot.gradient, buffer: &slot.first, isFirstStep: step == 1,
                                      learningRate: 0.01, momentum: 0.9, dampening: 0.1, nesterov: true)
    case .adam:
        slot.weight.adamUpdate(gradient: slot.gradient, mean: &slot.first, meanOfSquares: &slot.second,
                               step: step, learningRate: 1e-3)
    case .adamw:
        slot.weight.adamUpdate(gradient: slot.gradient, mean: &slot.first, meanOfSquares: &slot.second,
                               step: step, learningRate: 1e-3, weightDecay: 0.01, decoupled: true)
    }
}

/// FNV-1a over the bits of every array of every slot, after a few steps of every update
/// on sizes that exercise vector remainders and the split, with zeros, signed zeros and
/// special values mixed in.
func digest() -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix<Scalar: NDScalar>(_ array: NDArray<Scalar>, _ bits: (Scalar) -> UInt64) {
        for x in array.scalars { hash = (hash ^ bits(x)) &* 0x100_0000_01b3 }
    }
    var rng = SplitMix64(seed: 7)
    for count in [1, 7, 33, 1_000, 70_001, 300_007] {
        for update in Update.allCases {
            var f = Slot<Float>(count: count, rng: &rng), d = Slot<Double>(count: count, rng: &rng)
            for special in [Float(0), -0, .infinity, .nan, .leastNonzeroMagnitude] where count > 20 {
                let i = Int(rng.next() % UInt64(count))
                f.weight.withUnsafeMutableBufferPointer { $0[i] = special }
                f.gradient.withUnsafeMutableBufferPointer { $0[(i * 7 + 3) % count] = special }
                d.gradient.withUnsafeMutableBufferPointer { $0[i] = Double(special) }
            }
            for step in 1...3 {
                run(update, &f, step: step)
                run(update, &d, step: step)
            }
            for a in [f.weight, f.first, f.second] { mix(a) { UInt64($0.bitPattern) } }
            for a in [d.weight, d.first, d.second] { mix(a) { $0.bitPattern } }
        }
    }
    return hash
}

/// Best nanoseconds per parameter per step over `rounds` passes.
func time(_ update: Update, count: Int, rounds: Int) -> Double {
    var rng = SplitMix64(seed: 1)
    var slot = Slot<Float>(count: count, rng: &rng)
    let steps = max(4, 20_000_000 / (count * 4))      // about 20 ms at 5 ns per parameter
    var best = Double.infinity
    var step = 1
    for _ in 0..<rounds {
        let start = now()
        for _ in 0..<steps {
            run(update, &slot, step: step)
            step += 1
        }
        best = min(best, (now() - start) / Double(steps * count) * 1e9)
    }
    return best
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
if options.digest {
    print(String(digest(), radix: 16))
    exit(0)
}
let defaultThreads = BLAS.threads
print("\(BLAS.summary); ns per parameter per step, best of \(options.rounds) (Float)")
print("parameters".padding(toLength: 11, withPad: " ", startingAt: 0)
      + Update.allCases.map { "\($0.rawValue) 1t/\(defaultThreads)t".padding(toLength: 19, withPad: " ", startingAt: 0) }.joined())
for count in options.sizes {
    var line = String(count).padding(toLength: 11, withPad: " ", startingAt: 0)
    for update in Update.allCases {
        BLAS.threads = 1
        let one = time(update, count: count, rounds: options.rounds)
        BLAS.threads = defaultThreads
        let all = time(update, count: count, rounds: options.rounds)
        line += String(format: "%.3f / %.3f", one, all).padding(toLength: 19, withPad: " ", startingAt: 0)
    }
    print(line)
}
