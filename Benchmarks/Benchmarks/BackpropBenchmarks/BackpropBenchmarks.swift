// The speed suites of Backprop at the default configuration (784-128-10, batch 128):
// BLAS products at the MLP's shapes, one warm training step of each backend, one epoch of
// each backend through Training's pipeline, and loading Fashion-MNIST.
//
//   cd Benchmarks && swift package benchmark                 # all
//   swift package benchmark --filter "step.*"                # the steps only
//
// Metrics: wall clock, throughput and malloc counts (ARC metrics crash on this toolchain).
// A warm manual step must show 0 mallocs: every buffer is reused from the step before.
import ArrayKit
import AutoGrad
import Benchmark
import BenchmarkSupport
import Foundation
import Training

let fast: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal]
let slow: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, .peakMemoryResident]

/// A product `op(a) op(b)` into a reused result, named by its shapes.
func gemmBenchmark(_ name: String, _ a: [Int], _ b: [Int], transposeA: Bool = false, transposeB: Bool = false) {
    Benchmark("gemm \(name)", configuration: .init(metrics: fast, maxDuration: .seconds(2))) { benchmark in
        var rng = SplitMix64(seed: 1)
        let x = NDArray<Float>.randomNormal(a, using: &rng), y = NDArray<Float>.randomNormal(b, using: &rng)
        var c = NDArray.matmul(x, y, transposeA: transposeA, transposeB: transposeB)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            NDArray.gemm(x, y, into: &c, transposeA: transposeA, transposeB: transposeB)
        }
        benchmark.stopMeasurement()
        blackHole(c)
    }
}

/// A fixed batch of 128 random samples and labels.
func randomBatch() -> (NDArray<Float>, [Int]) {
    var rng = SplitMix64(seed: 2)
    return (.randomNormal([128, 784], using: &rng), (0..<128).map { _ in rng.nextInt(below: 10) })
}

/// Fashion-MNIST from the usual places (see Docs/Datasets.md), read once.
func loadDataset() -> Dataset {
    do { return try DefaultRun.loadDataset() } catch { fatalError("\(error)") }
}

func epochBenchmark(_ backend: String, _ make: @escaping (Int) -> any Classifier) {
    Benchmark("epoch \(backend)", configuration: .init(metrics: slow, warmupIterations: 1,
                                                      maxDuration: .seconds(20), maxIterations: 5)) { benchmark in
        let (_, loader) = try DefaultRun.training(loadDataset())
        let model = make(loader.batchCount)
        var epoch = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            model.beginEpoch(epoch + 1)
            for batch in loader.batches(epoch: epoch) {
                blackHole(model.trainStep(batch.features, labels: batch.labels))
            }
            epoch += 1
        }
        benchmark.stopMeasurement()
    }
}

let benchmarks: @Sendable () -> Void = {
    // Forward X Wᵀ of the first layer; its dW = dYᵀ X; the dX = dY W that training skips;
    // the second layer's forward.
    gemmBenchmark("forward (128, 784) × (128, 784)ᵀ", [128, 784], [128, 784], transposeB: true)
    gemmBenchmark("dW (128, 128)ᵀ × (128, 784)", [128, 128], [128, 784], transposeA: true)
    gemmBenchmark("dX (128, 128) × (128, 784)", [128, 128], [128, 784])
    gemmBenchmark("forward (128, 128) × (10, 128)ᵀ", [128, 128], [10, 128], transposeB: true)

    Benchmark("step manual", configuration: .init(metrics: fast, maxDuration: .seconds(2))) { benchmark in
        let (x, labels) = randomBatch()
        let model = MLP<Float>(inputs: 784, hidden: [128], classes: 10, seed: 42)
        let loss = SoftmaxCrossEntropy<Float>()
        func step() {
            blackHole(loss.forward(model.forward(x), labels: labels))
            model.backwardToParameters(loss.backward())
            model.sgdStep(learningRate: 0.01)
            model.clearCache()
            loss.clearCache()
        }
        step()   // warm: the buffers exist from here on
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { step() }
        benchmark.stopMeasurement()
    }

    Benchmark("step autograd", configuration: .init(metrics: fast, maxDuration: .seconds(2))) { benchmark in
        let (x, labels) = randomBatch()
        var rng = SplitMix64(seed: 42)
        let model = nn.MLP<Float>(inputs: 784, hidden: [128], classes: 10, using: &rng)
        let optimizer = SGD(model.parameters(), learningRate: 0.01)
        let input = Tensor(x)
        func step() {
            let loss = crossEntropy(logits: model(input), labels: labels)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            blackHole(loss.data.scalar)
        }
        step()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { step() }
        benchmark.stopMeasurement()
    }

    epochBenchmark("manual") { _ in
        ManualClassifier(inputs: 784, hidden: [128], classes: 10, learningRate: 0.1, seed: 42)
    }
    epochBenchmark("autograd") { steps in
        AutoGradClassifier(inputs: 784, hidden: [128], classes: 10, learningRate: 0.1, epochs: 100,
                           stepsPerEpoch: steps, seed: 42)
    }

    Benchmark("load Fashion-MNIST", configuration: .init(metrics: slow, warmupIterations: 1,
                                                        maxDuration: .seconds(10), maxIterations: 10)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(loadDataset()) }
    }
}
