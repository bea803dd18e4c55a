// step-phases: where an ArrayKit training epoch goes. It runs the default network's step
// (784-128-10, ReLU, batch 128, SGD 0.1) op by op, as ArrayKit's MLP, SoftmaxCrossEntropy and
// SGD run it, over real epochs of the DataLoader, and prints seconds per epoch for each op,
// on 1 and on 2 threads in alternation (noise on a shared machine only adds time, so each
// figure is the smaller of two passes).
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
let rate: Float = 0.1
var hidden = NDArray<Float>.zeros([128, 128])
var weightGradient = NDArray<Float>.zeros([128, 784])
var biasGradient = NDArray<Float>.zeros([128])

let phases = [
    "loader: gather and normalize the batch",
    "first layer: bias into every row",
    "first layer: gemm X W₁ᵀ",
    "ReLU",
    "second layer forward (gemm and bias)",
    "softmax cross-entropy and its gradient",
    "second layer backward (dW₂, db₂, dH)",
    "ReLU backward",
    "first layer: gemm dW₁ = dYᵀ X",
    "first layer: db₁ (column sums)",
    "SGD update of W₁",
    "SGD update of b₁, W₂, b₂",
]

@MainActor func subtract(_ gradient: NDArray<Float>, from value: inout NDArray<Float>) {
    value.withUnsafeMutableBufferPointer { w in
        gradient.withUnsafeBufferPointer { g in
            let w = w
            for i in 0..<w.count { w[i] -= rate * g[i] }
        }
    }
}

/// Seconds per phase over one epoch.
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
        let x = batch.features
        lap(0)
        hidden.withUnsafeMutableBufferPointer { h in
            first.bias.withUnsafeBufferPointer { b in
                for row in 0..<128 { (h.baseAddress! + row * 128).update(from: b.baseAddress!, count: 128) }
            }
        }
        lap(1)
        NDArray.gemm(x, first.weight, into: &hidden, transposeB: true, beta: 1)
        lap(2)
        let activations = relu.forward(hidden)
        lap(3)
        let logits = second.forward(activations)
        lap(4)
        _ = loss.forward(logits, labels: batch.labels)
        let gradient = loss.backward()
        lap(5)
        let activationGradient = second.backward(gradient)
        lap(6)
        let hiddenGradient = relu.backward(activationGradient)
        lap(7)
        NDArray.gemm(hiddenGradient, x, into: &weightGradient, transposeA: true)
        lap(8)
        biasGradient.withUnsafeMutableBufferPointer { db in
            hiddenGradient.withUnsafeBufferPointer { dy in
                let db = db
                for j in 0..<128 { db[j] = 0 }
                for row in 0..<128 { for j in 0..<128 { db[j] += dy[row * 128 + j] } }
            }
        }
        lap(9)
        subtract(weightGradient, from: &first.weight)
        lap(10)
        subtract(biasGradient, from: &first.bias)
        second.updateParameters { _, value, gradient in subtract(gradient, from: &value) }
        lap(11)
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
let products = [2, 8]
print(row("the two large products", products.map { best[1]![$0] }.reduce(0, +), products.map { best[2]![$0] }.reduce(0, +)))
print(row("everything else", best[1]!.reduce(0, +) - products.map { best[1]![$0] }.reduce(0, +),
          best[2]!.reduce(0, +) - products.map { best[2]![$0] }.reduce(0, +)))
print(row("sum", best[1]!.reduce(0, +), best[2]!.reduce(0, +)))
