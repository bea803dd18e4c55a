// step-phases: where an ArrayKit training epoch goes. It runs the default network's step
// (784-128-10, ReLU, batch 128, SGD 0.1) op by op, through the same layer calls as ArrayKit's
// MLP and SoftmaxCrossEntropy make, over real epochs of the DataLoader, and prints seconds per
// epoch for each op, on 1 and on 2 threads in alternation (noise on a shared machine only
// adds time, so each figure is the smaller of two passes).
//
//   swift run -c release step-phases
//   swift run -c release step-phases --data-dir DIR
//
// Docs/Performance.md ("Why ArrayKit does not reach 0.6 × NumPy") quotes its output.
import ArrayKit
import BenchmarkSupport
import Foundation
import Training

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("step-phases: \(message)\n".utf8))
    exit(2)
}

var dataDirectory: String?
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--data-dir":
        guard let value = arguments.popFirst() else { fail("--data-dir needs a directory") }
        dataDirectory = value
    case "-h", "--help":
        print("usage: step-phases [--data-dir DIR]")
        exit(0)
    default: fail("unknown option \(flag); see --help")
    }
}

do { try BLAS.load() } catch { fail("\(error)") }
let loader: DataLoader
do { loader = try DefaultRun.training(DefaultRun.loadDataset(from: dataDirectory)).loader } catch { fail("\(error)") }

var generator = SplitMix64(seed: 42)
let first = Linear<Float>(inFeatures: 784, outFeatures: 128, isInputLayer: true, using: &generator)
let second = Linear<Float>(inFeatures: 128, outFeatures: 10, using: &generator)
let relu = ReLU<Float>()
let loss = SoftmaxCrossEntropy<Float>()

let phases = [
    "loader: gather and normalize the batch",
    "first layer forward: bias, gemm X W₁ᵀ",
    "ReLU",
    "second layer forward",
    "softmax cross-entropy and its gradient",
    "second layer backward (dW₂, db₂, dH)",
    "ReLU backward",
    "first layer backward: gemm dW₁ = dYᵀ X, db₁",
    "SGD update of W₁, b₁",
    "SGD update of W₂, b₂",
]
/// The phases that hold the two large products.
let products = [1, 7]

/// Seconds per phase over one epoch, through the same layer calls as ArrayKit's MLP makes.
@MainActor func epoch(_ index: Int) -> [Double] {
    var t = [Double](repeating: 0, count: phases.count)
    var batches = loader.batches(epoch: index).makeIterator()
    while true {
        var start = ContinuousClock.now
        func lap(_ phase: Int) {
            t[phase] += seconds(since: start)
            start = .now
        }
        guard let batch = batches.next() else { break }
        lap(0)
        let hidden = first.forward(batch.features)
        lap(1)
        let activations = relu.forward(hidden)
        lap(2)
        let logits = second.forward(activations)
        lap(3)
        _ = loss.forward(logits, labels: batch.labels)
        let gradient = loss.backward()
        lap(4)
        let activationGradient = second.backward(gradient)
        lap(5)
        let hiddenGradient = relu.backward(activationGradient)
        lap(6)
        first.backwardParameters(hiddenGradient)
        lap(7)
        first.sgdStep(learningRate: 0.1)
        lap(8)
        second.sgdStep(learningRate: 0.1)
        lap(9)
        first.clearCache()
        relu.clearCache()
        second.clearCache()
        loss.clearCache()
    }
    return t
}

var best: [Int: [Double]] = [:]
var index = 0
for threads in [1, 2, 1, 2] {
    BLAS.threads = threads
    _ = epoch(index)  // warm-up
    let times = epoch(index + 1)
    index += 2
    best[threads] = best[threads].map { zip($0, times).map { min($0, $1) } } ?? times
}

let width = phases.map(\.count).max()!
func row(_ name: String, _ one: Double, _ two: Double) -> String {
    name.padding(toLength: width, withPad: " ", startingAt: 0)
        + String(format: "  %8.4f  %8.4f", one, two)
}
print("\(BLAS.summary.split(separator: ",").prefix(2).joined(separator: ",")); seconds per epoch (429 steps), "
      + "the smaller of two passes")
print("".padding(toLength: width, withPad: " ", startingAt: 0) + "  1 thread 2 threads")
for (i, name) in phases.enumerated() { print(row(name, best[1]![i], best[2]![i])) }
print(row("first layer forward and backward", products.map { best[1]![$0] }.reduce(0, +), products.map { best[2]![$0] }.reduce(0, +)))
print(row("everything else", best[1]!.reduce(0, +) - products.map { best[1]![$0] }.reduce(0, +),
          best[2]!.reduce(0, +) - products.map { best[2]![$0] }.reduce(0, +)))
print(row("sum", best[1]!.reduce(0, +), best[2]!.reduce(0, +)))
